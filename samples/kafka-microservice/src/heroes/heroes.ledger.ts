import { Injectable } from '@nestjs/common';
import type { HeroKilledDragonEvent } from './hero.messages';

/** Where the consumer books kills (in memory: the sample's state, read by its test). */
@Injectable()
export class HeroesLedger {
  readonly kills: (HeroKilledDragonEvent & { topic: string })[] = [];
  /** Every attempt to book a kill, including failed ones. */
  readonly attempts: HeroKilledDragonEvent[] = [];

  async record(event: HeroKilledDragonEvent, topic: string): Promise<void> {
    this.attempts.push(event);
    if (!(event.dragonId > 0)) throw new Error(`unknown dragon ${event.dragonId}`);
    this.kills.push({ ...event, topic });
  }
}
