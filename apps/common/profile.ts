import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Profiles shipped in components/; `local` needs no servers. */
export function knownProfiles(root = repoRoot()): string[] {
  const base = join(root, 'components');
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/**
 * The components folder the sample apps load: `DAPR_COMPONENTS_PATH` when set
 * (any folder of Dapr YAML), else `components/<DAPR_PROFILE>` (default
 * `local`). An unknown profile is a start-up error that lists the known ones.
 */
export function componentsPathFor(profile = 'local', root = repoRoot(), env: NodeJS.ProcessEnv = process.env): string {
  if (env.DAPR_COMPONENTS_PATH) return resolve(env.DAPR_COMPONENTS_PATH);
  const known = knownProfiles(root);
  if (!known.includes(profile)) {
    throw new Error(`unknown component profile "${profile}" (DAPR_PROFILE); known profiles: ${known.join(', ')}`);
  }
  return join(root, 'components', profile);
}

/**
 * DaprModule options of a sample app: in-process on the components of its
 * profile, or — with DAPR_SIDECAR=true (as under `nest-dapr run -- …` or next
 * to a daprd) — sidecar mode, where the sidecar owns the components and the
 * app finds it at DAPR_HTTP_PORT.
 */
export function daprOptionsFor(appId: string, env: NodeJS.ProcessEnv = process.env): { appId: string; sidecar?: boolean; componentsPath?: string } {
  if (/^(1|true|yes)$/i.test(env.DAPR_SIDECAR ?? '')) return { appId, sidecar: true };
  return { appId, componentsPath: componentsPathFor(env.DAPR_PROFILE, undefined, env) };
}

/** The repository root, from the sources (apps/common) or the build (dist/apps/common). */
function repoRoot(): string {
  for (const candidate of [resolve(__dirname, '../..'), resolve(__dirname, '../../..'), process.cwd()]) {
    if (existsSync(join(candidate, 'components')) && existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return process.cwd();
}
