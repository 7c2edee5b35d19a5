/**
 * DaprTransport and ClientDapr in a hybrid app (NestFactory.create +
 * connectMicroservice) on in-memory pub/sub: what @nestjs/microservices users
 * rely on — @Payload() pipes, @Ctx(), guards, interceptors, exception filters,
 * Observable handlers, pattern objects, RpcException errors — and the
 * delivery pipeline's outcomes (retry, dead-letter, DropEvent, drain on close).
 */
import {
  CallHandler,
  Controller,
  ForbiddenException,
  Injectable,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BaseRpcExceptionFilter, ClientsModule, Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { IsInt, IsString, Min } from 'class-validator';
import { firstValueFrom, lastValueFrom, map, of, throwError, toArray, type Observable } from 'rxjs';
import { DaprModule, DropEvent, Subscribe, type CloudEvent } from 'nest-dapr';
import { ClientDapr, DaprContext, DaprRpcException, DaprTransport, MicroserviceConfigError } from 'nest-dapr/microservices';
import { runId, sleep, waitFor } from '../pubsub/pubsub-test-kit';
import { freePort } from '../support/free-port';

jest.setTimeout(60_000);

const RUN = runId();

class OrderPlaced {
  @IsString() id!: string;
  @IsInt() @Min(1) qty!: number;
}

const seen = {
  orders: [] as { order: OrderPlaced; topic: string; pubsub: string; eventId?: string; type?: string }[],
  flaky: 0,
  observable: [] as number[],
  dropped: 0,
  slowDone: 0,
  dead: [] as CloudEvent[],
  guardTypes: [] as string[],
};

@Injectable()
class NoRefunds implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    seen.guardTypes.push(ctx.getType());
    const data = ctx.switchToRpc().getData() as { kind?: string } | undefined;
    if (data?.kind === 'refund') throw new ForbiddenException('no refunds');
    return true;
  }
}

@Injectable()
class Doubling implements NestInterceptor {
  intercept(_ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((v) => (typeof v === 'number' ? v * 2 : v)));
  }
}

@Controller()
class ShopController {
  @EventPattern<string>('orders')
  onOrder(@Payload(new ValidationPipe({ transform: true })) order: OrderPlaced, @Ctx() ctx: DaprContext) {
    const event = ctx.getCloudEvent();
    seen.orders.push({ order, topic: ctx.getTopic(), pubsub: ctx.getPubsubName(), eventId: event?.id, type: event?.type });
  }

  @EventPattern<string>('flaky')
  onFlaky(): Observable<never> {
    seen.flaky++;
    return throwError(() => new Error('flaky fails every time'));
  }

  @EventPattern('observable')
  onObservable(@Payload('n') n: number): Observable<number> {
    seen.observable.push(n);
    return of(n, n + 1);
  }

  @EventPattern<string>('refused')
  onRefused() {
    seen.dropped++;
    throw new DropEvent('not for us');
  }

  @EventPattern<string>('slow')
  async onSlow() {
    await sleep(800);
    seen.slowDone++;
  }

  @MessagePattern({ cmd: 'sum' })
  sum(@Payload() numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern('count')
  count(@Payload() n: number): Observable<number> {
    return of(...Array.from({ length: n }, (_, i) => i + 1));
  }

  @MessagePattern('whoami')
  whoami(@Payload() _: unknown, @Ctx() ctx: DaprContext) {
    return { method: ctx.getTopic(), caller: ctx.getCallerAppId() ?? null };
  }

  @MessagePattern('nothing')
  nothing(): void {}

  @MessagePattern('fail')
  fail(@Payload() how: string) {
    if (how === 'rpc') throw new RpcException({ code: 'OUT_OF_STOCK', message: 'no more dragons' });
    if (how === 'rpc-string') throw new RpcException('plain refusal');
    throw new Error('kaboom');
  }

  @UseFilters(new BaseRpcExceptionFilter())
  @MessagePattern('filtered')
  filtered() {
    throw new RpcException({ code: 'FILTERED', message: 'through the filter' });
  }

  @UseGuards(NoRefunds)
  @UseInterceptors(Doubling)
  @MessagePattern('pay')
  pay(@Payload() p: { kind: string; amount: number }) {
    return p.amount;
  }
}

@Injectable()
class DeadLetters {
  @Subscribe({ pubsub: 'pubsub', topic: 'dead', metadata: { rawPayload: 'true' } })
  onDead(original: CloudEvent) {
    seen.dead.push(original);
  }
}

describe('DaprTransport + ClientDapr in a hybrid app', () => {
  let app: INestApplication;
  let client: ClientDapr;

  beforeAll(async () => {
    const port = await freePort();
    @Module({
      imports: [
        DaprModule.forRoot({
          appId: 'shop',
          components: [{ name: 'pubsub', type: 'pubsub.in-memory', metadata: { busName: `ms-${RUN}` } }],
          nameResolution: { component: 'static', configuration: { apps: { shop: `http://127.0.0.1:${port}` } } },
        }),
        ClientsModule.register([{ name: 'SHOP', customClass: ClientDapr, options: { appId: 'shop', pubsub: 'pubsub' } }]),
        ClientsModule.registerAsync([{ name: 'SHOP_ASYNC', useFactory: async () => ({ customClass: ClientDapr, options: { appId: 'shop' } }) }]),
      ],
      controllers: [ShopController],
      providers: [NoRefunds, Doubling, DeadLetters],
    })
    class ShopModule {}
    app = await NestFactory.create(ShopModule, { logger: false });
    app.connectMicroservice({ strategy: new DaprTransport({ pubsub: 'pubsub', deadLetterTopic: 'dead' }) });
    await app.startAllMicroservices();
    await app.listen(port, '127.0.0.1');
    client = app.get('SHOP');
  });
  afterAll(() => app?.close());

  it('emit() publishes a CloudEvent that the @EventPattern handler gets through its pipe, with a DaprContext', async () => {
    await lastValueFrom(client.emit('orders', { id: 'o-1', qty: 2 }), { defaultValue: undefined });
    await waitFor(() => seen.orders.length === 1, 'the order');
    expect(seen.orders[0]).toMatchObject({ topic: 'orders', pubsub: 'pubsub', type: 'com.dapr.event.sent' });
    expect(seen.orders[0].order).toBeInstanceOf(OrderPlaced);
    expect(seen.orders[0].order).toEqual({ id: 'o-1', qty: 2 });
    expect(seen.orders[0].eventId).toEqual(expect.any(String));
  });

  it('a payload the ValidationPipe refuses is dead-lettered at once, never retried', async () => {
    const before = seen.dead.length;
    await lastValueFrom(client.emit('orders', { id: 'o-2', qty: 0 }), { defaultValue: undefined });
    await waitFor(() => seen.dead.length === before + 1, 'the refused order in the dead-letter topic');
    expect(seen.dead.at(-1)!.data).toEqual({ id: 'o-2', qty: 0 });
    expect(seen.orders.map((o) => o.order.id)).not.toContain('o-2');
  });

  it('an Observable that errors is retried under the inbound policy, then dead-lettered', async () => {
    const before = seen.dead.length;
    await lastValueFrom(client.emit('flaky', { id: 'f-1' }), { defaultValue: undefined });
    await waitFor(() => seen.dead.length === before + 1, 'the flaky event in the dead-letter topic');
    expect(seen.flaky).toBe(4);
    expect(seen.dead.at(-1)).toMatchObject({ topic: 'flaky', data: { id: 'f-1' } });
  });

  it('an Observable that completes settles the delivery; @Payload(property) picks a field', async () => {
    await lastValueFrom(client.emit('observable', { n: 5 }), { defaultValue: undefined });
    await waitFor(() => seen.observable.length === 1, 'the observable handler');
    await sleep(300);
    expect(seen.observable).toEqual([5]);
  });

  it('DropEvent drops to the dead-letter topic without retrying', async () => {
    const before = seen.dead.length;
    await lastValueFrom(client.emit('refused', { id: 'r-1' }), { defaultValue: undefined });
    await waitFor(() => seen.dead.length === before + 1, 'the dropped event in the dead-letter topic');
    expect(seen.dropped).toBe(1);
  });

  it('send() is a cold Observable answered by the @MessagePattern; pattern objects map to stable methods', async () => {
    const answer = client.send<number>({ cmd: 'sum' }, [1, 2, 3]);
    expect(await firstValueFrom(answer)).toBe(6);
    // Cold: subscribing again sends again.
    expect(await firstValueFrom(answer)).toBe(6);
    expect(await lastValueFrom(client.send('count', 3).pipe(toArray()))).toEqual([3]);
    expect(await firstValueFrom(client.send('whoami', {}))).toEqual({ method: 'whoami', caller: null });
    // A handler with no answer: the Observable completes without a value.
    expect(await lastValueFrom(client.send('nothing', {}).pipe(toArray()))).toEqual([]);
  });

  it('a client registered with ClientsModule.registerAsync works the same', async () => {
    const asyncClient = app.get<ClientDapr>('SHOP_ASYNC');
    expect(asyncClient).toBeInstanceOf(ClientDapr);
    expect(await firstValueFrom(asyncClient.send<number>({ cmd: 'sum' }, [4, 5]))).toBe(9);
  });

  it('errors come back as DaprRpcException, RpcException-compatible with status and body', async () => {
    const err = (await firstValueFrom(client.send('fail', 'rpc')).catch((e: unknown) => e)) as DaprRpcException;
    expect(err).toBeInstanceOf(DaprRpcException);
    expect(err).toBeInstanceOf(RpcException);
    expect(err.getError()).toEqual({ code: 'OUT_OF_STOCK', message: 'no more dragons' });
    expect(err.message).toBe('no more dragons');
    expect(err.status).toBe(500);

    const plain = (await firstValueFrom(client.send('fail', 'rpc-string')).catch((e: unknown) => e)) as DaprRpcException;
    expect(plain.getError()).toEqual({ status: 'error', message: 'plain refusal' });

    const unknown = (await firstValueFrom(client.send('fail', 'other')).catch((e: unknown) => e)) as DaprRpcException;
    expect(unknown.getError()).toEqual({ status: 'error', message: 'Internal server error' });
    expect(unknown.status).toBe(500);

    const filtered = (await firstValueFrom(client.send('filtered', {})).catch((e: unknown) => e)) as DaprRpcException;
    expect(filtered.getError()).toEqual({ code: 'FILTERED', message: 'through the filter' });

    const missing = (await firstValueFrom(client.send('no.such.pattern', {})).catch((e: unknown) => e)) as DaprRpcException;
    expect(missing).toBeInstanceOf(DaprRpcException);
    expect(missing.status).toBe(404);
  });

  it('guards and interceptors apply to @MessagePattern handlers, with the rpc context type', async () => {
    expect(await firstValueFrom(client.send('pay', { kind: 'card', amount: 21 }))).toBe(42);
    const denied = (await firstValueFrom(client.send('pay', { kind: 'refund', amount: 1 })).catch((e: unknown) => e)) as DaprRpcException;
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ statusCode: 403, message: 'no refunds' });
    expect(seen.guardTypes).toContain('rpc');
  });

  it('app.close() drains a delivery in flight', async () => {
    await lastValueFrom(client.emit('slow', {}), { defaultValue: undefined });
    await sleep(200);
    await app.close();
    expect(seen.slowDone).toBe(1);
  });
});

describe('DaprTransport configuration errors', () => {
  it('without DaprModule, listen() fails with a MicroserviceConfigError naming the fix', async () => {
    @Module({ controllers: [] })
    class Bare {}
    const ms = await NestFactory.createMicroservice(Bare, { strategy: new DaprTransport({ pubsub: 'pubsub' }), logger: false });
    await expect(ms.listen()).rejects.toThrow(MicroserviceConfigError);
    await expect(ms.listen()).rejects.toThrow(/DaprModule/);
    await ms.close();
  });

  it('@MessagePattern in createMicroservice without appPort fails at listen()', async () => {
    @Controller()
    class Answers {
      @MessagePattern('ping')
      ping() {
        return 'pong';
      }
    }
    @Module({ imports: [DaprModule.forRoot({ appId: `noport-${RUN}`, components: [{ name: 'pubsub', type: 'pubsub.in-memory' }] })], controllers: [Answers] })
    class NoPort {}
    const ms = await NestFactory.createMicroservice(NoPort, { strategy: new DaprTransport({ pubsub: 'pubsub' }), logger: false });
    await expect(ms.listen()).rejects.toThrow(/appPort/);
    await ms.close();
  });
});

