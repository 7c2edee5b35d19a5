import { defineMetadata } from '../../spi/kit/metadata';

export const IN_MEMORY_STATE_METADATA = defineMetadata({
  type: 'state.in-memory',
  title: 'In-memory state',
  summary: "Dapr's reference semantics (UUID ETags, atomic transactions, TTL), in the process; lost on restart.",
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    cleanupInterval: { type: 'duration', default: '1s', support: 'extension', description: 'How often expired keys are removed.' },
  },
});

export const IN_MEMORY_PUBSUB_METADATA = defineMetadata({
  type: 'pubsub.in-memory',
  title: 'In-memory pub/sub',
  summary: 'An event bus in the process: no persistence, nothing survives a restart.',
  dialect: 'metadata',
  origin: 'dapr',
  fields: {
    redeliverInterval: { type: 'duration', unit: 'ms', default: '1s', support: 'extension', description: 'Delay before a message the handler asked to RETRY is delivered again (Dapr drops it).' },
  },
});
