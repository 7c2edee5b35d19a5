import { DaprError } from './dapr.error';

/**
 * A nest-dapr decorator used in a way that cannot work: `@StateStore()`
 * without a store name, an `@InvokeService` client whose InvocationService
 * was never injected (it was not provided through a module that imports
 * DaprModule), or a `remoteCall()` body in a class without `@InvokeService`.
 * Thrown where the mistake shows, naming the class and member.
 */
export class DecoratorUsageError extends DaprError {
  constructor(
    readonly decorator: string,
    message: string,
  ) {
    super(`${decorator}: ${message}`, 'ERR_DECORATOR_USAGE');
  }
}

/**
 * A declarative client method was called with arguments its route cannot be
 * built from (a `:param` of the path left empty). Nothing was sent.
 */
export class InvokeClientArgumentError extends DaprError {
  readonly nonRetriable = true;
  constructor(
    readonly client: string,
    message: string,
  ) {
    super(`${client}: ${message}`, 'ERR_MALFORMED_REQUEST');
  }
}
