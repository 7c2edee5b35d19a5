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

/** The repository root, from the sources (apps/common) or the build (dist/apps/common). */
function repoRoot(): string {
  for (const candidate of [resolve(__dirname, '../..'), resolve(__dirname, '../../..'), process.cwd()]) {
    if (existsSync(join(candidate, 'components')) && existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return process.cwd();
}
