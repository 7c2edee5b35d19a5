import type { Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { InvocationAccessGuard } from './invocation-access.guard';
import { InvocationServerMetrics } from './invocation-server.metrics';
import { InvocationService } from './invocation.service';
import { NameResolutionService } from './name-resolution.service';

/**
 * The invocation block's providers for DaprModule. The access guard is bound
 * as APP_GUARD so that every HTTP route of the app (the methods other apps
 * invoke) is covered without per-controller decoration.
 */
export const invocationProviders: Provider[] = [
  NameResolutionService,
  InvocationService,
  InvocationAccessGuard,
  { provide: APP_GUARD, useExisting: InvocationAccessGuard },
  InvocationServerMetrics,
];

export const invocationExports = [InvocationService, NameResolutionService];
