import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, MessagePattern, Payload } from '@nestjs/microservices';
import { HeroesLedger } from './heroes.ledger';
import type { HeroKilledDragonEvent, Item, KillDragonMessage } from './hero.messages';

/** The consumer of the Nest docs' Kafka chapter: one request/response pattern, one event pattern. */
@Controller()
export class HeroesController {
  private readonly logger = new Logger(HeroesController.name);

  constructor(private readonly ledger: HeroesLedger) {}

  @MessagePattern('hero.kill.dragon')
  killDragon(@Payload() message: KillDragonMessage, @Ctx() context: KafkaContext): Item[] {
    const realm = 'Nest';
    const heroId = message.heroId;
    const dragonId = message.dragonId;
    this.logger.log(`${realm}: hero ${heroId} kills dragon ${dragonId} (${context.getTopic()})`);
    const items = [
      { id: 1, name: 'Mythical Sword' },
      { id: 2, name: 'Key to Dungeon' },
    ];
    return items;
  }

  // `<string>`: @nestjs/microservices 12.1 types a literal topic as a key of an event map and then
  // rejects a typed second parameter (`@Ctx() context: KafkaContext`); the plain overload accepts it.
  @EventPattern<string>('hero.killed.dragon')
  async handleHeroKilledDragon(@Payload() event: HeroKilledDragonEvent, @Ctx() context: KafkaContext): Promise<void> {
    // A kill of a dragon nobody knows is a poison message: it fails every time.
    await this.ledger.record(event, context.getTopic());
  }
}
