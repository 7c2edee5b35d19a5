import { Transport } from '@nestjs/microservices';
import type { SampleTransport } from './sample-transport';

const brokers = [process.env.KAFKA_BROKERS ?? 'localhost:9092'];
const groupId = process.env.KAFKA_GROUP_ID ?? 'hero-consumer';

/** The Nest docs' Kafka microservice (docs.nestjs.com/microservices/kafka). */
export const kafkaTransport: SampleTransport = {
  microservice: () => ({
    transport: Transport.KAFKA,
    options: {
      client: { brokers },
      consumer: { groupId },
    },
  }),
  heroClient: () => ({
    name: 'HERO_SERVICE',
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'hero', brokers },
      consumer: { groupId: `${groupId}-client` },
    },
  }),
  imports: () => [],
};
