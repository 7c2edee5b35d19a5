import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { request } from 'undici';
import { BindingsService, DaprModule, PubSubService, StateService, Subscribe, SubscriptionStatus } from 'nest-dapr';

@Injectable()
class OrderEvents {
  seen = 0;
  failedOnce = new Set<string>();

  @Subscribe({ pubsub: 'bus', topic: 'orders' })
  onOrder(order: { id: string; kind: 'ok' | 'flaky' | 'drop' }) {
    this.seen++;
    if (order.kind === 'drop') return SubscriptionStatus.DROP;
    if (order.kind === 'flaky' && !this.failedOnce.has(order.id)) {
      this.failedOnce.add(order.id);
      throw new Error('try again');
    }
    return undefined;
  }
}

/** Parses Prometheus text exposition into `name{labels} value` samples. */
function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line)!;
    const labels: Record<string, string> = {};
    for (const kv of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

function total(text: string, name: string, match: Record<string, string>): number {
  return samples(text, name)
    .filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('metrics: Dapr names and labels, scraped from a Prometheus endpoint', () => {
  let provider: MeterProvider;
  let exporter: PrometheusExporter;
  let server: Server;
  let scrapeUrl: string;
  let app: TestingModule;

  beforeAll(async () => {
    exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(provider);
    server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    scrapeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    app = await Test.createTestingModule({
      imports: [
        DaprModule.forRoot({
          appId: 'metrics-app',
          components: [
            { name: 'bus', type: 'pubsub.in-memory' },
            { name: 'store', type: 'state.in-memory' },
            { name: 'files', type: 'bindings.localstorage', metadata: { rootPath: mkdtempSync(join(tmpdir(), 'dapr-metrics-')) } },
          ],
          resiliency: {
            policies: { retries: { fast: { policy: 'constant', duration: '10ms', maxRetries: 3 } } },
            targets: { components: { bus: { inbound: { retry: 'fast' } } } },
          },
        }),
      ],
      providers: [OrderEvents],
    }).compile();
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server.close(r));
    await provider.shutdown();
    metrics.disable();
  });

  it('counts pub/sub egress and ingress (with process_status), state operations and output bindings after traffic', async () => {
    const pubsub = app.get(PubSubService);
    const bindings = app.get(BindingsService);
    const events = app.get(OrderEvents);
    for (let i = 0; i < 5; i++) await pubsub.publish('bus', 'orders', { id: `ok-${i}`, kind: 'ok' });
    await pubsub.publish('bus', 'orders', { id: 'f-1', kind: 'flaky' });
    await pubsub.publish('bus', 'orders', { id: 'd-1', kind: 'drop' });
    const deadline = Date.now() + 10_000;
    while (events.seen < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    await bindings.invoke('files', 'create', { a: 1 }, { fileName: 'a.json' });
    await bindings.invoke('files', 'get', undefined, { fileName: 'a.json' });
    await bindings.invoke('files', 'get', undefined, { fileName: 'missing.json' }).catch(() => undefined);

    const state = app.get(StateService);
    await state.save('store', [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    await state.get('store', 'a');
    await state.get('store', 'missing');
    await state.delete('store', 'a');
    await state.save('store', { key: 'b', value: 3, etag: 'not-the-etag' }).catch(() => undefined);

    const res = await request(scrapeUrl);
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    const base = { app_id: 'metrics-app' };

    // OTel's Prometheus exporter appends `_total` to counters, per the OpenMetrics convention.
    expect(total(text, 'dapr_component_pubsub_egress_count_total', { ...base, component: 'bus', topic: 'orders', success: 'true' })).toBe(7);
    const ingress = (process_status: string) =>
      total(text, 'dapr_component_pubsub_ingress_count_total', { ...base, component: 'bus', topic: 'orders', process_status });
    expect(ingress('success')).toBe(6);
    expect(ingress('drop')).toBe(1);
    expect(total(text, 'dapr_component_pubsub_ingress_latencies_count', { ...base, component: 'bus' })).toBeGreaterThanOrEqual(7);

    const out = (operation: string, success: string) =>
      total(text, 'dapr_component_output_binding_count_total', { ...base, component: 'files', operation, success });
    expect(out('create', 'true')).toBe(1);
    expect(out('get', 'true')).toBe(1);
    expect(out('get', 'false')).toBe(1);
    expect(total(text, 'dapr_component_output_binding_latencies_count', { ...base, component: 'files' })).toBe(3);

    const st = (operation: string, success: string) =>
      total(text, 'dapr_component_state_count_total', { ...base, component: 'store', operation, success });
    expect(st('set', 'true')).toBe(2);
    expect(st('set', 'false')).toBe(1);
    expect(st('get', 'true')).toBe(2);
    expect(st('delete', 'true')).toBe(1);
    expect(total(text, 'dapr_component_state_latencies_count', { ...base, component: 'store' })).toBe(6);
  });
});
