import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { DaprModule, OnBinding } from 'nest-dapr';
import { parseCronSchedule } from '../../libs/dapr/src/components/cron/cron-schedule';
import { bootBindingsApp, waitFor } from './bindings-test-app';

@Injectable()
class CronHandlers {
  readonly ticks: { data: unknown; metadata: Record<string, string>; at: number }[] = [];
  readonly other: number[] = [];

  @OnBinding('every-second')
  onTick(data: unknown, metadata: Record<string, string>) {
    this.ticks.push({ data, metadata, at: Date.now() });
  }

  @OnBinding('six-field')
  onSixField() {
    this.other.push(Date.now());
  }
}

@Injectable()
class FlakyCronHandler {
  readonly attempts: number[] = [];
  readonly succeeded: number[] = [];

  @OnBinding('flaky')
  onTick(_data: unknown, metadata: Record<string, string>) {
    const tick = Date.parse(metadata.readTimeUTC);
    this.attempts.push(tick);
    // Every tick fails 4 times, then succeeds: the built-in fallback (3 attempts) would give up; the policy (4 retries) does not.
    if (this.attempts.filter((t) => t === tick).length <= 4) throw new Error('not yet');
    this.succeeded.push(tick);
  }
}

describe('bindings.cron', () => {
  let app: TestingModule;

  afterEach(() => app?.close());

  it('fires @every 1s the expected number of times in a window, with Dapr metadata', async () => {
    app = await bootBindingsApp(
      [
        { name: 'every-second', type: 'bindings.cron', metadata: { schedule: '@every 1s' } },
        { name: 'six-field', type: 'bindings.cron', metadata: { schedule: '*/1 * * * * *', timeZone: 'Europe/Berlin' } },
        // An input binding without a handler is not read (Dapr's OPTIONS probe would 404).
        { name: 'unused', type: 'bindings.cron', metadata: { schedule: '@every 1s' } },
      ],
      [CronHandlers],
    );
    const h = app.get(CronHandlers);
    const start = Date.now();
    await new Promise((r) => setTimeout(r, 3500));
    const inWindow = h.ticks.filter((t) => t.at - start <= 3500).length;
    // 3 firings in 3.5 s; allow one either side for timer jitter on a busy CI box.
    expect(inWindow).toBeGreaterThanOrEqual(2);
    expect(inWindow).toBeLessThanOrEqual(4);
    expect(h.other.length).toBeGreaterThanOrEqual(2);
    expect(h.other.length).toBeLessThanOrEqual(5);
    const { data, metadata } = h.ticks[0];
    expect(data).toBeUndefined();
    expect(Number.isNaN(Date.parse(metadata.readTimeUTC))).toBe(false);
    expect(metadata.timeZone).toBeTruthy();

    // Stopped in beforeApplicationShutdown: no firing after close.
    await app.close();
    const after = h.ticks.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.ticks.length).toBe(after);
  });

  it('parses 5- and 6-field schedules, descriptors and time zones like robfig/cron', () => {
    const from = new Date('2026-03-10T10:15:30.500Z');
    expect(parseCronSchedule('@every 5s', 'UTC').next(from)?.toISOString()).toBe('2026-03-10T10:15:35.000Z');
    expect(parseCronSchedule('@every 1m30s', 'UTC').next(from)?.toISOString()).toBe('2026-03-10T10:17:00.000Z');
    expect(parseCronSchedule('*/15 * * * *', 'UTC').next(from)?.toISOString()).toBe('2026-03-10T10:30:00.000Z');
    expect(parseCronSchedule('10 * * * * *', 'UTC').next(from)?.toISOString()).toBe('2026-03-10T10:16:10.000Z');
    expect(parseCronSchedule('@hourly', 'UTC').next(from)?.toISOString()).toBe('2026-03-10T11:00:00.000Z');
    expect(parseCronSchedule('@daily', 'UTC').next(from)?.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    // 09:00 in New York (EDT from 8 March 2026) is 13:00 UTC.
    const ny = parseCronSchedule('CRON_TZ=America/New_York 0 9 * * *');
    expect(ny.timeZone).toBe('America/New_York');
    expect(ny.next(from)?.toISOString()).toBe('2026-03-10T13:00:00.000Z');
    expect(parseCronSchedule('0 9 * * *', 'Asia/Tokyo').next(from)?.toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(() => parseCronSchedule('* * *')).toThrow(/5 or 6 fields/);
    expect(() => parseCronSchedule('@fortnightly')).toThrow(/unknown descriptor/);
    expect(() => parseCronSchedule('TZ=Mars/Olympus * * * * *')).toThrow(/unknown time zone/);
  });

  it('runs deliveries under the component inbound resiliency policy', async () => {
    app = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'cron-resiliency',
          components: [{ name: 'flaky', type: 'bindings.cron', metadata: { schedule: '@every 1s' } }],
          resiliency: {
            policies: { retries: { quick: { policy: 'constant', duration: '20ms', maxRetries: 4 } } },
            targets: { components: { flaky: { inbound: { retry: 'quick' } } } },
          },
        }),
      ],
      providers: [FlakyCronHandler],
    }).compile();
    app.useLogger(false);
    await app.init();
    const h = app.get(FlakyCronHandler);
    await waitFor(() => h.succeeded.length >= 1, 5000);
    const tick = h.succeeded[0];
    expect(h.attempts.filter((t) => t === tick)).toHaveLength(5);
  });

  it('refuses a bad schedule at start-up, naming the component and field', async () => {
    await expect(bootBindingsApp([{ name: 'bad', type: 'bindings.cron', metadata: { schedule: 'every now and then' } }])).rejects.toThrow(
      /component "bad": metadata "schedule" is invalid/,
    );
  });
});
