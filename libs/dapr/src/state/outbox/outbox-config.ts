import type { ComponentMetadata } from '../../spi/component.spi';
import { metadataError } from '../../spi/kit/metadata/metadata-decoder';
import { isTruthy } from '../../spi/kit/metadata/go-values';

/**
 * A state store's transactional outbox (Dapr's `pkg/runtime/pubsub/outbox.go`,
 * "How-To: Enable the transactional outbox pattern"), read from the state
 * component's metadata.
 */
export interface OutboxConfig {
  /** `outboxPublishPubsub`: the pub/sub the state changes are published on. */
  publishPubsub: string;
  /** `outboxPublishTopic`: the topic they are published to. */
  publishTopic: string;
  /** `outboxPubsub`: the pub/sub of the internal topic (default: `outboxPublishPubsub`). */
  outboxPubsub: string;
  /** `outboxDiscardWhenMissingState`: drop an internal message whose marker never appears instead of retrying it. */
  discardWhenMissingState: boolean;
}

/** Dapr's prefix of the marker key each published upsert adds to its transaction. */
export const OUTBOX_MARKER_PREFIX = 'outbox-';

/** Op metadata that makes an upsert the published payload of the same key's upsert, not a write. */
export const OUTBOX_PROJECTION_METADATA = 'outbox.projection';

/**
 * The outbox of a state component, or undefined when it has none. Dapr turns
 * the outbox on when both `outboxPublishPubsub` and `outboxPublishTopic` are
 * set and silently ignores one without the other; that is refused here, since
 * the app plainly meant to have an outbox. Names match case-insensitively, as
 * the runtime's metadata check reads them.
 */
export function outboxConfigOf(md: Pick<ComponentMetadata, 'name' | 'properties' | 'source'>): OutboxConfig | undefined {
  let publishPubsub = '';
  let publishTopic = '';
  let outboxPubsub = '';
  let discard = false;
  for (const [name, value] of Object.entries(md.properties)) {
    switch (name.toLowerCase()) {
      case 'outboxpublishpubsub':
        publishPubsub = value.trim();
        break;
      case 'outboxpublishtopic':
        publishTopic = value.trim();
        break;
      case 'outboxpubsub':
        outboxPubsub = value.trim();
        break;
      case 'outboxdiscardwhenmissingstate':
        discard = isTruthy(value);
        break;
    }
  }
  if (!publishPubsub && !publishTopic) {
    if (outboxPubsub) throw metadataError(md, 'outboxPubsub', 'needs outboxPublishPubsub and outboxPublishTopic');
    return undefined;
  }
  if (!publishPubsub) throw metadataError(md, 'outboxPublishTopic', 'needs outboxPublishPubsub (the pub/sub to publish on)');
  if (!publishTopic) throw metadataError(md, 'outboxPublishPubsub', 'needs outboxPublishTopic (the topic to publish to)');
  return { publishPubsub, publishTopic, outboxPubsub: outboxPubsub || publishPubsub, discardWhenMissingState: discard };
}

/** Dapr's internal topic of an outbox: `<namespace><appId><outboxPublishTopic>outbox`. */
export function outboxInternalTopic(appId: string, publishTopic: string, namespace?: string): string {
  return (namespace ?? '') + appId + publishTopic + 'outbox';
}
