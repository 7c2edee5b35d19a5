import type { AppHealthOptions } from '../sidecar-options';
import type { AppChannel } from './app-channel';

export interface AppHealthHooks {
  /** The app became healthy: start deliveries. */
  healthy: () => Promise<void>;
  /** The app failed `threshold` probes in a row: stop deliveries. */
  unhealthy: () => Promise<void>;
  log: (message: string) => void;
}

/**
 * daprd's app health checks (`--enable-app-health-check`): probe every
 * interval with a timeout; after `threshold` consecutive failures the app is
 * unhealthy and deliveries stop, the first success starts them again.
 */
export class AppHealthMonitor {
  private timer?: NodeJS.Timeout;
  private healthy = false;
  private failures = 0;
  private running = false;
  private stopped = false;
  private resolveFirst!: () => void;
  private readonly first = new Promise<void>((r) => (this.resolveFirst = r));

  constructor(
    private readonly channel: AppChannel,
    private readonly options: AppHealthOptions,
    private readonly hooks: AppHealthHooks,
  ) {}

  start(): void {
    void this.tick();
  }

  firstHealthy(): Promise<void> {
    return this.first;
  }

  get isHealthy(): boolean {
    return this.healthy;
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    try {
      const ok = await this.channel.probe(this.options.path, this.options.timeoutMs);
      if (this.stopped) return;
      if (ok) {
        this.failures = 0;
        if (!this.healthy) {
          this.healthy = true;
          this.hooks.log('app is healthy: deliveries start');
          await this.hooks.healthy();
          this.resolveFirst();
        }
      } else if (++this.failures >= this.options.threshold && this.healthy) {
        this.healthy = false;
        this.hooks.log(`app failed ${this.failures} health probes: deliveries stop`);
        await this.hooks.unhealthy();
      }
    } finally {
      this.running = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.resolveFirst();
  }
}
