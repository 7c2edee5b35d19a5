import type { Provider } from '@nestjs/common';
import { LockService } from './lock.service';

/** The lock block's providers for DaprModule. */
export const lockProviders: Provider[] = [LockService];

export const lockExports = [LockService];
