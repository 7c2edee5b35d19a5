/**
 * The entity-management calls the Service Bus drivers make, as the real
 * @azure/service-bus administration client sends them (ATOM over HTTPS), next
 * to the AMQP test peer that carries the messages. Dapr's `EnsureTopic`
 * creates a topic bare (`CreateTopic(ctx, topic, nil)`); the creation-only
 * settings go on subscriptions and queues (components-contrib
 * common/component/azure/servicebus `client.go`, `metadata.go`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { issueTrustAnchor, issueWorkloadCertificate } from '../../scripts/certs/x509-issuer';
import { uniq } from './support/servicebus-test-utils';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

interface ManagementCall {
  method: string;
  path: string;
  body: string;
}

/** What the service fills in for a created entity (its documented defaults), so the SDK can read the answer. */
const SERVICE_DEFAULTS: Record<string, [string, string][]> = {
  TopicDescription: [
    ['DefaultMessageTimeToLive', 'P10675199DT2H48M5.4775807S'],
    ['MaxSizeInMegabytes', '1024'],
    ['RequiresDuplicateDetection', 'false'],
    ['DuplicateDetectionHistoryTimeWindow', 'PT10M'],
    ['EnableBatchedOperations', 'true'],
    ['SupportOrdering', 'true'],
    ['EnablePartitioning', 'false'],
    ['EnableExpress', 'false'],
  ],
  SubscriptionDescription: [
    ['LockDuration', 'PT1M'],
    ['RequiresSession', 'false'],
    ['DefaultMessageTimeToLive', 'P10675199DT2H48M5.4775807S'],
    ['DeadLetteringOnMessageExpiration', 'false'],
    ['DeadLetteringOnFilterEvaluationExceptions', 'true'],
    ['MaxDeliveryCount', '10'],
    ['EnableBatchedOperations', 'true'],
    ['Status', 'Active'],
  ],
};

function withServiceDefaults(content: string): string {
  const kind = /<(\w+Description)\b/.exec(content)?.[1] ?? '';
  const missing = (SERVICE_DEFAULTS[kind] ?? []).filter(([el]) => !content.includes(`<${el}>`));
  // A bare entity is sent as a self-closing element.
  content = content.replace(new RegExp(`<${kind}([^>]*?)\\s*/>`), `<${kind}$1></${kind}>`);
  return content.replace(`</${kind}>`, `${missing.map(([el, v]) => `<${el}>${v}</${el}>`).join('')}</${kind}>`);
}

/** The ATOM management endpoint of a namespace: records each call, answers like the service. */
async function startManagement(): Promise<{ server: Server; port: number; calls: ManagementCall[]; caFile: string; dir: string }> {
  const ca = issueTrustAnchor();
  const dir = mkdtempSync(join(tmpdir(), 'sb-mgmt-'));
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.cert);
  const tls = issueWorkloadCertificate(ca, { appId: 'sb', spiffeId: null, dns: ['localhost'], ips: ['127.0.0.1'] });
  const entities = new Map<string, string>();
  const calls: ManagementCall[] = [];
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url!, 'https://x').pathname).replace(/^\//, '');
      calls.push({ method: req.method!, path, body });
      const host = req.headers.host;
      const entry = (content: string) =>
        `<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom"><id>https://${host}/${path}</id>` +
        `<title type="text">${path.split('/').pop()}</title><updated>2026-01-01T00:00:00Z</updated>` +
        `<content type="application/xml">${content}</content></entry>`;
      if (req.method === 'GET') {
        const found = entities.get(path.toLowerCase());
        res.writeHead(found ? 200 : 404, { 'content-type': 'application/atom+xml' });
        res.end(found ? entry(found) : '<Error><Code>404</Code><Detail>not found</Detail></Error>');
        return;
      }
      if (req.method === 'PUT') {
        const content = withServiceDefaults(/<content[^>]*>([\s\S]*)<\/content>/.exec(body)?.[1] ?? '');
        entities.set(path.toLowerCase(), content);
        res.writeHead(201, { 'content-type': 'application/atom+xml' });
        res.end(entry(content));
        return;
      }
      res.writeHead(405).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, calls, caFile, dir };
}

describe('Service Bus entity management (real SDK administration client)', () => {
  let mgmt: Awaited<ReturnType<typeof startManagement>>;

  beforeAll(async () => {
    mgmt = await startManagement();
  });

  afterAll(async () => {
    await new Promise((r) => mgmt.server.close(r));
    rmSync(mgmt.dir, { recursive: true, force: true });
  });

  /** Runs one driver operation in a child process that trusts the endpoint's CA. */
  async function driverDoes(type: string, props: Record<string, string>, action: 'subscribe' | 'publish', entity: string): Promise<string> {
    const connectionString = `Endpoint=sb://localhost:${mgmt.port}/;SharedAccessKeyName=k;SharedAccessKey=secret`;
    const out = await run(
      process.execPath,
      ['-r', './test/support/swc-register.js', 'test/servicebus/support/management-client.ts', type, JSON.stringify({ connectionString, ...props }), action, entity],
      { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: mgmt.caFile }, timeout: 30_000 },
    );
    return out.stderr;
  }

  const creation = {
    defaultMessageTimeToLiveInSec: '3600',
    autoDeleteOnIdleInSec: '600',
    lockDurationInSec: '30',
    maxDeliveryCount: '7',
  };

  it('creates a topic bare and puts TTL, auto-delete, lock and delivery count on the subscription, as Dapr', async () => {
    const topic = uniq('orders');
    await driverDoes('pubsub.azure.servicebus.topics', { consumerID: 'billing', ...creation }, 'subscribe', topic);
    const topicPut = mgmt.calls.find((c) => c.method === 'PUT' && c.path === topic);
    const subPut = mgmt.calls.find((c) => c.method === 'PUT' && c.path === `${topic}/Subscriptions/billing`);
    expect(topicPut).toBeDefined();
    expect(topicPut!.body).toContain('<TopicDescription');
    for (const setting of ['DefaultMessageTimeToLive', 'AutoDeleteOnIdle', 'LockDuration', 'MaxDeliveryCount']) {
      expect(topicPut!.body).not.toContain(setting);
    }
    expect(subPut).toBeDefined();
    expect(subPut!.body).toContain('<LockDuration>PT30S</LockDuration>');
    expect(subPut!.body).toContain('<DefaultMessageTimeToLive>PT1H</DefaultMessageTimeToLive>');
    expect(subPut!.body).toContain('<MaxDeliveryCount>7</MaxDeliveryCount>');
    expect(subPut!.body).toContain('<AutoDeleteOnIdle>PT10M</AutoDeleteOnIdle>');
    // The topic is checked (GET) before it is created, as EnsureTopic does.
    expect(mgmt.calls.findIndex((c) => c.method === 'GET' && c.path === topic)).toBeLessThan(mgmt.calls.indexOf(topicPut!));
  });

  it('creates a queue with the creation-only settings (Dapr EnsureQueue)', async () => {
    const queue = uniq('jobs');
    await driverDoes('pubsub.azure.servicebus.queues', creation, 'publish', queue);
    const put = mgmt.calls.find((c) => c.method === 'PUT' && c.path === queue);
    expect(put).toBeDefined();
    expect(put!.body).toContain('<QueueDescription');
    expect(put!.body).toContain('<DefaultMessageTimeToLive>PT1H</DefaultMessageTimeToLive>');
    expect(put!.body).toContain('<AutoDeleteOnIdle>PT10M</AutoDeleteOnIdle>');
  });
});
