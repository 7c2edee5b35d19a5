import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Component profiles live in components/<profile>; `local` needs no servers. */
export function componentsPathFor(profile = 'local', root = resolve(__dirname, '../../..')): string {
  const base = existsSync(join(root, 'components')) ? join(root, 'components') : resolve(process.cwd(), 'components');
  const known = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (!known.includes(profile)) {
    throw new Error(`unknown component profile "${profile}" (DAPR_PROFILE); known profiles: ${known.join(', ')}`);
  }
  return join(base, profile);
}
