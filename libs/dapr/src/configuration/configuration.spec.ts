import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Test } from '@nestjs/testing';
import { ConfigurationService, ConfigurationRequestError, DaprModule } from 'nest-dapr';
import { itemFromNotification, itemsFromRows, identifierProblem, invalidKey } from '../components/postgresql/postgresql-configuration.sql';
import { keyOfChannel, keyspaceChannel, mergedKeyspaceFlags, parseConfigurationValue } from '../components/redis/redis-configuration.values';
import { ComponentRuntime } from '../runtime/component-runtime';
import type { InMemoryConfigurationStore } from '../components/in-memory/in-memory.configuration-store';
import type { ConfigurationItems } from '../spi/configuration.spi';
import { ConfigurationWatch, DELETED_ITEM } from '../spi/kit/configuration-watch';

describe('Dapr formats of the configuration stores', () => {
  it('Redis: value||version split as Go splits it; keyspace channels per database', () => {
    expect(parseConfigurationValue('v||3')).toEqual({ value: 'v', version: '3' });
    expect(parseConfigurationValue('v')).toEqual({ value: 'v', version: '' });
    expect(parseConfigurationValue('a||b||c')).toEqual({ value: 'a', version: 'b' });
    expect(parseConfigurationValue('||2')).toEqual({ value: '', version: '2' });
    expect(keyspaceChannel('k:1', 2)).toBe('__keyspace@2__:k:1');
    expect(keyOfChannel('__keyspace@2__:k:1', 2)).toBe('k:1');
    expect(keyOfChannel('__keyspace@0__:k', 2)).toBeUndefined();
  });

  it('Redis: notify-keyspace-events gets the classes Dapr needs added, keeping the rest', () => {
    expect(mergedKeyspaceFlags('')).toBe('Kg$xe');
    expect(mergedKeyspaceFlags('El')).toBe('ElKg$xe');
    expect(mergedKeyspaceFlags('AK')).toBeUndefined();
    expect(mergedKeyspaceFlags('Kg$xe')).toBeUndefined();
    expect(mergedKeyspaceFlags('KA')).toBeUndefined();
  });

  it('PostgreSQL: the highest numeric version wins (non-numeric counts as -1), metadata values become strings', () => {
    const rows = [
      { key: 'a', value: '1', version: 'x', metadata: null },
      { key: 'a', value: '2', version: '2', metadata: { n: 1, s: 's' } },
      { key: 'a', value: '3', version: '1', metadata: null },
      { key: 'b', value: 'first', version: 'v1', metadata: '{"k":"v"}' },
      { key: 'b', value: 'second', version: 'v2', metadata: null },
    ];
    expect(itemsFromRows(rows)).toEqual({
      a: { value: '2', version: '2', metadata: { n: '1', s: 's' } },
      b: { value: 'first', version: 'v1', metadata: { k: 'v' } },
    });
  });

  it('PostgreSQL: notifications of the documented trigger, names and keys as Dapr accepts them', () => {
    const payload = JSON.stringify({ table: 't', action: 'UPDATE', data: { key: 'k', value: 'v', version: '2', metadata: { a: 'b' } } });
    expect(itemFromNotification(payload)).toEqual({ key: 'k', item: { value: 'v', version: '2', metadata: { a: 'b' } } });
    expect(itemFromNotification(JSON.stringify({ data: { KEY: 'K', VALUE: 'x', VERSION: '1', METADATA: null } }))).toEqual({
      key: 'K',
      item: { value: 'x', version: '1', metadata: {} },
    });
    expect(itemFromNotification('not json')).toBeUndefined();
    expect(itemFromNotification('{"data":[1]}')).toBeUndefined();
    expect(identifierProblem('table', 'configtable')).toBeUndefined();
    expect(identifierProblem('table', 'Config')).toMatch(/upper cased/);
    expect(identifierProblem('notifyChannel', 'x'.repeat(65))).toMatch(/too long/);
    expect(invalidKey(['a.b/c_d', 'ok'])).toBeUndefined();
    expect(invalidKey(['a b'])).toBe('a b');
  });
});

describe('ConfigurationWatch (driver kit)', () => {
  it('delivers in order, and a resync reports only changed, new and vanished keys', async () => {
    const seen: ConfigurationItems[] = [];
    const watch = new ConfigurationWatch([], async (items) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(items);
    }, () => undefined);
    watch.remember({ a: { value: '1', version: '1', metadata: {} }, b: { value: 'x', version: '', metadata: {} } });
    void watch.deliver({ a: { value: '2', version: '2', metadata: {} } });
    await watch.resync({ a: { value: '2', version: '2', metadata: {} }, c: { value: 'new', version: '1', metadata: {} } });
    expect(seen).toEqual([{ a: { value: '2', version: '2', metadata: {} } }, { c: { value: 'new', version: '1', metadata: {} }, b: DELETED_ITEM }]);
    await watch.resync({ a: { value: '2', version: '2', metadata: {} }, c: { value: 'new', version: '1', metadata: {} } });
    expect(seen).toHaveLength(2);
    await watch.stop();
    await watch.deliver({ a: { value: '3', version: '3', metadata: {} } });
    expect(seen).toHaveLength(2);
  });
});

describe('ConfigurationService: metrics and spans', () => {
  const spans = new InMemorySpanExporter();
  let exporter: PrometheusExporter;
  let provider: MeterProvider;

  beforeAll(() => {
    exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(provider);
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(async () => {
    await provider.shutdown();
    metrics.disable();
    trace.disable();
    context.disable();
  });

  const scrape = () =>
    new Promise<string>((resolve) => {
      const res = { statusCode: 0, setHeader() {}, end: (body: string) => resolve(body) };
      exporter.getMetricsRequestHandler({} as never, res as never);
    });

  it('records dapr_component_configuration_* per operation and configuration/<store>/<op> spans', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'cfg-metrics', components: [{ name: 'settings', type: 'configuration.in-memory' }] })],
    }).compile();
    await moduleRef.init();
    try {
      const config = moduleRef.get(ConfigurationService);
      const store = moduleRef.get(ComponentRuntime).get<InMemoryConfigurationStore>('configuration', 'settings').driver;
      const got: string[] = [];
      // Store calls are leaf spans, as state calls: recorded inside a trace.
      await trace.getTracer('test').startActiveSpan('request', async (parent) => {
        const sub = await config.subscribe('settings', ['a'], (items) => void got.push(items.a.value));
        await store.set({ a: 'on' });
        await config.get('settings', ['a']);
        await sub.unsubscribe();
        parent.end();
      });
      expect(got).toEqual(['on']);
      await expect(config.get('settings', 'a' as never)).rejects.toThrow(ConfigurationRequestError);

      const text = await scrape();
      for (const op of ['get', 'subscribe', 'unsubscribe']) {
        expect(text).toMatch(new RegExp(`dapr_component_configuration_count_total\\{[^}]*component="settings"[^}]*operation="${op}"[^}]*success="true"[^}]*\\} 1`));
      }
      expect(text).toContain('dapr_component_configuration_latencies_bucket');
      const names = spans.getFinishedSpans().map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['configuration/settings/subscribe', 'configuration/settings/get', 'configuration/settings/unsubscribe']));
    } finally {
      await moduleRef.close();
    }
  });
});
