import type { Provider } from '@nestjs/common';
import { ResiliencyService } from './resiliency.service';

export const resiliencyProviders: Provider[] = [ResiliencyService];
export const resiliencyExports = [ResiliencyService];
