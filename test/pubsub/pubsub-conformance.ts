/**
 * The pub/sub conformance suite, run over every driver. It covers Dapr's
 * components-contrib conformance scenarios (reference §10.2: subscribe with
 * failing handlers, publish, bulk publish, verify read and order, multiple
 * handlers) plus the block's own contract: the CloudEvent shape, CEL routing,
 * dead-lettering, DROP/RETRY statuses, TTL expiry, payload validation,
 * rawPayload, app-supplied CloudEvents, topic scopes, @Subscribe on providers
 * and controllers through interceptors and exception filters, competing
 * consumers and fan-out, and graceful shutdown.
 *
 * Usage (one spec file per driver):
 *
 *   describePubSubConformance('pubsub.redis', ({ runId }) => ({
 *     name: 'pubsub', type: 'pubsub.redis', metadata: { redisHost: '127.0.0.1:6379' },
 *   }), { checkInOrder: false });
 *
 * The factory is called once per app the suite starts; every call within one
 * test gets the same `runId`, so apps of one test must share one broker
 * namespace (e.g. the in-memory driver's `busName`). Topic names always carry
 * the runId, so runs never see each other's messages.
 */
import {
  Controller,
  Injectable,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type ArgumentMetadata,
  type PipeTransform,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';
import {
  DropEvent,
  PubSubForbiddenError,
  PubSubNotFoundError,
  PubSubService,
  Subscribe,
  SubscriptionStatus,
  type CloudEvent,
  type ComponentDefinition,
} from 'nest-dapr';
import { Recorder, runId as newRunId, sleep, startApp, waitFor } from './pubsub-test-kit';

export interface PubSubConformanceContext {
  /** Same for every app of one test; unique per test. */
  runId: string;
  /** The app the component is created for. */
  appId: string;
}

export type PubSubComponentFactory = (
  ctx: PubSubConformanceContext,
) => ComponentDefinition | Promise<ComponentDefinition>;

export interface PubSubConformanceOptions {
  /** Check that first deliveries arrive in publish order (Dapr: false for Redis, ASB, RabbitMQ). Default true. */
  checkInOrder?: boolean;
  /** Max wait for deliveries. Default 20 s. */
  timeoutMs?: number;
  /** Messages per scenario (Dapr: 10). */
  messageCount?: number;
  /** Wait after subscribers start before publishing (consumer group joins). Default 0. */
  settleMs?: number;
  /** Instances of one app must both receive a share of a topic (false for a 1-partition Kafka topic). Default true. */
  competingSplit?: boolean;
  /**
   * Different apps each receive all of a topic. False for queue-backed pubsubs
   * (pubsub.azure.servicebus.queues), where every subscriber competes. Default true.
   */
  fanOut?: boolean;
  /** The broker enforces TTL natively (MESSAGE_TTL): the CloudEvent carries no `expiration`. */
  nativeTtl?: boolean;
  /** How long a negative assertion ("never redelivered") waits. Default 1500 ms. */
  quietMs?: number;
  /** Per-test Jest timeout. Default 60 s. */
  testTimeoutMs?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class OrderDto {
  @IsString()
  id!: string;

  @IsInt()
  @Min(1)
  qty!: number;
}

export function describePubSubConformance(
  label: string,
  factory: PubSubComponentFactory,
  options: PubSubConformanceOptions = {},
): void {
  const checkInOrder = options.checkInOrder ?? true;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const count = options.messageCount ?? 10;
  const settleMs = options.settleMs ?? 0;
  const quietMs = options.quietMs ?? 1500;
  const testTimeout = options.testTimeoutMs ?? 60_000;

  describe(`pub/sub conformance: ${label}`, () => {
    let apps: INestApplication[] = [];
    let run = '';

    beforeEach(() => {
      run = newRunId();
    });

    afterEach(async () => {
      const closing = apps;
      apps = [];
      for (const app of closing.reverse()) await app.close();
    });

    const topic = (name: string) => `${name}-${run}`;

    async function app(
      appId: string,
      providers: Type<unknown>[] = [],
      extra: { controllers?: Type<unknown>[]; metadata?: Record<string, string> } = {},
    ): Promise<INestApplication> {
      const def = await factory({ runId: run, appId });
      const component: ComponentDefinition = extra.metadata
        ? { ...def, metadata: { ...(def.metadata ?? {}), ...extra.metadata } }
        : def;
      const a = await startApp({ appId, components: [component], providers, controllers: extra.controllers });
      apps.push(a);
      return a;
    }

    /** The pubsub name handlers must use: known only after the factory ran, so resolve it first. */
    async function name(): Promise<string> {
      const def = await factory({ runId: run, appId: 'probe' });
      return def.name;
    }

    const settle = () => (settleMs ? sleep(settleMs) : Promise.resolve());

    it(
      'delivers published events in Dapr CloudEvents 1.0 envelopes',
      async () => {
        const ps = await name();
        const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
        const t = topic('basic');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown, event: CloudEvent) {
            rec.add('basic', { data, event });
          }
        }
        const a = await app('conf-basic', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        const expected: string[] = [];
        for (let i = 0; i < count; i++) {
          const msg = `message-${run}-${i}`;
          expected.push(msg);
          await pub.publish(ps, t, msg);
        }
        await pub.publish(ps, t, { kind: 'object', n: 1.5, list: [1, 'a'] });
        await waitFor(() => rec.count('basic') >= count + 1, () => `${count + 1} deliveries, got ${rec.count('basic')}`, timeoutMs);

        const texts = rec.get('basic').filter((r) => typeof r.data === 'string');
        const firstSeen: string[] = [];
        for (const r of texts) if (!firstSeen.includes(r.data as string)) firstSeen.push(r.data as string);
        expect([...firstSeen].sort()).toEqual([...expected].sort());
        if (checkInOrder) expect(firstSeen).toEqual(expected);

        const { event } = texts[0];
        expect(event.id).toMatch(UUID);
        expect(event.source).toBe('conf-basic');
        expect(event.type).toBe('com.dapr.event.sent');
        expect(event.specversion).toBe('1.0');
        expect(event.datacontenttype).toBe('text/plain');
        expect(event.topic).toBe(t);
        expect(event.pubsubname).toBe(ps);
        expect(event.traceparent).toMatch(TRACEPARENT);
        expect(event.traceid).toBe(event.traceparent);
        expect(typeof event.tracestate).toBe('string');
        expect(event.time).toMatch(RFC3339);
        expect(event.expiration).toBeUndefined();
        expect(typeof event.metadata).toBe('object');
        const ids = new Set(texts.map((r) => r.event.id));
        expect(ids.size).toBe(count);

        const obj = rec.get('basic').find((r) => typeof r.data === 'object')!;
        expect(obj.data).toEqual({ kind: 'object', n: 1.5, list: [1, 'a'] });
        expect(obj.event.datacontenttype).toBe('application/json');
        expect(obj.event.data).toEqual(obj.data);
      },
      testTimeout,
    );

    it(
      'redelivers events whose handler failed until they succeed (Dapr "subscribe" scenario)',
      async () => {
        const ps = await name();
        const rec = new Recorder<string>();
        const failed = new Set<string>();
        const t = topic('failing');
        let received = 0;
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: string) {
            received++;
            rec.add('all', data);
            // The first two messages and every 5th fail once, as in components-contrib.
            const seq = Number(data.split('-').pop());
            if ((received <= 2 || seq % 5 === 0) && !failed.has(data)) {
              failed.add(data);
              throw new Error(`simulated failure for ${data}`);
            }
            rec.add('ok', data);
          }
        }
        const a = await app('conf-failing', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        const expected = Array.from({ length: count }, (_, i) => `message-${run}-${i}`);
        for (const m of expected) await pub.publish(ps, t, m);
        await waitFor(
          () => new Set(rec.get('ok')).size === count,
          () => `all ${count} handled, got ${new Set(rec.get('ok')).size}`,
          timeoutMs,
        );
        expect(failed.size).toBeGreaterThanOrEqual(2);
        expect([...new Set(rec.get('ok'))].sort()).toEqual([...expected].sort());
      },
      testTimeout,
    );

    it(
      'keeps topics apart: each handler receives exactly its topic (Dapr "multiple handlers")',
      async () => {
        const ps = await name();
        const rec = new Recorder<string>();
        const t1 = topic('multi1');
        const t2 = topic('multi2');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t1 })
          one(data: string) {
            rec.add('t1', data);
          }
          @Subscribe({ pubsub: ps, topic: t2 })
          two(data: string) {
            rec.add('t2', data);
          }
        }
        const a = await app('conf-multi', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        const e1: string[] = [];
        const e2: string[] = [];
        for (let i = 0; i < count; i++) {
          const target = i % 2 === 0 ? t1 : t2;
          const m = `${target}-${i}`;
          (i % 2 === 0 ? e1 : e2).push(m);
          await pub.publish(ps, target, m);
        }
        await waitFor(
          () => new Set(rec.get('t1')).size === e1.length && new Set(rec.get('t2')).size === e2.length,
          'both topics delivered',
          timeoutMs,
        );
        expect([...new Set(rec.get('t1'))].sort()).toEqual(e1.sort());
        expect([...new Set(rec.get('t2'))].sort()).toEqual(e2.sort());
      },
      testTimeout,
    );

    it(
      'routes events with CEL match rules, falling back to the default handler',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const t = topic('routing');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, match: 'event.type == "order.created"' })
          created(data: unknown) {
            rec.add('created', data);
          }
          @Subscribe({ pubsub: ps, topic: t, match: 'has(event.data.amount) && int(event.data.amount) > 100' })
          large(data: unknown) {
            rec.add('large', data);
          }
          @Subscribe({ pubsub: ps, topic: t })
          other(data: unknown) {
            rec.add('other', data);
          }
        }
        const a = await app('conf-routing', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(ps, t, { n: 1, amount: 500 }, { cloudEvent: { type: 'order.created' } });
        await pub.publish(ps, t, { n: 2, amount: 500 });
        await pub.publish(ps, t, { n: 3, amount: 5 });
        await pub.publish(ps, t, { n: 4 });
        await waitFor(() => rec.count('created') + rec.count('large') + rec.count('other') >= 4, '4 routed events', timeoutMs);
        expect(rec.get('created')).toEqual([{ n: 1, amount: 500 }]);
        expect(rec.get('large')).toEqual([{ n: 2, amount: 500 }]);
        expect(rec.get('other')).toEqual(expect.arrayContaining([{ n: 3, amount: 5 }, { n: 4 }]));
      },
      testTimeout,
    );

    it(
      'dead-letters an event after retries run out, with its original envelope',
      async () => {
        const ps = await name();
        const rec = new Recorder<CloudEvent>();
        const t = topic('poison');
        const dlq = topic('poison-dead');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          on(_data: unknown, event: CloudEvent) {
            rec.add('attempt', event);
            throw new Error('always fails');
          }
          @Subscribe({ pubsub: ps, topic: dlq })
          dead(_data: unknown, event: CloudEvent) {
            rec.add('dead', event);
          }
        }
        const a = await app('conf-dlq', [Handlers]);
        await settle();
        await a.get(PubSubService).publish(ps, t, { order: 42 }, { cloudEvent: { id: `poison-${run}` } });
        await waitFor(() => rec.count('dead') >= 1, 'the dead-lettered event', timeoutMs);
        const dead = rec.get('dead')[0];
        expect(dead.id).toBe(`poison-${run}`);
        expect(dead.data).toEqual({ order: 42 });
        // The envelope is the original one: it still names the original topic.
        expect(dead.topic).toBe(t);
        expect(rec.count('attempt')).toBeGreaterThan(1);
        const attempts = rec.count('attempt');
        await sleep(quietMs);
        expect(rec.count('attempt')).toBe(attempts);
      },
      testTimeout,
    );

    it(
      'DropEvent and SubscriptionStatus.DROP drop the event without retrying it',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const t1 = topic('drop-dlq');
        const dlq = topic('drop-dead');
        const t2 = topic('drop-plain');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t1, deadLetterTopic: dlq })
          thrower(data: unknown) {
            rec.add('thrower', data);
            throw new DropEvent('not for us');
          }
          @Subscribe({ pubsub: ps, topic: dlq })
          dead(data: unknown) {
            rec.add('dead', data);
          }
          @Subscribe({ pubsub: ps, topic: t2 })
          status(data: { n: number }) {
            rec.add('status', data);
            return data.n === 1 ? SubscriptionStatus.DROP : undefined;
          }
        }
        const a = await app('conf-drop', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(ps, t1, { drop: 'me' });
        await pub.publish(ps, t2, { n: 1 });
        await pub.publish(ps, t2, { n: 2 });
        await waitFor(() => rec.count('dead') === 1 && rec.count('status') >= 2, 'dropped and dead-lettered events', timeoutMs);
        await sleep(quietMs);
        expect(rec.get('dead')).toEqual([{ drop: 'me' }]);
        expect(rec.count('thrower')).toBe(1);
        expect(rec.get('status').filter((d) => (d as { n: number }).n === 1)).toHaveLength(1);
      },
      testTimeout,
    );

    it(
      'SubscriptionStatus.RETRY has the event delivered again',
      async () => {
        const ps = await name();
        const rec = new Recorder<number>();
        const t = topic('retry');
        let calls = 0;
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: number) {
            calls++;
            rec.add('calls', data);
            if (calls === 1) return SubscriptionStatus.RETRY;
            rec.add('done', data);
            return SubscriptionStatus.SUCCESS;
          }
        }
        const a = await app('conf-retry', [Handlers]);
        await settle();
        await a.get(PubSubService).publish(ps, t, 7);
        await waitFor(() => rec.count('done') === 1, 'the retried event', timeoutMs);
        expect(rec.get('calls')).toEqual([7, 7]);
      },
      testTimeout,
    );

    it(
      'drops expired events (CloudEvent expiration) to the dead-letter topic and stamps ttlInSeconds',
      async () => {
        const ps = await name();
        const rec = new Recorder<CloudEvent>();
        const t = topic('ttl');
        const dlq = topic('ttl-dead');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          on(_d: unknown, event: CloudEvent) {
            rec.add('live', event);
          }
          // Raw: a CloudEvent subscriber of the dead-letter topic would drop the expired event again.
          @Subscribe({ pubsub: ps, topic: dlq, metadata: { rawPayload: 'true' } })
          dead(data: CloudEvent) {
            rec.add('dead', data);
          }
        }
        const a = await app('conf-ttl', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(
          ps,
          t,
          { id: `expired-${run}`, source: 'test', type: 'test.expired', specversion: '1.0', data: { stale: true }, expiration: '2020-01-01T00:00:00Z' },
          { contentType: 'application/cloudevents+json' },
        );
        const before = Date.now();
        await pub.publish(ps, t, { fresh: true }, { metadata: { ttlInSeconds: '60' } });
        await waitFor(() => rec.count('dead') === 1 && rec.count('live') === 1, 'expired and fresh events', timeoutMs);
        expect(rec.get('dead')[0].id).toBe(`expired-${run}`);
        const live = rec.get('live')[0];
        expect(live.data).toEqual({ fresh: true });
        if (!options.nativeTtl) {
          expect(live.expiration).toMatch(RFC3339);
          const exp = Date.parse(live.expiration!);
          expect(exp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 59_000);
          expect(exp).toBeLessThanOrEqual(Date.now() + 61_000);
        }
      },
      testTimeout,
    );

    it(
      'validates class-validator payloads: invalid events are dead-lettered, never retried',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const t = topic('validated');
        const dlq = topic('validated-dead');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          on(order: OrderDto) {
            rec.add('valid', order);
          }
          @Subscribe({ pubsub: ps, topic: dlq })
          dead(data: unknown) {
            rec.add('dead', data);
          }
        }
        const a = await app('conf-validate', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(ps, t, { id: 'bad', qty: 0 });
        await pub.publish(ps, t, { id: 'good', qty: 2 });
        await waitFor(() => rec.count('dead') === 1 && rec.count('valid') === 1, 'valid and invalid events', timeoutMs);
        await sleep(quietMs);
        expect(rec.get('dead')).toEqual([{ id: 'bad', qty: 0 }]);
        expect(rec.count('valid')).toBe(1);
        const valid = rec.get('valid')[0];
        expect(valid).toBeInstanceOf(OrderDto);
        expect(valid).toEqual(Object.assign(new OrderDto(), { id: 'good', qty: 2 }));
      },
      testTimeout,
    );

    it(
      'rawPayload: publishes the bytes as they are and synthesises a CloudEvent for raw subscribers',
      async () => {
        const ps = await name();
        const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
        const t = topic('raw');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, metadata: { rawPayload: 'true' } })
          on(data: unknown, event: CloudEvent) {
            rec.add('raw', { data, event });
          }
        }
        const a = await app('conf-raw', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        const bytes = Buffer.from([0, 1, 2, 250, 255]);
        await pub.publish(ps, t, bytes, { metadata: { rawPayload: 'true' } });
        await waitFor(() => rec.count('raw') === 1, 'the raw bytes', timeoutMs);
        await pub.publish(ps, t, { plain: 'json' }, { metadata: { rawPayload: 'true' } });
        await waitFor(() => rec.count('raw') === 2, 'the raw JSON', timeoutMs);
        const [first, second] = rec.get('raw');
        expect(Buffer.isBuffer(first.data)).toBe(true);
        expect(Buffer.compare(first.data as Buffer, bytes)).toBe(0);
        expect(first.event.data_base64).toBe(bytes.toString('base64'));
        expect(first.event.datacontenttype).toBe('application/octet-stream');
        expect(first.event.source).toBe('Dapr');
        expect(first.event.type).toBe('com.dapr.event.sent');
        expect(first.event.specversion).toBe('1.0');
        expect(first.event.topic).toBe(t);
        expect(first.event.pubsubname).toBe(ps);
        expect(first.event.id).toMatch(UUID);
        expect(second.data).toEqual({ plain: 'json' });
      },
      testTimeout,
    );

    it(
      'keeps app-supplied CloudEvents, and a non-JSON body with a JSON content type arrives as a string',
      async () => {
        const ps = await name();
        const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
        const t = topic('appce');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown, event: CloudEvent) {
            rec.add('ev', { data, event });
          }
        }
        const a = await app('conf-appce', [Handlers]);
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(
          ps,
          t,
          { id: `mine-${run}`, source: 'my-source', type: 'my.type', specversion: '1.0', datacontenttype: 'application/json', data: { a: 1 }, myext: 'x' },
          { contentType: 'application/cloudevents+json' },
        );
        await pub.publish(ps, t, 'not json {', { contentType: 'application/json' });
        await waitFor(() => rec.count('ev') >= 2, 'both events', timeoutMs);
        const mine = rec.get('ev').find((r) => r.event.id === `mine-${run}`)!;
        expect(mine.event.source).toBe('my-source');
        expect(mine.event.type).toBe('my.type');
        expect(mine.event.myext).toBe('x');
        expect(mine.event.topic).toBe(t);
        expect(mine.event.pubsubname).toBe(ps);
        expect(mine.event.time).toMatch(RFC3339);
        expect(mine.data).toEqual({ a: 1 });
        const str = rec.get('ev').find((r) => r.event.id !== `mine-${run}`)!;
        expect(str.data).toBe('not json {');
        expect(str.event.datacontenttype).toBe('application/json');
      },
      testTimeout,
    );

    it(
      'a malformed CloudEvent on the wire goes to the dead-letter topic',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const t = topic('malformed');
        const dlq = topic('malformed-dead');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          on(data: unknown) {
            rec.add('handled', data);
          }
          @Subscribe({ pubsub: ps, topic: dlq, metadata: { rawPayload: 'true' } })
          dead(data: unknown) {
            rec.add('dead', data);
          }
        }
        const a = await app('conf-malformed', [Handlers]);
        await settle();
        await a.get(PubSubService).publish(ps, t, 'this is { not a cloudevent', { metadata: { rawPayload: 'true' } });
        await waitFor(() => rec.count('dead') === 1, 'the malformed message in the dead-letter topic', timeoutMs);
        expect(Buffer.from(rec.get('dead')[0] as Buffer).toString()).toBe('this is { not a cloudevent');
        expect(rec.count('handled')).toBe(0);
      },
      testTimeout,
    );

    it(
      'enforces topic scopes and names the known pubsubs for an unknown one',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const allowed = topic('scoped-ok');
        const denied = topic('scoped-no');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: allowed })
          ok(data: unknown) {
            rec.add('ok', data);
          }
          @Subscribe({ pubsub: ps, topic: denied })
          no(data: unknown) {
            rec.add('no', data);
          }
        }
        const scoped = await app('conf-scoped', [Handlers], {
          metadata: {
            publishingScopes: `conf-scoped=${allowed}`,
            subscriptionScopes: `conf-scoped=${allowed};other-app=`,
          },
        });
        const pub = scoped.get(PubSubService);
        await expect(pub.publish(ps, denied, { x: 1 })).rejects.toBeInstanceOf(PubSubForbiddenError);
        await expect(pub.publish(ps, denied, { x: 1 })).rejects.toMatchObject({ errorCode: 'ERR_PUBSUB_FORBIDDEN' });
        await expect(pub.publish('no-such-pubsub', allowed, {})).rejects.toBeInstanceOf(PubSubNotFoundError);
        await expect(pub.publish('no-such-pubsub', allowed, {})).rejects.toThrow(ps);
        // Another app without scopes publishes to both topics; the scoped app only subscribed to one.
        const other = await app('conf-unscoped');
        await settle();
        await other.get(PubSubService).publish(ps, denied, { to: 'denied' });
        await other.get(PubSubService).publish(ps, allowed, { to: 'allowed' });
        await waitFor(() => rec.count('ok') === 1, 'the allowed topic', timeoutMs);
        await sleep(quietMs);
        expect(rec.count('no')).toBe(0);
        // allowedTopics closes everything else, for everyone.
        const locked = await app('conf-locked', [], { metadata: { allowedTopics: allowed } });
        await expect(locked.get(PubSubService).publish(ps, denied, {})).rejects.toBeInstanceOf(PubSubForbiddenError);
        await locked.get(PubSubService).publish(ps, allowed, { to: 'allowed-again' });
      },
      testTimeout,
    );

    it(
      'runs handlers on controllers and providers through guards, interceptors, pipes and exception filters',
      async () => {
        const ps = await name();
        const rec = new Recorder<unknown>();
        const t1 = topic('ctl');
        const t2 = topic('filtered');
        const dlq = topic('filtered-dead');
        const t3 = topic('piped');
        const t4 = topic('guarded');

        @Injectable()
        class TagInterceptor implements NestInterceptor {
          intercept(ctx: ExecutionContext, next: CallHandler) {
            rec.add('intercepted', { type: ctx.getType(), args: ctx.getArgs().length, topic: (ctx.getArgs()[1] as CloudEvent).topic });
            return next.handle();
          }
        }

        class DropFilter implements ExceptionFilter {
          catch(exception: Error, host: ArgumentsHost) {
            rec.add('filtered', { message: exception.message, type: host.getType() });
            return SubscriptionStatus.DROP;
          }
        }

        @Controller()
        @UseInterceptors(TagInterceptor)
        class EventsController {
          @Subscribe({ pubsub: ps, topic: t1 })
          on(data: unknown) {
            rec.add('controller', data);
          }
        }

        class OnlyAllowed implements CanActivate {
          canActivate(ctx: ExecutionContext) {
            const data = ctx.getArgs()[0] as { allowed?: boolean };
            rec.add('guarded', { type: ctx.getType(), allowed: !!data?.allowed });
            return !!data?.allowed;
          }
        }

        class TagPipe implements PipeTransform {
          transform(value: unknown, meta: ArgumentMetadata) {
            // Pipes see the payload as `data` and the CloudEvent as `event`.
            return meta.data === 'data' && value && typeof value === 'object' ? { ...value, piped: true } : value;
          }
        }

        @Injectable()
        class FilteredHandlers {
          @Subscribe({ pubsub: ps, topic: t4, deadLetterTopic: dlq })
          @UseGuards(new OnlyAllowed())
          guarded(data: unknown) {
            rec.add('admitted', data);
          }

          @Subscribe({ pubsub: ps, topic: t3 })
          @UsePipes(new TagPipe())
          piped(data: unknown, event: CloudEvent) {
            rec.add('piped', { data, topic: event.topic });
          }

          @Subscribe({ pubsub: ps, topic: t2, deadLetterTopic: dlq })
          @UseFilters(new DropFilter())
          on(data: unknown) {
            rec.add('provider', data);
            throw new Error('mapped by the filter');
          }
          @Subscribe({ pubsub: ps, topic: dlq })
          dead(data: unknown) {
            rec.add('dead', data);
          }
        }

        const a = await app('conf-nest', [FilteredHandlers, TagInterceptor], { controllers: [EventsController] });
        await settle();
        const pub = a.get(PubSubService);
        await pub.publish(ps, t1, { via: 'controller' });
        await pub.publish(ps, t2, { via: 'provider' });
        await pub.publish(ps, t3, { via: 'pipe' });
        await pub.publish(ps, t4, { allowed: true, n: 1 });
        await pub.publish(ps, t4, { allowed: false, n: 2 });
        await waitFor(
          () =>
            rec.count('controller') === 1 &&
            rec.count('dead') === 2 &&
            rec.count('piped') === 1 &&
            rec.count('admitted') === 1,
          'controller, filtered and piped events',
          timeoutMs,
        );
        expect(rec.get('piped')).toEqual([{ data: { via: 'pipe', piped: true }, topic: t3 }]);
        await sleep(quietMs);
        expect(rec.get('controller')).toEqual([{ via: 'controller' }]);
        expect(rec.get('intercepted')).toEqual([{ type: 'dapr', args: 2, topic: t1 }]);
        expect(rec.get('filtered')).toEqual([{ message: 'mapped by the filter', type: 'dapr' }]);
        expect(rec.count('provider')).toBe(1);
        // The guard-denied event is dropped to the dead-letter topic, not retried.
        expect(rec.get('dead')).toEqual(expect.arrayContaining([{ via: 'provider' }, { allowed: false, n: 2 }]));
        expect(rec.get('dead')).toHaveLength(2);
        expect(rec.get('admitted')).toEqual([{ allowed: true, n: 1 }]);
        expect(rec.get('guarded')).toEqual(
          expect.arrayContaining([
            { type: 'dapr', allowed: true },
            { type: 'dapr', allowed: false },
          ]),
        );
        expect(rec.count('guarded')).toBe(2);
      },
      testTimeout,
    );

    it(
      'instances of one app compete for a topic; different apps each receive all of it',
      async () => {
        const ps = await name();
        const rec = new Recorder<string>();
        const t = topic('fanout');
        const make = (key: string) => {
          @Injectable()
          class Handlers {
            @Subscribe({ pubsub: ps, topic: t })
            async on(data: string) {
              rec.add(key, data);
              await sleep(20);
            }
          }
          return Handlers;
        };
        await app('conf-workers', [make('worker-1')]);
        await app('conf-workers', [make('worker-2')]);
        await app('conf-audit', [make('audit')]);
        const publisher = await app('conf-publisher');
        await settle();
        const n = Math.max(20, count * 2);
        const expected = Array.from({ length: n }, (_, i) => `fan-${run}-${i}`);
        for (const m of expected) await publisher.get(PubSubService).publish(ps, t, m);
        const workers = () => new Set([...rec.get('worker-1'), ...rec.get('worker-2')]);
        if (options.fanOut === false) {
          // A queue: every subscriber, whatever its app id, competes for each message.
          const all = () => new Set([...workers(), ...rec.get('audit')]);
          await waitFor(() => all().size === n, () => `all subscribers ${all().size}/${n}`, timeoutMs);
          expect([...all()].sort()).toEqual([...expected].sort());
          expect(rec.count('worker-1') + rec.count('worker-2') + rec.count('audit')).toBeLessThan(2 * n);
          return;
        }
        await waitFor(
          () => workers().size === n && new Set(rec.get('audit')).size === n,
          () => `workers ${workers().size}/${n}, audit ${new Set(rec.get('audit')).size}/${n}`,
          timeoutMs,
        );
        expect([...workers()].sort()).toEqual([...expected].sort());
        if (options.competingSplit ?? true) {
          expect(rec.count('worker-1')).toBeGreaterThan(0);
          expect(rec.count('worker-2')).toBeGreaterThan(0);
          // Competing, not both receiving everything.
          expect(rec.count('worker-1') + rec.count('worker-2')).toBeLessThan(2 * n);
        }
      },
      testTimeout,
    );

    it(
      'bulk publish delivers every entry and reports no failed entries',
      async () => {
        const ps = await name();
        const rec = new Recorder<{ data: unknown; event: CloudEvent }>();
        const t = topic('bulk');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown, event: CloudEvent) {
            rec.add('bulk', { data, event });
          }
        }
        const a = await app('conf-bulk', [Handlers]);
        await settle();
        const entries = Array.from({ length: count }, (_, i) => ({
          entryId: String(11 + i),
          event: `bulk-${run}-${i}`,
          contentType: 'text/plain',
        }));
        const res = await a.get(PubSubService).publishBulk(ps, t, entries);
        expect(res).toEqual({ failedEntries: [] });
        await waitFor(() => new Set(rec.get('bulk').map((r) => r.data)).size === count, 'all bulk entries', timeoutMs);
        expect(new Set(rec.get('bulk').map((r) => r.event.id)).size).toBe(count);
        expect([...new Set(rec.get('bulk').map((r) => r.data))].sort()).toEqual(entries.map((e) => e.event).sort());
      },
      testTimeout,
    );

    it(
      'shutdown stops intake and lets in-flight handlers finish',
      async () => {
        const ps = await name();
        const rec = new Recorder<string>();
        const t = topic('drain');
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          async on(data: string) {
            rec.add('started', data);
            await sleep(400);
            rec.add('finished', data);
          }
        }
        const a = await app('conf-drain', [Handlers]);
        await settle();
        await a.get(PubSubService).publish(ps, t, 'slow');
        await waitFor(() => rec.count('started') === 1, 'the slow handler to start', timeoutMs);
        apps = apps.filter((x) => x !== a);
        await a.close();
        expect(rec.get('finished')).toEqual(['slow']);
      },
      testTimeout,
    );

  });
}
