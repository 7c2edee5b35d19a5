/**
 * Base of every error nest-dapr throws. `errorCode` follows Dapr's `ERR_*`
 * codes so that callers can switch on the same values as with a sidecar.
 */
export class DaprError extends Error {
  constructor(
    message: string,
    readonly errorCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
