import { DaprError } from './dapr.error';

/**
 * `DaprTransport` or `ClientDapr` cannot work as configured: the app has no
 * `DaprModule`, a `@MessagePattern` has nowhere to be served, a pattern names
 * no topic, two handlers claim one method. Raised at start-up (or on the
 * client's first call), never per message.
 */
export class MicroserviceConfigError extends DaprError {
  constructor(message: string) {
    super(message, 'ERR_MICROSERVICE_CONFIG');
  }
}
