import { ComponentConfigError } from '../errors/component-config.error';
import type { DaprModuleOptions } from './dapr-module-options.interface';

/** Options after defaults and environment fallbacks have been applied. */
export interface ResolvedDaprOptions extends DaprModuleOptions {
  appId: string;
  namespace?: string;
  apiToken?: string;
}

export function resolveOptions(options: DaprModuleOptions): ResolvedDaprOptions {
  const appId = options.appId ?? process.env.APP_ID;
  if (!appId) {
    throw new ComponentConfigError('DaprModule needs an appId (option appId or env APP_ID)', undefined, undefined, 'appId');
  }
  if (appId.includes('||')) {
    throw new ComponentConfigError(`appId "${appId}" must not contain "||"`, undefined, undefined, 'appId');
  }
  return {
    ...options,
    appId,
    namespace: options.namespace ?? (process.env.NAMESPACE || undefined),
    apiToken: options.apiToken ?? (process.env.APP_API_TOKEN || undefined),
  };
}
