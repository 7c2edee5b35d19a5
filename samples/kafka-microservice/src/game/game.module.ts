import { Module, type DynamicModule } from '@nestjs/common';
import { ClientsModule, type ClientProviderOptions } from '@nestjs/microservices';
import { GameController } from './game.controller';
import { GameService } from './game.service';

/** The producer app's module; its HERO_SERVICE client options come from the transport file. */
@Module({})
export class GameModule {
  static register(heroClient: ClientProviderOptions): DynamicModule {
    return {
      module: GameModule,
      imports: [ClientsModule.register([heroClient])],
      controllers: [GameController],
      providers: [GameService],
    };
  }
}
