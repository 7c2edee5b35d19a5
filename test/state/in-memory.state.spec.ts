import { describeStateConformance } from './state-conformance';

describeStateConformance('state.in-memory', () => ({ name: 'statestore', type: 'state.in-memory' }), {
  query: true,
  ttlExpireTime: true,
});
