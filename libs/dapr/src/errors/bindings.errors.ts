import { DaprError } from './dapr.error';

/** Dapr answers every output binding failure with this code (`ERR_INVOKE_OUTPUT_BINDING`). */
export const ERR_INVOKE_OUTPUT_BINDING = 'ERR_INVOKE_OUTPUT_BINDING';

/** No output (or input) binding of that name is configured; lists the known ones. */
export class BindingNotFoundError extends DaprError {
  constructor(
    readonly binding: string,
    readonly known: string[],
    readonly direction: 'input' | 'output' = 'output',
  ) {
    super(
      `${direction} binding "${binding}" is not configured; known ${direction} bindings: ${known.length ? known.join(', ') : '(none)'}`,
      direction === 'output' ? ERR_INVOKE_OUTPUT_BINDING : 'ERR_INPUT_BINDING_NOT_FOUND',
    );
  }
}

/** The binding does not support the requested operation; lists the supported ones. */
export class BindingOperationNotSupportedError extends DaprError {
  constructor(
    readonly binding: string,
    readonly operation: string,
    readonly supported: readonly string[],
  ) {
    super(
      `binding "${binding}" does not support operation "${operation}"; supported operations: ${supported.join(', ')}`,
      ERR_INVOKE_OUTPUT_BINDING,
    );
  }
}

/** A request the driver refuses before touching the backend (missing `sql`, bad `key`, path escaping rootPath...). */
export class BindingRequestError extends DaprError {
  readonly nonRetriable = true;
  constructor(
    readonly binding: string,
    readonly operation: string,
    reason: string,
  ) {
    super(`binding "${binding}" operation "${operation}": ${reason}`, ERR_INVOKE_OUTPUT_BINDING);
  }
}

/** The backend failed the call; the driver's error is the cause. Response metadata is kept (Dapr sets it even on error). */
export class BindingInvokeError extends DaprError {
  constructor(
    readonly binding: string,
    readonly operation: string,
    reason: string,
    readonly metadata: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(`error invoking output binding "${binding}" (operation "${operation}"): ${reason}`, ERR_INVOKE_OUTPUT_BINDING, options);
  }
}

/** `bindings.http` got a non-2xx answer and `errorIfNot2XX` is on (the default). */
export class HttpBindingStatusError extends BindingInvokeError {
  constructor(
    binding: string,
    operation: string,
    readonly statusCode: number,
    readonly body: string,
    metadata: Record<string, string>,
  ) {
    super(binding, operation, `received status code ${statusCode}`, metadata);
  }
}

/** Two `@OnBinding` handlers claim the same input binding. */
export class DuplicateBindingHandlerError extends DaprError {
  constructor(
    readonly binding: string,
    first: string,
    second: string,
  ) {
    super(`input binding "${binding}" has two @OnBinding handlers: ${first} and ${second}`, 'ERR_DUPLICATE_BINDING_HANDLER');
  }
}
