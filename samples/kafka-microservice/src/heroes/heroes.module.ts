import { Module } from '@nestjs/common';
import { HeroesController } from './heroes.controller';
import { HeroesLedger } from './heroes.ledger';

@Module({
  controllers: [HeroesController],
  providers: [HeroesLedger],
})
export class HeroesModule {}
