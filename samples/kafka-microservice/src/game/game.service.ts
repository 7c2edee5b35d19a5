import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { HeroKilledDragonEvent, Item } from '../heroes/hero.messages';

/** The producer of the Nest docs' Kafka chapter: ClientKafka.emit for events, send for request/response. */
@Injectable()
export class GameService implements OnModuleInit {
  constructor(@Inject('HERO_SERVICE') private readonly client: ClientKafka) {}

  async onModuleInit(): Promise<void> {
    this.client.subscribeToResponseOf('hero.kill.dragon');
    await this.client.connect();
  }

  killDragon(heroId: number, dragonId: number): Promise<Item[]> {
    return firstValueFrom(this.client.send<Item[]>('hero.kill.dragon', { heroId, dragonId }));
  }

  async heroKilledDragon(event: HeroKilledDragonEvent): Promise<void> {
    await firstValueFrom(this.client.emit('hero.killed.dragon', event), { defaultValue: undefined });
  }
}
