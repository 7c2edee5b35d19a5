import { RpcException } from '@nestjs/microservices';

/**
 * How `ClientDapr.send()` fails when the remote `@MessagePattern` handler
 * failed: an `RpcException` whose `getError()` (and `message`) are what Nest's
 * own transports hand a client — the remote `RpcException`'s error, or
 * `{ status: 'error', message }` — plus the invocation's HTTP `status` and
 * decoded `body`. Rethrown in a handler, `BaseRpcExceptionFilter` passes it on.
 */
export class DaprRpcException extends RpcException {
  constructor(
    /** The HTTP status the remote answered (e.g. 500, 400 from a ValidationPipe, 403 from access control). */
    readonly status: number,
    /** The decoded answer body. */
    readonly body: unknown,
    readonly appId: string,
    readonly method: string,
    options?: { cause?: unknown },
  ) {
    super(errorOf(body, status));
    this.name = 'DaprRpcException';
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }
}

function errorOf(body: unknown, status: number): string | object {
  if (body !== null && typeof body === 'object') return body;
  if (typeof body === 'string' && body.length > 0) return { status: 'error', message: body };
  return { status: 'error', message: `remote answered ${status}` };
}
