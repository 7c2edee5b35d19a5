/** Metadata key `@OnConfigurationChange` writes on a handler method. */
export const DAPR_CONFIGURATION_METADATA = 'dapr:configuration';

/** Context type handlers see in guards/interceptors (`host.getType()`). */
export const DAPR_CONFIGURATION_CONTEXT = 'dapr-configuration';
