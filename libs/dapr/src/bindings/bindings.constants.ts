/** Metadata key `@OnBinding` writes on a handler method. */
export const DAPR_BINDING_METADATA = 'dapr:binding';

/** Context type handlers see in guards/interceptors (`host.getType()`). */
export const DAPR_BINDING_CONTEXT = 'dapr-binding';
