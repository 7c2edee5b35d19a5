import { bulkEntries, pubsubApiError } from '../api/pubsub-requests';
import type { SidecarContext } from '../sidecar-context';
import { ApiError } from './api-error';
import { field, stringMap } from './go-json';
import type { HttpExchange } from './http-exchange';
import type { HttpRouter } from './http-router';

const WRITE = ['POST', 'PUT'];

/**
 * Dapr's publish API: the body is the payload, `Content-Type` its CloudEvent
 * `datacontenttype` (`text/plain` when absent), `metadata.*` query parameters
 * go to the broker (`rawPayload`, `ttlInSeconds`, `cloudevent.*` overrides...).
 * `application/cloudevents+json` bodies pass through, completed as daprd does.
 */
export function registerPubSubHttpApi(router: HttpRouter, ctx: SidecarContext): void {
  const { pubsub } = ctx;

  const publish = async (x: HttpExchange) => {
    const body = await x.body();
    try {
      await pubsub.publish(x.params.pubsub, x.params.topic, body, {
        contentType: x.header('content-type') || 'text/plain',
        metadata: x.metadata(),
      });
    } catch (err) {
      throw pubsubApiError(err);
    }
    x.empty(204);
  };
  router.add(WRITE, '/v1.0/publish/:pubsub/*topic', publish);
  router.add(WRITE, '/v1.0/publish/:pubsub', () => {
    throw new ApiError(404, 'ERR_TOPIC_NAME_EMPTY', 'topic is empty');
  });

  const bulk = async (x: HttpExchange) => {
    const body = await x.json();
    if (!Array.isArray(body)) throw new ApiError(400, 'ERR_PUBSUB_EVENTS_SER', 'the bulk publish body must be a JSON array of entries');
    let res;
    try {
      const entries = bulkEntries(
        body.map((e) => ({
          entryId: field(e, 'entryId'),
          event: field(e, 'event'),
          contentType: field(e, 'contentType'),
          metadata: stringMap(e, 'metadata'),
        })),
      );
      res = await pubsub.publishBulk(x.params.pubsub, x.params.topic, entries, { metadata: x.metadata() });
    } catch (err) {
      throw pubsubApiError(err);
    }
    if (res.failedEntries.length === 0) return x.empty(204);
    x.sendJson(500, { failedEntries: res.failedEntries, errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE' });
  };
  router.add(WRITE, '/v1.0-alpha1/publish/bulk/:pubsub/*topic', bulk);
  router.add(WRITE, '/v1.0/publish/bulk/:pubsub/*topic', bulk);
}
