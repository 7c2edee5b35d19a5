import { Module } from '@nestjs/common';
import { DaprHealthController } from './dapr-health.controller';

/**
 * Opt-in HTTP health endpoints (see DaprHealthController). Opt-in because the
 * routes would otherwise collide with an app's own `/healthz` (often served by
 * terminus) and would publish component names and errors on every app that
 * imports DaprModule. `DaprHealthService` and `DaprHealthIndicator` are always
 * available from DaprModule for apps that build their own endpoint.
 */
@Module({ controllers: [DaprHealthController] })
export class DaprHealthModule {}
