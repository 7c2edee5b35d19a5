/**
 * What a handler may return to settle a message explicitly (Dapr's app
 * response statuses). Returning nothing means SUCCESS.
 * @publicApi
 */
export enum SubscriptionStatus {
  SUCCESS = 'SUCCESS',
  RETRY = 'RETRY',
  DROP = 'DROP',
}

/**
 * Throw from a handler to drop the event: it is not retried and goes to the
 * dead-letter topic when the subscription has one.
 * @publicApi
 */
export class DropEvent extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? 'event dropped by handler');
    this.name = 'DropEvent';
  }
}

/** A `DropEvent`, also one from another copy of the library (matched by name). */
export function isDropEvent(err: unknown): boolean {
  return err instanceof DropEvent || (err as Error | undefined)?.name === 'DropEvent';
}
