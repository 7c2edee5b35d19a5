import { randomUUID } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { OutboxPublishError } from '../../errors/outbox.errors';
import { StateRequestInvalidError } from '../../errors/state.errors';
import { formatTraceparent, randomSpanContext } from '../../observability/trace-context';
import { CLOUDEVENTS_CONTENT_TYPE } from '../../pubsub/pubsub.constants';
import type { PubSubService } from '../../pubsub/pubsub.service';
import { isTruthy } from '../../spi/kit/metadata/go-values';
import type { StateSetRequest, StateTransactionOperation } from '../../spi/state.spi';
import { LazyStateSetRequest } from '../state-set.request';
import { OUTBOX_MARKER_PREFIX, OUTBOX_PROJECTION_METADATA, outboxInternalTopic, type OutboxConfig } from './outbox-config';
import type { LocalOutcome, OutboxCommits } from './outbox-commits';
import { outboxEvent } from './outbox-event';

const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The user-request half of Dapr's outbox (`PublishInternal`), run by
 * `StateService.transaction` before the store sees the transaction: each
 * upsert is published to the internal topic as a CloudEvent whose id is a
 * fresh marker key `outbox-<uuid>`, and an upsert of that marker (value "0",
 * no key prefix, as Dapr writes it) joins the transaction. The relay publishes
 * an internal message to the user's topic only once it finds its marker, so
 * the event goes out if and only if the transaction committed. If an internal
 * publish fails, the transaction is not run (`ERR_PUBLISH_OUTBOX`).
 */
export class OutboxPublisher {
  readonly internalTopic: string;

  constructor(
    private readonly store: string,
    readonly config: OutboxConfig,
    private readonly appId: string,
    namespace: string | undefined,
    private readonly pubsub: PubSubService,
    private readonly commits?: OutboxCommits,
  ) {
    this.internalTopic = outboxInternalTopic(appId, config.publishTopic, namespace);
  }

  /**
   * Publishes the internal messages of a validated transaction and returns
   * the operations to run: the transaction's own, less its projections, then
   * one marker upsert per published upsert.
   */
  async prepare(
    operations: StateTransactionOperation[],
    requestMetadata: Record<string, string>,
  ): Promise<{ operations: StateTransactionOperation[]; markers: string[] }> {
    const projections = new Map<string, StateSetRequest>();
    const writes: StateTransactionOperation[] = [];
    for (const op of operations) {
      const projection = op.operation === 'upsert' ? op.request.metadata[OUTBOX_PROJECTION_METADATA] : undefined;
      if (projection !== undefined && isTruthy(projection)) projections.set(op.request.key, op.request as StateSetRequest);
      else writes.push(op);
    }
    for (const key of projections.keys()) {
      // Dapr's docs: the projection's key must match an upsert of the transaction, else the transaction fails.
      if (!writes.some((w) => w.operation === 'upsert' && w.request.key === key)) {
        throw new StateRequestInvalidError(`outbox projection for key "${key}" has no upsert of that key in the transaction`);
      }
    }
    const { traceparent, tracestate } = currentTrace();
    const withRequest = Object.keys(requestMetadata).length > 0;
    const markers: StateTransactionOperation[] = [];
    const ids: string[] = [];
    for (const op of writes) {
      if (op.operation !== 'upsert') continue;
      const id = OUTBOX_MARKER_PREFIX + randomUUID();
      ids.push(id);
      this.commits?.begin([id]);
      const event = outboxEvent({
        id,
        appId: this.appId,
        outboxPubsub: this.config.outboxPubsub,
        payload: projections.get(op.request.key) ?? op.request,
        // Dapr's API copies the request's metadata into every operation (the request's entries win).
        fields: withRequest ? { ...op.request.metadata, ...requestMetadata } : op.request.metadata,
        traceparent,
        tracestate,
      });
      try {
        await this.pubsub.publish(this.config.outboxPubsub, this.internalTopic, event, { contentType: CLOUDEVENTS_CONTENT_TYPE });
      } catch (err) {
        this.settled(ids, 'failed');
        throw new OutboxPublishError(this.store, (err as Error)?.message ?? String(err), { cause: err });
      }
      markers.push({ operation: 'upsert', request: new LazyStateSetRequest(id, false, '"0"', undefined, NO_METADATA) });
    }
    return { operations: markers.length ? [...writes, ...markers] : writes, markers: ids };
  }

  /** Tells this process's relay how the transaction of these markers ended. */
  settled(markers: string[], outcome: LocalOutcome): void {
    if (markers.length) this.commits?.end(markers, outcome);
  }
}

/** The caller's trace context (Dapr uses the API request's span); a fresh one when nothing traces. */
function currentTrace(): { traceparent: string; tracestate: string } {
  const sc = trace.getSpanContext(context.active());
  const traceparent = (sc && formatTraceparent(sc)) || formatTraceparent(randomSpanContext())!;
  return { traceparent, tracestate: sc?.traceState?.serialize() ?? '' };
}
