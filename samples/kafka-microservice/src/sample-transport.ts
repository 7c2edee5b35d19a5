import type { DynamicModule } from '@nestjs/common';
import type { ClientProviderOptions, MicroserviceOptions } from '@nestjs/microservices';

/**
 * Everything about the transport, kept out of the app code: the consumer's
 * microservice options, the producer's HERO_SERVICE client, and the modules
 * the transport itself needs. `transport.kafka.ts` is the Nest docs' Kafka
 * setup; `transport.dapr.ts` moves the same apps onto Dapr components.
 */
export interface SampleTransport {
  /** `NestFactory.createMicroservice(HeroesApp, microservice())`. */
  microservice(): MicroserviceOptions;
  /** `ClientsModule.register([heroClient()])` in the producer. */
  heroClient(): ClientProviderOptions;
  /** Modules each app imports for the transport (app id: `heroes`, `game`). */
  imports(appId: 'heroes' | 'game'): DynamicModule[];
}
