import { Module, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GameModule } from './game/game.module';
import { HeroesModule } from './heroes/heroes.module';
import type { SampleTransport } from './sample-transport';
import { daprTransport } from './transport.dapr';
import { kafkaTransport } from './transport.kafka';

/** The consumer: a microservice (no HTTP server), as in the Nest docs. */
export async function startHeroes(transport: SampleTransport, logger: false | ('log' | 'error' | 'warn')[] = ['error', 'warn']): Promise<INestMicroservice> {
  @Module({ imports: [...transport.imports('heroes'), HeroesModule] })
  class HeroesApp {}
  const app = await NestFactory.createMicroservice(HeroesApp, { ...transport.microservice(), logger });
  await app.listen();
  return app;
}

/** The producer: an HTTP app with the HERO_SERVICE client. */
export async function startGame(transport: SampleTransport, port = 0, logger: false | ('log' | 'error' | 'warn')[] = ['error', 'warn']): Promise<INestApplication> {
  @Module({ imports: [...transport.imports('game'), GameModule.register(transport.heroClient())] })
  class GameApp {}
  const app = await NestFactory.create(GameApp, { logger });
  await app.listen(port);
  return app;
}

// `TRANSPORT=dapr node …/main.js` runs both apps on Dapr, otherwise on Kafka as in the docs.
if (require.main === module) {
  const transport = process.env.TRANSPORT === 'dapr' ? daprTransport : kafkaTransport;
  void Promise.all([startHeroes(transport), startGame(transport, Number(process.env.PORT ?? 3000))]);
}
