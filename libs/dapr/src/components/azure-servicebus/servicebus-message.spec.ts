import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { ServiceBusConnectionStringError, ServiceBusPublishMetadataError } from '../../errors/servicebus.errors';
import { fromReceivedMessage, toServiceBusMessage } from './servicebus-message';
import { parseServiceBusSettings, validateConnectionString } from './servicebus-metadata';

const md = (properties: Record<string, string>) => ({
  name: 'sb',
  type: 'pubsub.azure.servicebus.topics',
  version: 'v1',
  appId: 'app',
  properties,
});
const CS = 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc=';

describe('Service Bus publish metadata → message', () => {
  it('maps Dapr keys (and aliases) to properties and the rest to application properties', () => {
    const m = toServiceBusMessage(
      'sb',
      Buffer.from('x'),
      {
        id: 'i1',
        correlationID: 'c1',
        SessionId: 's1',
        Label: 'l',
        To: 'to',
        ReplyTo: 'rt',
        PartitionKey: 's1',
        ContentType: 'text/plain',
        ScheduledEnqueueTimeUtc: 'Mon, 02 Jan 2006 15:04:05 GMT',
        ttl: '1m30s',
        custom: 'v',
        blank: '',
      },
      'application/json',
    );
    expect(m).toMatchObject({
      messageId: 'i1',
      correlationId: 'c1',
      sessionId: 's1',
      subject: 'l',
      to: 'to',
      replyTo: 'rt',
      partitionKey: 's1',
      contentType: 'text/plain',
      timeToLive: 90_000,
      applicationProperties: { custom: 'v' },
    });
    expect(m.scheduledEnqueueTimeUtc?.toISOString()).toBe('2006-01-02T15:04:05.000Z');
  });

  it('matches the Dapr key names case-sensitively, like the component', () => {
    const m = toServiceBusMessage('sb', Buffer.from('x'), { messageid: 'not-a-system-key' }, undefined);
    expect(m.messageId).toBeUndefined();
    expect(m.applicationProperties).toEqual({ messageid: 'not-a-system-key' });
  });

  it('rejects a non-positive or malformed TTL with a typed error', () => {
    expect(() => toServiceBusMessage('sb', Buffer.from('x'), { ttlInSeconds: '0' }, undefined)).toThrow(ServiceBusPublishMetadataError);
    expect(() => toServiceBusMessage('sb', Buffer.from('x'), { ttlInSeconds: 'soon' }, undefined)).toThrow(/ttlInSeconds/);
  });
});

describe('received message → Dapr metadata', () => {
  it('exposes metadata.* keys with Dapr formats', () => {
    const enqueued = new Date('2026-01-02T03:04:05Z');
    const msg = {
      body: Buffer.from('{"a":1}'),
      messageId: 'm',
      correlationId: 'c',
      subject: 'lbl',
      lockToken: '00112233-4455-6677-8899-aabbccddeeff',
      deliveryCount: 2,
      enqueuedTimeUtc: enqueued,
      lockedUntilUtc: enqueued,
      sequenceNumber: { toString: () => '42' },
      applicationProperties: { tenant: 'acme', n: 3 },
    } as unknown as ServiceBusReceivedMessage;
    const out = fromReceivedMessage('orders', msg);
    expect(Buffer.from(out.data).toString()).toBe('{"a":1}');
    expect(out.metadata).toEqual({
      'metadata.MessageId': 'm',
      'metadata.CorrelationId': 'c',
      'metadata.Label': 'lbl',
      'metadata.LockToken': Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64'),
      'metadata.DeliveryCount': '3',
      'metadata.EnqueuedTimeUtc': 'Fri, 02 Jan 2026 03:04:05 GMT',
      'metadata.LockedUntilUtc': 'Fri, 02 Jan 2026 03:04:05 GMT',
      'metadata.SequenceNumber': '42',
      'metadata.tenant': 'acme',
      'metadata.n': '3',
    });
  });
});

describe('Service Bus component metadata', () => {
  it("applies Dapr's defaults", () => {
    expect(parseServiceBusSettings(md({ connectionString: CS }))).toMatchObject({
      timeoutInSec: 60,
      handlerTimeoutInSec: 60,
      lockRenewalInSec: 20,
      maxActiveMessages: 1000,
      maxConcurrentHandlers: 0,
      publishMaxRetries: 5,
      disableEntityManagement: false,
    });
  });

  it('qualifies a bare namespaceName and reads creation options', () => {
    const s = parseServiceBusSettings(md({ namespaceName: 'myns', maxDeliveryCount: '4', ttlInSeconds: '30', autoDeleteOnIdleInSec: '600' }));
    expect(s).toMatchObject({ namespaceName: 'myns.servicebus.windows.net', maxDeliveryCount: 4, defaultMessageTimeToLiveInSec: 30, autoDeleteOnIdleInSec: 600 });
  });

  it('refuses autoDeleteOnIdleInSec below the service minimum of 300', () => {
    expect(() => parseServiceBusSettings(md({ connectionString: CS, autoDeleteOnIdleInSec: '60' }))).toThrow(/at least 300/);
  });

  it('accepts a SAS-token connection string and never echoes the string on error', () => {
    expect(() => validateConnectionString('sb', 'Endpoint=sb://ns/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y')).not.toThrow();
    const err = (() => {
      try {
        validateConnectionString('sb', 'Endpoint=sb://ns/;SharedAccessKeyName=root;SharedAccessKey=');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ServiceBusConnectionStringError);
    expect(err!.message).toMatch(/no SharedAccessKey/);
    expect(err!.message).not.toContain('root');
  });
});
