import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStateConformance } from './state-conformance';

const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-sqlite-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStateConformance(
  'state.sqlite',
  () => ({ name: 'statestore', type: 'state.sqlite', metadata: { connectionString: join(dir, 'state.db') } }),
  { query: true, ttlExpireTime: true },
);
