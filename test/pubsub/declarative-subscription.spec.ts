import { Body, Controller, Headers, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprModule, PubSubService, SubscriptionConfigError, type CloudEvent } from 'nest-dapr';
import { Recorder, runId, waitFor } from './pubsub-test-kit';

/** Declarative Subscription YAML (dapr.io/v2alpha1) routed to controller POST routes, as daprd would. */
describe('declarative Subscription resources', () => {
  let dir: string;
  let app: INestApplication | undefined;
  const rec = new Recorder<unknown>();

  @Controller('events')
  class EventsController {
    @Post('widgets')
    widgets(@Body() event: CloudEvent, @Headers() metadata: Record<string, string>) {
      rec.add('widgets', { data: event.data, type: event.type, hasMetadata: typeof metadata === 'object' });
    }

    @Post('other')
    other(@Body('data') data: unknown) {
      rec.add('other', data);
      return { status: 'SUCCESS' };
    }

    @Post('dead')
    dead(@Body('data') data: unknown) {
      rec.add('dead', data);
    }
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-subs-'));
    writeFileSync(
      join(dir, 'pubsub.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: memps\nspec:\n  type: pubsub.in-memory\n  version: v1\n',
    );
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function boot(): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'decl', componentsPath: dir })],
      controllers: [EventsController],
    }).compile();
    const a = moduleRef.createNestApplication({ logger: ['error'] });
    await a.init();
    return a;
  }

  it('routes a topic to controller routes by CEL rules and the default route', async () => {
    const topic = `decl-${runId()}`;
    writeFileSync(
      join(dir, 'subscription.yaml'),
      [
        'apiVersion: dapr.io/v2alpha1',
        'kind: Subscription',
        'metadata:',
        '  name: widgets-sub',
        'spec:',
        '  pubsubname: memps',
        `  topic: ${topic}`,
        '  routes:',
        '    rules:',
        '    - match: event.type == "widget"',
        '      path: /events/widgets',
        '    default: /events/other',
        'scopes:',
        '- decl',
        '',
      ].join('\n'),
    );
    app = await boot();
    const pub = app.get(PubSubService);
    await pub.publish('memps', topic, { w: 1 }, { cloudEvent: { type: 'widget' } });
    await pub.publish('memps', topic, { o: 2 });
    await waitFor(() => rec.count('widgets') === 1 && rec.count('other') === 1, 'both routes');
    expect(rec.get('widgets')).toEqual([{ data: { w: 1 }, type: 'widget', hasMetadata: true }]);
    expect(rec.get('other')).toEqual([{ o: 2 }]);
  });

  it('a match rule on a field the event lacks dead-letters the event instead of taking the default route (Dapr)', async () => {
    const topic = `decl-missing-${runId()}`;
    const dlq = `${topic}-dlq`;
    const sub = (name: string, t: string, routes: string[], extra: string[] = []) =>
      ['apiVersion: dapr.io/v2alpha1', 'kind: Subscription', 'metadata:', `  name: ${name}`, 'spec:', '  pubsubname: memps', `  topic: ${t}`, ...extra, '  routes:', ...routes].join('\n');
    writeFileSync(
      join(dir, 'subscription.yaml'),
      [
        sub('orders', topic, ['    rules:', '    - match: event.data.kind == "widget"', '      path: /events/widgets', '    default: /events/other'], [`  deadLetterTopic: ${dlq}`]),
        sub('orders-dlq', dlq, ['    default: /events/dead']),
        '',
      ].join('\n---\n'),
    );
    app = await boot();
    const before = { other: rec.count('other'), widgets: rec.count('widgets') };
    await app.get(PubSubService).publish('memps', topic, { id: 7 });
    await waitFor(() => rec.count('dead') === 1, 'dead-lettered event');
    expect(rec.get('dead')).toEqual([{ id: 7 }]);
    expect(rec.count('other')).toBe(before.other);
    expect(rec.count('widgets')).toBe(before.widgets);
  });

  it('fails start-up when a route names no POST handler', async () => {
    writeFileSync(
      join(dir, 'subscription.yaml'),
      'apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: broken\nspec:\n  pubsubname: memps\n  topic: t\n  routes:\n    default: /nowhere\n',
    );
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'decl', componentsPath: dir })],
      controllers: [EventsController],
    }).compile();
    const a = moduleRef.createNestApplication({ logger: false });
    const err = await a.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SubscriptionConfigError);
    expect((err as Error).message).toMatch(/\/nowhere.*\/events\/widgets/);
    await a.close();
  });
});
