import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { JetStreamPubSub } from './jetstream.pubsub';
import { JETSTREAM_PUBSUB_METADATA } from './jetstream.metadata';

/** The `jetstream` driver (Dapr has no JetStream binding); `components/builtin-drivers.ts` registers it. */
export const jetstreamDrivers: readonly DriverRegistration[] = [
  { type: 'pubsub.jetstream', create: () => new JetStreamPubSub(), metadata: JETSTREAM_PUBSUB_METADATA },
];
