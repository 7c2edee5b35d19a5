import { Injectable, Logger, type INestApplication, type Type } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Test } from '@nestjs/testing';
import { DaprModule, PubSubService, Subscribe, type ComponentDefinition, type DaprLimitsOptions } from 'nest-dapr';
import { runId as newRunId, sleep, waitFor } from '../pubsub/pubsub-test-kit';
import { HOSTILE_CLOUD_EVENTS } from './hostile-inputs';

export type ComponentFactory = (ctx: { runId: string; appId: string }) => ComponentDefinition | Promise<ComponentDefinition>;

export interface HostileDeliveryOptions {
  /** How the driver names a message's place in ERROR logs. */
  where: RegExp;
  /** Extra per-driver tests (raw writes to the broker), run inside the describe. */
  extra?: (ctx: HostileDeliveryContext) => void;
  timeoutMs?: number;
}

export interface HostileDeliveryContext {
  /** Starts an app with the driver's component (plus metadata) and the given handler classes. */
  app(appId: string, providers: Type<unknown>[], more?: { limits?: DaprLimitsOptions; metadata?: Record<string, string> }): Promise<INestApplication>;
  topic(name: string): string;
  runId(): string;
  pubsubName(): Promise<string>;
  errors(): string[];
  undecodable(topic: string): Promise<number>;
  timeoutMs: number;
}

/** Collects the metrics of this file's apps on demand. */
class CollectingReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Bad input on a real broker (issue 13 items 2, 5, 6): every hostile
 * CloudEvent from the table, published raw, is dead-lettered when the
 * subscription has a dead-letter topic and otherwise dropped with an ERROR log
 * that names where it sits, counted in `nest_dapr_pubsub_undecodable_total` —
 * and the valid message published after them is delivered. Oversized messages
 * likewise. A handler that never returns times out and the subscription moves
 * on, and shutdown finishes within the drain timeout with a handler hung.
 */
export function describeHostileDelivery(label: string, factory: ComponentFactory, options: HostileDeliveryOptions): void {
  const timeoutMs = options.timeoutMs ?? 20_000;

  describe(`hostile deliveries: ${label}`, () => {
    const reader = new CollectingReader();
    let apps: INestApplication[] = [];
    let run = '';
    let errorSpy: jest.SpyInstance;

    beforeAll(() => {
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    });

    beforeEach(() => {
      run = newRunId();
      errorSpy = jest.spyOn(Logger.prototype, 'error');
    });

    afterEach(async () => {
      errorSpy.mockRestore();
      const closing = apps;
      apps = [];
      for (const a of closing.reverse()) await a.close();
    });

    const ctx: HostileDeliveryContext = {
      timeoutMs,
      topic: (name) => `${name}-${run}`,
      runId: () => run,
      pubsubName: async () => (await factory({ runId: run, appId: 'probe' })).name,
      errors: () => errorSpy.mock.calls.map((c) => String(c[0])),
      async undecodable(topic) {
        const { resourceMetrics } = await reader.collect();
        let total = 0;
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const m of scope.metrics) {
            if (m.descriptor.name !== 'nest_dapr_pubsub_undecodable_total') continue;
            for (const p of m.dataPoints) if (p.attributes.topic === topic) total += p.value as number;
          }
        }
        return total;
      },
      async app(appId, providers, more = {}) {
        const def = await factory({ runId: run, appId });
        const component = more.metadata ? { ...def, metadata: { ...(def.metadata ?? {}), ...more.metadata } } : def;
        const moduleRef = await Test.createTestingModule({
          imports: [DaprModule.forRoot({ appId, components: [component], limits: more.limits })],
          providers,
        }).compile();
        const a = moduleRef.createNestApplication({ logger: ['error'] });
        await a.init();
        apps.push(a);
        return a;
      },
    };

    /** Publishes the bytes as they are (no envelope), declared JSON so no driver takes them for binary mode. */
    const publishRaw = (pub: PubSubService, ps: string, t: string, body: string) =>
      pub.publish(ps, t, body, { contentType: 'application/json', metadata: { rawPayload: 'true' } });

    it(
      'dead-letters every hostile CloudEvent and delivers the valid one published after them',
      async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-dlq');
        const dlq = ctx.topic('hostile-dlq-dead');
        const handled: unknown[] = [];
        const deadLettered: string[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          on(data: unknown) {
            handled.push(data);
          }
          @Subscribe({ pubsub: ps, topic: dlq, metadata: { rawPayload: 'true' } })
          dead(data: unknown) {
            deadLettered.push(Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data));
          }
        }
        const a = await ctx.app('hostile-dlq', [Handlers]);
        const pub = a.get(PubSubService);
        for (const h of HOSTILE_CLOUD_EVENTS) await publishRaw(pub, ps, t, h.body);
        await pub.publish(ps, t, { sentinel: run });
        await waitFor(() => handled.length >= 1 && deadLettered.length >= HOSTILE_CLOUD_EVENTS.length, () => `sentinel and ${HOSTILE_CLOUD_EVENTS.length} dead letters, got ${handled.length} and ${deadLettered.length}`, timeoutMs);
        expect(handled).toEqual([{ sentinel: run }]);
        expect(deadLettered).toHaveLength(HOSTILE_CLOUD_EVENTS.length);
        expect(await ctx.undecodable(t)).toBe(HOSTILE_CLOUD_EVENTS.length);
      },
      timeoutMs * 3,
    );

    it(
      'without a dead-letter topic drops them with an ERROR log naming topic and place, counts them, and moves on',
      async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-drop');
        const handled: unknown[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown) {
            handled.push(data);
          }
        }
        const a = await ctx.app('hostile-drop', [Handlers]);
        const pub = a.get(PubSubService);
        for (const h of HOSTILE_CLOUD_EVENTS) await publishRaw(pub, ps, t, h.body);
        await pub.publish(ps, t, { sentinel: run });
        await waitFor(() => handled.length >= 1, 'the valid message after the hostile ones', timeoutMs);
        expect(handled).toEqual([{ sentinel: run }]);
        const logs = ctx.errors().filter((e) => e.includes(`topic ${t}`) && e.includes('undecodable'));
        expect(logs).toHaveLength(HOSTILE_CLOUD_EVENTS.length);
        for (const log of logs) {
          expect(log).toMatch(options.where);
          expect(log).toMatch(/dropped \(no dead-letter topic\)/);
        }
        for (const h of HOSTILE_CLOUD_EVENTS) expect(logs.some((l) => h.reason.test(l))).toBe(true);
        expect(await ctx.undecodable(t)).toBe(HOSTILE_CLOUD_EVENTS.length);
        // Dropped means settled: nothing comes back.
        await sleep(1_000);
        expect(handled).toHaveLength(1);
        expect(ctx.errors().filter((e) => e.includes(`topic ${t}`))).toHaveLength(HOSTILE_CLOUD_EVENTS.length);
      },
      timeoutMs * 3,
    );

    it(
      'drops a message above limits.maxBodySize and delivers the next',
      async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-big');
        const handled: unknown[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          on(data: unknown) {
            handled.push(data);
          }
        }
        const a = await ctx.app('hostile-big', [Handlers], { limits: { maxBodySize: '2Ki' } });
        const pub = a.get(PubSubService);
        await pub.publish(ps, t, { pad: 'x'.repeat(4096) });
        await pub.publish(ps, t, { sentinel: run });
        await waitFor(() => handled.length >= 1, 'the message after the oversized one', timeoutMs);
        expect(handled).toEqual([{ sentinel: run }]);
        expect(ctx.errors().some((e) => e.includes(`topic ${t}`) && /more than limits\.maxBodySize \(2048 bytes\)/.test(e))).toBe(true);
      },
      timeoutMs * 3,
    );

    it(
      'a handler that never returns times out (to the dead-letter topic) and later messages are delivered',
      async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-hang');
        const dlq = ctx.topic('hostile-hang-dead');
        const handled: string[] = [];
        const deadLettered: string[] = [];
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t, deadLetterTopic: dlq })
          async on(data: string) {
            if (data.startsWith('hang')) await new Promise(() => undefined);
            handled.push(data);
          }
          @Subscribe({ pubsub: ps, topic: dlq })
          dead(data: string) {
            deadLettered.push(data);
          }
        }
        const a = await ctx.app('hostile-hang', [Handlers], { limits: { handlerTimeoutMs: 400, drainTimeoutMs: 500 } });
        const pub = a.get(PubSubService);
        for (const m of ['hang-1', 'hang-2', 'ok-1', 'ok-2', 'ok-3']) await pub.publish(ps, t, m);
        await waitFor(() => handled.length >= 3 && deadLettered.length >= 2, () => `3 handled and 2 dead letters, got ${handled} / ${deadLettered}`, timeoutMs);
        expect([...handled].sort()).toEqual(['ok-1', 'ok-2', 'ok-3']);
        expect([...deadLettered].sort()).toEqual(['hang-1', 'hang-2']);
      },
      timeoutMs * 3,
    );

    it(
      'shutdown finishes within the drain timeout while a handler hangs',
      async () => {
        const ps = await ctx.pubsubName();
        const t = ctx.topic('hostile-close');
        let started = 0;
        @Injectable()
        class Handlers {
          @Subscribe({ pubsub: ps, topic: t })
          async on() {
            started++;
            await new Promise(() => undefined);
          }
        }
        const a = await ctx.app('hostile-close', [Handlers], { limits: { drainTimeoutMs: 500 } });
        apps.splice(apps.indexOf(a), 1);
        await a.get(PubSubService).publish(ps, t, 'hang');
        await waitFor(() => started >= 1, 'the handler to start', timeoutMs);
        const closing = Date.now();
        await a.close();
        // The drain timeout, plus the drivers' own disconnect.
        expect(Date.now() - closing).toBeLessThan(500 + 4_000);
      },
      timeoutMs * 3,
    );

    options.extra?.(ctx);
  });
}
