import { Body, Controller, Post } from '@nestjs/common';
import { GameService } from './game.service';
import type { HeroKilledDragonEvent, Item } from '../heroes/hero.messages';

@Controller('heroes')
export class GameController {
  constructor(private readonly game: GameService) {}

  @Post('kill')
  async kill(@Body() body: HeroKilledDragonEvent): Promise<Item[]> {
    const items = await this.game.killDragon(body.heroId, body.dragonId);
    await this.game.heroKilledDragon(body);
    return items;
  }
}
