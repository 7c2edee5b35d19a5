import { DaprModule } from 'nest-dapr';
import { ClientDapr, DaprTransport } from 'nest-dapr/microservices';
import type { SampleTransport } from './sample-transport';

/** The same apps on Dapr: only the transport and client options change. */
export const daprTransport: SampleTransport = {
  microservice: () => ({
    strategy: new DaprTransport({ pubsub: 'pubsub', deadLetterTopic: 'hero.dead-letters' }),
  }),
  heroClient: () => ({
    name: 'HERO_SERVICE',
    customClass: ClientDapr,
    options: { appId: 'heroes', pubsub: 'pubsub' },
  }),
  imports: (appId) => [
    DaprModule.forRoot({
      appId,
      // The broker is the pub/sub component in this folder: Kafka, Redis, Azure Service Bus, ... (YAML only).
      componentsPath: process.env.DAPR_COMPONENTS ?? `${__dirname}/../components/kafka`,
      // createMicroservice has no HTTP server: @MessagePattern handlers are served (and registered) here.
      appPort: appId === 'heroes' ? Number(process.env.HEROES_PORT ?? 3101) : undefined,
    }),
  ],
};
