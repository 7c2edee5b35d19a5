import { Catch, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DaprError } from '../errors/dapr.error';
import { InvocationError } from '../errors/invocation.errors';
import { ETagInvalidError, ETagMismatchError, StateKeyInvalidError } from '../errors/state.errors';
import { LockRequestError } from '../errors/lock.errors';

/** The JSON body of an error answer: Dapr's own error shape (`errorCode`, `message`). */
export interface DaprErrorBody {
  errorCode: string;
  message: string;
}

/**
 * Answers a `DaprError` that escapes an HTTP handler with the status a client
 * can act on, instead of Nest's bare 500:
 *
 * - `ETagMismatchError` → 409 (read again, then retry the write)
 * - `ETagInvalidError`, `StateKeyInvalidError`, `LockRequestError` → 400 (the request itself is wrong)
 * - `InvocationError` → the invoked app's status (4xx/5xx; anything else → 502)
 * - any other `DaprError` → 500
 *
 * The body is Dapr's `{ errorCode, message }`. Opt in globally with
 * `{ provide: APP_FILTER, useClass: DaprExceptionFilter }` (or
 * `app.useGlobalFilters(new DaprExceptionFilter(app.get(HttpAdapterHost)))`), or per
 * controller with `@UseFilters(DaprExceptionFilter)`. Only `DaprError`s are caught;
 * Nest handles everything else as before. Outside HTTP (subscription, binding
 * and microservice handlers) the error is rethrown untouched, so delivery
 * semantics (retry, dead-letter) do not change.
 */
@Catch(DaprError)
export class DaprExceptionFilter implements ExceptionFilter<DaprError> {
  private readonly logger = new Logger('DaprExceptionFilter');

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: DaprError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const status = statusOf(error);
    const body: DaprErrorBody = { errorCode: error.errorCode, message: error.message };
    // 5xx means our side failed: keep the stack in the log, as Nest does for unknown errors.
    if (status >= 500) this.logger.error(error.message, error.stack);
    const response = host.switchToHttp().getResponse<unknown>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) adapter.reply(response, body, status);
    else replyExpressLike(response, body, status);
  }
}

/** The HTTP status for a DaprError (see DaprExceptionFilter). */
export function statusOf(error: DaprError): number {
  if (error instanceof ETagMismatchError) return 409;
  if (error instanceof ETagInvalidError || error instanceof StateKeyInvalidError || error instanceof LockRequestError) return 400;
  if (error instanceof InvocationError) {
    // A 2xx InvocationError means the answer could not be read (body not matching its content type): a bad gateway.
    return Number.isInteger(error.status) && error.status >= 400 && error.status <= 599 ? error.status : 502;
  }
  return 500;
}

function replyExpressLike(response: unknown, body: DaprErrorBody, status: number): void {
  const res = response as { status?: (s: number) => { json(b: unknown): void }; code?: (s: number) => { send(b: unknown): void } };
  // Without HttpAdapterHost (filter constructed by hand): Express has status().json(), Fastify code().send().
  if (typeof res.status === 'function') res.status(status).json(body);
  else if (typeof res.code === 'function') res.code(status).send(body);
  else throw new TypeError('DaprExceptionFilter: unsupported HTTP response object; construct it with HttpAdapterHost');
}
