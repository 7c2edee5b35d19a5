import type { DriverRegistration } from '../../spi/driver-registration.spi';
import { MqttBinding } from './mqtt.binding';
import { MqttPubSub } from './mqtt.pubsub';
import { MQTT3_BINDING_METADATA, MQTT3_PUBSUB_METADATA } from './mqtt.metadata';

/** The `mqtt3` drivers; `components/builtin-drivers.ts` registers them. */
export const mqttDrivers: readonly DriverRegistration[] = [
  { type: 'bindings.mqtt3', create: () => new MqttBinding(), metadata: MQTT3_BINDING_METADATA },
  { type: 'pubsub.mqtt3', create: () => new MqttPubSub(), metadata: MQTT3_PUBSUB_METADATA },
];
