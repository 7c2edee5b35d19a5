import { Injectable } from '@nestjs/common';
import { DaprHealthService, type ComponentStatus } from './dapr-health.service';

/** Same shape as terminus' `HealthIndicatorResult` (terminus stays an optional peer: nothing is imported from it). */
export type DaprHealthIndicatorResult<K extends string = string> = Record<
  K,
  { status: 'up' | 'down'; components: Record<string, ComponentStatus>; shuttingDown?: boolean }
>;

/**
 * A `@nestjs/terminus` health indicator for the Dapr components:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.dapr.isHealthy('dapr')]); }
 * ```
 *
 * Reports `down` (so terminus answers 503) when any component is down, with
 * each component's status and error; terminus itself switches to
 * `shutting_down` during the drain.
 */
@Injectable()
export class DaprHealthIndicator {
  constructor(private readonly health: DaprHealthService) {}

  async isHealthy<K extends string = 'dapr'>(key: K = 'dapr' as K): Promise<DaprHealthIndicatorResult<K>> {
    const r = await this.health.readiness();
    const status = r.status === 'ok' ? 'up' : 'down';
    const value = r.status === 'shutting_down' ? { status, components: r.components, shuttingDown: true } : { status, components: r.components };
    return { [key]: value } as DaprHealthIndicatorResult<K>;
  }
}
