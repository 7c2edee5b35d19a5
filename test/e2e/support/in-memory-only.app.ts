/**
 * An app as a user writes it with only in-memory components (YAML under
 * ./components of its working directory), no name resolution configured and
 * the Dapr exception filter. Started as a real process by
 * in-memory-only.e2e.spec.ts; answers which optional packages got loaded.
 */
import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Put, Req } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { DaprExceptionFilter, DaprModule, InvocationService, StateService } from 'nest-dapr';

const OPTIONAL = /[\\/]node_modules[\\/](kafkajs|ioredis|pg|better-sqlite3|@azure[\\/][^\\/]+)[\\/]/;

@Controller()
class MemoController {
  constructor(
    private readonly state: StateService,
    private readonly invocation: InvocationService,
  ) {}

  @Put('items/:key')
  async put(@Param('key') key: string, @Body() body: { value: unknown }, @Req() req: { headers: Record<string, string | undefined> }) {
    await this.state.save('memo', { key, value: body.value, etag: req.headers['if-match'] });
    return (await this.state.getItem('memo', key)) ?? null;
  }

  @Get('call/:app')
  call(@Param('app') app: string) {
    return this.invocation.invoke(app, 'anything');
  }

  @Get('loaded')
  loaded() {
    const packages = new Set<string>();
    for (const file of Object.keys(require.cache)) {
      const m = OPTIONAL.exec(file);
      if (m) packages.add(m[1].replace(/\\/g, '/'));
    }
    return [...packages];
  }
}

@Module({
  imports: [DaprModule.forRoot({ appId: 'memo', componentsPath: 'components' })],
  controllers: [MemoController],
  providers: [{ provide: APP_FILTER, useClass: DaprExceptionFilter }],
})
class MemoModule {}

async function main() {
  const app = await NestFactory.create(MemoModule);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  console.log(`listening on ${(app.getHttpServer().address() as { port: number }).port}`);
}
void main();
