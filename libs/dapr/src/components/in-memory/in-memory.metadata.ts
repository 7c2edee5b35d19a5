import { defineMetadata } from '../../spi/kit/metadata';

export const IN_MEMORY_STATE_METADATA = defineMetadata({
  type: 'state.in-memory',
  title: 'In-memory state',
  summary: "Dapr's reference semantics (UUID ETags, atomic transactions, TTL), in the process; lost on restart.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    cleanupInterval: { type: 'duration', unit: 'ms', default: '10s', support: 'extension', description: 'How often expired keys are removed (0 disables the sweep; expired keys are invisible at once anyway).' },
  },
});

export const IN_MEMORY_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.in-memory',
  title: 'In-memory pub/sub',
  summary: 'An event bus in the process: no persistence, nothing survives a restart.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    redeliverInterval: { type: 'duration', unit: 'ms', default: '1s', nonNegative: true, support: 'extension', description: 'Delay before a message the handler asked to RETRY is delivered again (Dapr drops it).' },
    shared: { type: 'bool', default: true, support: 'extension', description: 'Components of the same name in one process share one bus (false: a private bus, as a sidecar has).' },
    busName: { type: 'string', support: 'extension', description: 'Share one bus between components of different names in one process.' },
  },
});

export const IN_MEMORY_LOCK_METADATA = defineMetadata({
  type: 'lock.in-memory',
  title: 'In-memory lock',
  summary: "Dapr's lock semantics (expiry, owner-checked unlock) inside one process, for tests; nothing is shared with other processes.",
  dialect: 'metadata',
  origin: 'nest-dapr',
  fields: {},
});

export const IN_MEMORY_CONFIGURATION_METADATA = defineMetadata({
  type: 'configuration.in-memory',
  title: 'In-memory configuration',
  summary: 'Items in the process, written by tests (DaprTestHarness.setConfiguration); subscribers are told of every write. Not a Dapr component.',
  dialect: 'metadata',
  origin: 'nest-dapr',
  fields: {},
});
