import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as publicApi from 'nest-dapr';
import { DaprError } from './errors/dapr.error';

const { sourceEntries } = require('../scripts/source-entries.cjs') as { sourceEntries(): Record<string, string> };
const root = join(__dirname, '..', '..', '..');

describe('public API of nest-dapr', () => {
  it('exports every DaprError subclass defined in errors/ (applications catch them)', () => {
    const dir = join(__dirname, 'errors');
    const missing: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && f !== 'index.ts')) {
      const mod = require(join(dir, file)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        const isError = typeof value === 'function' && (value === DaprError || value.prototype instanceof DaprError);
        if (isError && (publicApi as Record<string, unknown>)[name] !== value) missing.push(`${name} (errors/${file})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('maps the same entry points in tsconfig.json `paths` as the package `exports` (jest and swc derive theirs from exports)', () => {
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    const fromPaths = Object.fromEntries(
      Object.entries(tsconfig.compilerOptions.paths)
        .filter(([name]) => name === 'nest-dapr' || name.startsWith('nest-dapr/'))
        .map(([name, [file]]) => [name, join(root, file)]),
    );
    expect(fromPaths).toEqual(sourceEntries());
  });
});

describe('package README', () => {
  it('carries the repository README’s "Use it in your app" section word for word', () => {
    const section = (text: string) => {
      const start = text.indexOf('## Use it in your app');
      const end = text.indexOf('\n## ', start + 1);
      return start < 0 ? '' : text.slice(start, end < 0 ? undefined : end).replace(/\n---\s*$/, '').trim();
    };
    const repo = section(readFileSync(join(root, 'README.md'), 'utf8'));
    expect(repo).toContain('npm install nest-dapr');
    expect(section(readFileSync(join(root, 'libs/dapr/README.md'), 'utf8'))).toBe(repo);
  });
});
