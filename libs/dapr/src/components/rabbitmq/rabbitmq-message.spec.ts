import type { Options } from 'amqplib';
import { applyMessageProperties, requestPriority, requestTtlMs } from './rabbitmq-message';

describe('RabbitMQ request metadata (components-contrib TryGetTTL / TryGetPriority / ApplyMetadataToPublishing)', () => {
  it('reads ttl / ttlInSeconds as a Go duration or whole seconds, any key case', () => {
    expect(requestTtlMs({})).toBeUndefined();
    expect(requestTtlMs({ ttlInSeconds: '60' })).toBe(60_000);
    expect(requestTtlMs({ TTLINSECONDS: '2' })).toBe(2_000);
    expect(requestTtlMs({ ttl: '1500ms' })).toBe(1_500);
    expect(requestTtlMs({ ttl: '1m', ttlInSeconds: '5' })).toBe(60_000);
    expect(requestTtlMs({ ttlInSeconds: '-1h' })).toBe(0);
    expect(requestTtlMs({ ttlInSeconds: '0' })).toBe(0);
    expect(requestTtlMs({ ttlInSeconds: '-3' })).toEqual({ error: expect.stringMatching(/higher than zero/) });
    expect(requestTtlMs({ ttlInSeconds: 'soon' })).toEqual({ error: expect.stringMatching(/valid integer/) });
  });

  it('reads priority as an integer clamped to 0..255', () => {
    expect(requestPriority({})).toBeUndefined();
    expect(requestPriority({ priority: '7' })).toBe(7);
    expect(requestPriority({ priority: '999' })).toBe(255);
    expect(requestPriority({ priority: '-2' })).toBe(0);
    expect(requestPriority({ priority: 'high' })).toEqual({ error: expect.stringMatching(/valid integer/) });
  });

  it('sets contentType, messageID, correlationID and type case-insensitively, ignoring empty values', () => {
    const props: Options.Publish = { contentType: 'text/plain' };
    applyMessageProperties({ ContentType: 'application/json', messageid: 'm1', correlationID: '', TYPE: 'order', other: 'x' }, props);
    expect(props).toEqual({ contentType: 'application/json', messageId: 'm1', type: 'order' });
  });
});
