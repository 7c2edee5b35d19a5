import { Module } from '@nestjs/common';
import { DaprModule } from 'nest-dapr';
import { componentsPathFor } from '../../common/profile';

@Module({
  imports: [DaprModule.forRoot({ appId: 'checkout', componentsPath: componentsPathFor(process.env.DAPR_PROFILE) })],
})
export class AppModule {}
