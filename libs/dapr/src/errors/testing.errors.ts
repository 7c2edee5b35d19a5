import { DaprError } from './dapr.error';

/**
 * `nest-dapr/testing` was used in a way it cannot serve: a harness asked of a
 * module not built with DaprTestingModule, a binding triggered that has no
 * `@OnBinding` handler, an invocation of an app without a stub, deliveries
 * that did not settle in time. The message says what to change.
 */
export class DaprTestingError extends DaprError {
  constructor(message: string) {
    super(message, 'ERR_TESTING');
  }
}
