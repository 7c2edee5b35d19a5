import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { copyProfile } from './support/profile-copy';
import { call, eventually, freePort, startSampleApp, stopApp, type RunningApp } from './support/sample-apps';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A minimal OTLP/HTTP (JSON) trace receiver: what both apps export lands here. */
function otlpReceiver(spans: ReceivedSpan[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        const payload = JSON.parse(body) as {
          resourceSpans?: {
            resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
            scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string }[] }[];
          }[];
        };
        for (const rs of payload.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name });
          }
        }
      } catch {
        // not JSON (e.g. a protobuf exporter): ignored, the assertions will say so
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

describe('one order traced across both apps (local profile)', () => {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let dir: string;
  let order: RunningApp | undefined;
  let checkout: RunningApp | undefined;

  beforeAll(async () => {
    receiver = otlpReceiver(spans);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as { port: number };
    dir = mkdtempSync(join(tmpdir(), 'nest-dapr-e2e-trace-'));
    copyProfile('local', join(dir, 'components'), dir);
    const env = {
      DAPR_COMPONENTS_PATH: join(dir, 'components'),
      CHECKOUT_CATALOG: JSON.stringify([{ sku: `tea-${run}`, available: 5, price: 3 }]),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      DAPR_TRACING_SAMPLING_RATE: '1',
    };
    const [checkoutPort, orderPort] = [await freePort(), await freePort()];
    [checkout, order] = await Promise.all([
      startSampleApp('checkout', checkoutPort, dir, env),
      startSampleApp('order', orderPort, dir, env),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopApp(order), stopApp(checkout)]);
    await new Promise((r) => receiver?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('POST /orders → invocation → order.created → checkout → order.paid → order is one trace', async () => {
    const created = await call(order!.port, 'POST', '/orders', { customer: 'ada', items: [{ sku: `tea-${run}`, quantity: 1 }] });
    expect(created.status).toBe(201);
    await eventually(
      async () => (await call(order!.port, 'GET', `/orders/${created.body.id}`)).body as { status: string },
      (o) => o.status === 'paid',
    );
    const has = (list: ReceivedSpan[], service: string, name: string | RegExp) =>
      list.some((s) => s.service === service && (typeof name === 'string' ? s.name === name : name.test(s.name)));
    // The trace holding checkout's consumer span of this order's order.created.
    const trace = await eventually(
      async () => {
        const ids = new Set(spans.filter((s) => s.service === 'checkout' && s.name === 'pubsub/order.created').map((s) => s.traceId));
        const candidates = [...ids].map((id) => spans.filter((s) => s.traceId === id));
        return candidates.find((t) => has(t, 'order', 'pubsub/order.paid')) ?? [];
      },
      (t) =>
        has(t, 'order', 'pubsub/order.created') &&
        has(t, 'order', /^CallLocal\/checkout\/stock\//) &&
        has(t, 'checkout', 'pubsub/order.paid') &&
        has(t, 'order', 'pubsub/order.paid'),
      20_000,
    );
    // Every span but the root has its parent inside the same trace.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ service: 'order', name: 'POST' });
    // The invocation's server side (checkout's HTTP span) hangs under order's CallLocal span.
    const callLocal = trace.find((s) => s.service === 'order' && s.name.startsWith('CallLocal/checkout/stock/'))!;
    expect(trace.some((s) => s.service === 'checkout' && s.parentSpanId === callLocal.spanId)).toBe(true);
    // checkout's consumer span continues order's producer span through the CloudEvent traceparent.
    const produced = trace.find((s) => s.service === 'order' && s.name === 'pubsub/order.created')!;
    expect(trace.find((s) => s.service === 'checkout' && s.name === 'pubsub/order.created')?.parentSpanId).toBe(produced.spanId);
  }, 60_000);
});
