/**
 * How long shutdown waits for in-flight deliveries (pub/sub handlers, input
 * binding handlers) once intake stopped, before the drivers close. A delivery
 * still running then is given back to its source and redelivered.
 */
export const DRAIN_TIMEOUT_MS = 10_000;
