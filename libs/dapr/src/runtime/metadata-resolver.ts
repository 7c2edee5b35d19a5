import { randomUUID } from 'node:crypto';
import { ComponentConfigError } from '../errors/component-config.error';
import { SecretNotFoundError } from '../errors/secret.errors';
import type { ComponentSpec } from './component-definition';

export interface TemplateContext {
  appId: string;
  namespace?: string;
}

/** Looks a secret up in a named store (or the implicit env store when `store` is undefined). */
export type SecretLookup = (
  store: string | undefined,
  name: string,
) => Promise<Record<string, string> | undefined>;

/**
 * Expands Dapr's metadata templates the way daprd does when it converts
 * metadata items to properties: every `{uuid}` gets its own fresh UUIDv4,
 * `{podName}` needs POD_NAME, `{namespace}` becomes `<namespace>.<appID>`
 * (not just the namespace) and `{appID}` the app id.
 */
export function expandTemplates(value: string, ctx: TemplateContext, where: () => ComponentConfigError): string {
  let out = value;
  while (out.includes('{uuid}')) out = out.replace('{uuid}', randomUUID());
  if (out.includes('{podName}')) {
    const pod = process.env.POD_NAME;
    if (!pod) throw where();
    out = out.split('{podName}').join(pod);
  }
  out = out.split('{namespace}').join(`${ctx.namespace ?? ''}.${ctx.appId}`);
  out = out.split('{appID}').join(ctx.appId);
  return out;
}

/** Resolves every metadata item of a component into a string property map. */
export async function resolveMetadata(
  spec: ComponentSpec,
  ctx: TemplateContext,
  secrets: SecretLookup,
): Promise<Record<string, string>> {
  const props: Record<string, string> = {};
  for (const item of spec.metadata) {
    const v = item.value;
    if (v !== null && typeof v === 'object' && 'secretKeyRef' in v) {
      const { name, key } = v.secretKeyRef;
      const storeName = spec.secretStore;
      let secret: Record<string, string> | undefined;
      try {
        secret = await secrets(storeName, name);
      } catch (err) {
        if (err instanceof ComponentConfigError) throw err;
        throw new ComponentConfigError(
          `component "${spec.name}": metadata "${item.name}" could not read secret "${name}" from store "${storeName ?? 'env'}": ${(err as Error).message}`,
          spec.source,
          spec.name,
          item.name,
        );
      }
      if (!secret || secret[key] === undefined) {
        const missing = new SecretNotFoundError(storeName ?? 'env', name, secret ? key : undefined);
        throw new ComponentConfigError(
          `component "${spec.name}": metadata "${item.name}": ${missing.message}`,
          spec.source,
          spec.name,
          item.name,
        );
      }
      // Secrets are not template-expanded: their bytes are the user's own.
      props[item.name] = secret[key];
    } else if (v !== null && typeof v === 'object' && 'envRef' in v) {
      const env = process.env[v.envRef];
      if (env === undefined) {
        throw new ComponentConfigError(
          `component "${spec.name}": metadata "${item.name}" refers to environment variable ${v.envRef}, which is not set`,
          spec.source,
          spec.name,
          item.name,
        );
      }
      props[item.name] = env;
    } else {
      props[item.name] = expandTemplates(
        String(v),
        ctx,
        () =>
          new ComponentConfigError(
            `component "${spec.name}": metadata "${item.name}" uses {podName} but POD_NAME is not set`,
            spec.source,
            spec.name,
            item.name,
          ),
      );
    }
  }
  return props;
}
