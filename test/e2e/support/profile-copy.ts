import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const root = join(__dirname, '..', '..', '..');

export type ComponentDoc = { kind?: string; metadata?: { name?: string }; spec?: { type?: string; metadata?: { name: string; value?: unknown }[] } };

/**
 * Copies components/<profile> into `dir` for one test run: SQLite files
 * become absolute paths under `dataDir`, and `patch` may change each
 * component (unique key prefixes, consumer groups, table names).
 */
export function copyProfile(profile: string, dir: string, dataDir: string, patch: (doc: ComponentDoc) => void = () => undefined): void {
  mkdirSync(dir, { recursive: true });
  const from = join(root, 'components', profile);
  for (const file of readdirSync(from).filter((f) => /\.ya?ml$/.test(f))) {
    const text = readFileSync(join(from, file), 'utf8').split('.dapr/').join(`${dataDir}/.dapr/`);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as ComponentDoc).filter(Boolean);
    for (const doc of docs) if (doc.kind === 'Component') patch(doc);
    writeFileSync(join(dir, file), docs.map((d) => stringify(d)).join('---\n'));
  }
}

/** Sets (or adds) one metadata item of a component document. */
export function setMetadata(doc: ComponentDoc, name: string, value: string): void {
  doc.spec ??= {};
  doc.spec.metadata ??= [];
  const item = doc.spec.metadata.find((m) => m.name === name);
  if (item) item.value = value;
  else doc.spec.metadata.push({ name, value });
}
