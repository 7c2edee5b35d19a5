import { Controller, Get, HttpCode, HttpException, HttpStatus, Query } from '@nestjs/common';
import { DaprHealthService, type DaprReadiness } from './dapr-health.service';

/**
 * Health endpoints (registered by `DaprHealthModule`):
 * - `GET /healthz` — liveness, 200 while the process runs;
 * - `GET /healthz/ready` — readiness with each component's status, 200 or 503;
 * - `GET /v1.0/healthz` and `/v1.0/healthz/outbound` — Dapr's sidecar API shape:
 *   204 when ready, else 500 `{ errorCode: ERR_HEALTH_NOT_READY | ERR_OUTBOUND_HEALTH_NOT_READY }`.
 */
@Controller()
export class DaprHealthController {
  constructor(private readonly health: DaprHealthService) {}

  @Get('healthz')
  liveness() {
    return this.health.liveness();
  }

  @Get('healthz/ready')
  async readiness(): Promise<DaprReadiness> {
    const r = await this.health.readiness();
    if (r.status !== 'ok') throw new HttpException(r, HttpStatus.SERVICE_UNAVAILABLE);
    return r;
  }

  @Get('v1.0/healthz')
  @HttpCode(204)
  async daprHealthz(@Query('appid') appId?: string): Promise<void> {
    const r = await this.health.readiness();
    if (appId !== undefined && appId !== r.appId) {
      throw new HttpException(
        { errorCode: 'ERR_HEALTH_APPID_NOT_MATCH', message: `dapr app-id does not match: ${appId}` },
        HttpStatus.INTERNAL_SERVER_ERROR,
      );
    }
    if (r.status !== 'ok') {
      throw new HttpException({ errorCode: 'ERR_HEALTH_NOT_READY', message: notReady(r) }, HttpStatus.INTERNAL_SERVER_ERROR);
    }
  }

  @Get('v1.0/healthz/outbound')
  @HttpCode(204)
  async daprOutbound(): Promise<void> {
    const r = await this.health.readiness();
    if (r.status !== 'ok') {
      throw new HttpException({ errorCode: 'ERR_OUTBOUND_HEALTH_NOT_READY', message: notReady(r) }, HttpStatus.INTERNAL_SERVER_ERROR);
    }
  }
}

function notReady(r: DaprReadiness): string {
  if (r.status === 'shutting_down') return 'dapr is shutting down';
  const down = Object.entries(r.components)
    .filter(([, c]) => c.status === 'down')
    .map(([name, c]) => `${name}: ${c.error ?? 'down'}`);
  return `dapr is not ready: ${down.join('; ')}`;
}
