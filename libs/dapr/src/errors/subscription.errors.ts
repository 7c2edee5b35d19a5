import { DaprError } from './dapr.error';

/**
 * A subscription handler ran longer than `limits.handlerTimeoutMs`. The run
 * counts as failed and is not repeated in-process (a hung handler would hold
 * another slot): the message goes to the dead-letter topic, or back to the
 * broker for redelivery. The handler itself cannot be stopped; what it
 * returns later is ignored.
 */
export class HandlerTimeoutError extends DaprError {
  readonly nonRetriable = true;

  constructor(
    readonly handler: string,
    readonly timeoutMs: number,
  ) {
    super(`handler ${handler} did not finish within ${timeoutMs} ms (limits.handlerTimeoutMs)`, 'ERR_PUBSUB_HANDLER_TIMEOUT');
  }
}
