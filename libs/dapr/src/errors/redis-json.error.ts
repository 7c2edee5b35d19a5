import { DaprError } from './dapr.error';

/**
 * A state.redis key holds a RedisJSON document: Dapr's JSON mode (a value saved
 * with contentType=application/json on a Redis with the RedisJSON module),
 * which nest-dapr's state.redis does not implement. Raised instead of the
 * server's WRONGTYPE so the cause is plain.
 */
export class RedisJsonModeError extends DaprError {
  constructor(readonly key: string) {
    super(
      `key "${key}" holds a RedisJSON document (Dapr's JSON mode: a value saved with contentType=application/json on a Redis with the RedisJSON module); nest-dapr's state.redis reads and writes Dapr's hash layout only`,
      'ERR_STATE_GET',
    );
  }
}
