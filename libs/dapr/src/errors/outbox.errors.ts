import { DaprError } from './dapr.error';

/**
 * The transactional outbox could not publish a transaction's internal message,
 * so the transaction was not run (Dapr's `ERR_PUBLISH_OUTBOX`, HTTP 500).
 */
export class OutboxPublishError extends DaprError {
  constructor(
    /** The state store whose transaction was not run. */
    readonly store: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`error while publishing outbox message: ${reason}`, 'ERR_PUBLISH_OUTBOX', options);
  }
}
