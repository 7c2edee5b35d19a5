import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePubSubConformance } from './pubsub-conformance';

const dir = mkdtempSync(join(tmpdir(), 'nest-dapr-sqlite-ps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Every app of one test opens the same database file, as processes on one machine would.
describePubSubConformance('pubsub.sqlite', ({ runId }) => ({
  name: 'sqliteps',
  type: 'pubsub.sqlite',
  metadata: {
    connectionString: join(dir, `conformance-${runId}.db`),
    pollInterval: '20ms',
    redeliverInterval: '200ms',
    visibilityTimeout: '5s',
    // Small batches, so that two instances in one process visibly share a topic.
    concurrency: '2',
  },
}));
