import { randomUUID } from 'node:crypto';
import { describeStateConformance } from './state-conformance';

// A unique key prefix per run: other suites share this Redis server.
const prefix = `conf${randomUUID().replace(/-/g, '').slice(0, 12)}`;

describeStateConformance(
  'state.redis',
  () => ({
    name: 'statestore',
    type: 'state.redis',
    metadata: { redisHost: process.env.REDIS_HOST ?? '127.0.0.1:6379', keyPrefix: prefix },
  }),
  { badEtag: '9999999', invalidEtag: 'not-a-number', etagOnMissingKeyIsMismatch: false },
);
