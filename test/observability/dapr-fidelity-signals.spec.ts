import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { DaprModule, InvocationService, PubSubService, Subscribe, type CloudEvent } from 'nest-dapr';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CheckoutController } from '../invocation/checkout.fixture';
import { sqliteResolution, startApp, type RunningApp } from '../invocation/invocation-harness';

/**
 * Issue 15 items 7 and 8, with no tracer SDK registered: invocations and
 * publishes still carry a W3C traceparent (fresh ids, flags 00, as daprd
 * sends one), and the HTTP client/server metrics carry Dapr's names and labels.
 */
const TRACEPARENT_UNSAMPLED = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;

/** Prometheus text → the summed value of `name` over the samples whose labels include `match`. */
function total(text: string, name: string, match: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{(.*)\}\s+(\S+)/.exec(line)!;
    const labels: Record<string, string> = {};
    for (const kv of m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[2]);
  }
  return sum;
}

@Injectable()
class Received {
  events: CloudEvent[] = [];

  @Subscribe({ pubsub: 'bus', topic: 'signals' })
  on(_data: unknown, event: CloudEvent) {
    this.events.push(event);
  }
}

describe('traceparent without a tracer SDK, and dapr_http_* metrics', () => {
  const nr = sqliteResolution();
  let exporter: PrometheusExporter;
  let provider: MeterProvider;
  let checkout: RunningApp;
  let order: RunningApp;
  let bus: TestingModule;
  let scrapeServer: Server;

  beforeAll(async () => {
    exporter = new PrometheusExporter({ preventServerStart: true });
    provider = new MeterProvider({ readers: [exporter] });
    metrics.setGlobalMeterProvider(provider);
    scrapeServer = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
    await new Promise<void>((r) => scrapeServer.listen(0, '127.0.0.1', r));
    checkout = await startApp({ appId: 'sig-checkout', nameResolution: nr.options }, { controllers: [CheckoutController] });
    order = await startApp({ appId: 'sig-order', nameResolution: nr.options });
    bus = await Test.createTestingModule({
      imports: [DaprModule.forRoot({ appId: 'sig-bus', components: [{ name: 'bus', type: 'pubsub.in-memory' }] })],
      providers: [Received],
    }).compile();
    await bus.init();
  });

  afterAll(async () => {
    await bus?.close();
    await order?.close();
    await checkout?.close();
    nr.cleanup();
    await new Promise((r) => scrapeServer.close(r));
    await provider.shutdown();
    metrics.disable();
  });

  async function scrape(): Promise<string> {
    const res = await request(`http://127.0.0.1:${(scrapeServer.address() as AddressInfo).port}/metrics`);
    return res.body.text();
  }

  it('sends an unsampled traceparent with fresh ids on every invocation', async () => {
    const invoker = order.app.get(InvocationService);
    const a = await invoker.invoke<{ traceparent?: string }>('sig-checkout', 'stock/a');
    const b = await invoker.invoke<{ traceparent?: string }>('sig-checkout', 'stock/b');
    expect(a.traceparent).toMatch(TRACEPARENT_UNSAMPLED);
    expect(b.traceparent).toMatch(TRACEPARENT_UNSAMPLED);
    expect(a.traceparent!.slice(3, 35)).not.toBe(b.traceparent!.slice(3, 35));
  });

  it('stamps an unsampled traceparent on every published CloudEvent', async () => {
    const pubsub = bus.get(PubSubService);
    await pubsub.publish('bus', 'signals', { n: 1 });
    await pubsub.publishBulk('bus', 'signals', [{ event: { n: 2 } }, { event: { n: 3 } }]);
    const received = bus.get(Received);
    const deadline = Date.now() + 5000;
    while (received.events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(received.events).toHaveLength(3);
    for (const e of received.events) {
      expect(e.traceparent).toMatch(TRACEPARENT_UNSAMPLED);
      expect(e.traceid).toBe(e.traceparent);
    }
    // Each bulk entry has its own producer span, so its own traceparent (as Dapr's bulk publish).
    expect(new Set(received.events.map((e) => e.traceparent)).size).toBe(3);
  });

  it('records dapr_http_client_* on the caller and dapr_http_server_* on the callee with Dapr labels', async () => {
    const invoker = order.app.get(InvocationService);
    const requestId = randomUUID();
    await invoker.invoke('sig-checkout', 'orders', { body: { items: ['x', 'y'] }, headers: { 'x-request-id': requestId } });
    await expect(invoker.invoke('sig-checkout', 'missing/7')).rejects.toMatchObject({ status: 404 });
    const text = await scrape();

    const client = { app_id: 'sig-order', method: 'POST', path: '/orders', status: '201' };
    expect(total(text, 'dapr_http_client_completed_count_total', client)).toBe(1);
    expect(total(text, 'dapr_http_client_roundtrip_latency_count', client)).toBe(1);
    expect(total(text, 'dapr_http_client_sent_bytes_sum', { app_id: 'sig-order', method: 'POST', path: '/orders' })).toBe(
      Buffer.byteLength(JSON.stringify({ items: ['x', 'y'] })),
    );
    expect(total(text, 'dapr_http_client_received_bytes_count', { app_id: 'sig-order' })).toBeGreaterThanOrEqual(2);
    expect(total(text, 'dapr_http_client_completed_count_total', { app_id: 'sig-order', method: 'GET', path: '/missing/7', status: '404' })).toBe(1);

    const server = { app_id: 'sig-checkout', method: 'POST', path: '/orders', status: '201' };
    expect(total(text, 'dapr_http_server_request_count_total', server)).toBe(1);
    expect(total(text, 'dapr_http_server_latency_count', server)).toBe(1);
    expect(total(text, 'dapr_http_server_request_count_total', { app_id: 'sig-checkout', method: 'GET', path: '/missing/7', status: '404' })).toBe(1);
    expect(total(text, 'dapr_http_server_request_bytes_count', { app_id: 'sig-checkout' })).toBeGreaterThanOrEqual(2);
  });

  it('records bulk publishes as dapr_component_pubsub_egress_bulk_*', async () => {
    const text = await scrape();
    const labels = { app_id: 'sig-bus', component: 'bus', topic: 'signals', success: 'true' };
    expect(total(text, 'dapr_component_pubsub_egress_bulk_count_total', labels)).toBe(1);
    expect(total(text, 'dapr_component_pubsub_egress_bulk_event_count_total', labels)).toBe(2);
    expect(total(text, 'dapr_component_pubsub_egress_bulk_latencies_count', labels)).toBe(1);
  });
});
