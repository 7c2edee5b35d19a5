/**
 * The invoked side of `bench/invoke.bench.ts`, in its own process so that its
 * CPU is not charged to the client being measured. Serves the same ~1 KB JSON
 * document from a raw `node:http` server, from a plain Nest (express) app and
 * from the same Nest app with DaprModule (access guard and signed-identity
 * check on). Prints the three base URLs as one JSON line, then serves until killed.
 */
import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DaprModule } from 'nest-dapr';

export const BENCH_TOKEN = 'invoke-bench-token';

const doc = JSON.stringify({
  sku: 'SKU-1',
  warehouse: 'north',
  lines: Array.from({ length: 10 }, (_, n) => ({ n, name: `item-${n}`, qty: n + 1, price: 9.99 + n, note: 'x'.repeat(40) })),
});

@Controller()
class TargetController {
  @Get('stock/:sku')
  stock(@Param('sku') sku: string): unknown {
    return { ...(JSON.parse(doc) as object), sku };
  }

  @Post('orders')
  order(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({
  imports: [DaprModule.forRoot({ appId: 'target', apiToken: BENCH_TOKEN, nameResolution: { component: 'static' } })],
  controllers: [TargetController],
})
class TargetModule {}

/** The same routes without DaprModule: the end-to-end baseline, so both paths pay for Nest + express. */
@Module({ controllers: [TargetController] })
class PlainModule {}

async function main(): Promise<void> {
  const raw = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.method === 'POST' ? Buffer.concat(chunks) : Buffer.from(doc);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  raw.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const app = await NestFactory.create(TargetModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const plain = await NestFactory.create(PlainModule, { logger: false });
  await plain.listen(0, '127.0.0.1');
  const url = (server: { address(): unknown }) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.stdout.write(`${JSON.stringify({ raw: url(raw), nest: url(app.getHttpServer()), plainNest: url(plain.getHttpServer()) })}\n`);
}

void main();
