import { Logger } from '@nestjs/common';
import type { InputBindingDriver, InputBindingHandler } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { parseCronSchedule, type CronSchedule } from './cron-schedule';
import { decodeMetadata, metadataError } from '../../spi/kit/metadata';
import { CRON_BINDING_METADATA } from './cron.metadata';

// setTimeout's ceiling (~24.8 days); longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `bindings.cron`: fires the input handler on a schedule. Event data is empty;
 * metadata carries `timeZone` and `readTimeUTC` (RFC 3339), as in Dapr.
 * A handler error is only logged: a clock tick has nothing to redeliver.
 */
export class CronBinding implements InputBindingDriver {
  private readonly logger = new Logger('bindings.cron');
  private name = '';
  private schedule!: CronSchedule;
  private timer?: NodeJS.Timeout;
  private stopped = true;

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    const m = decodeMetadata(CRON_BINDING_METADATA, md);
    try {
      this.schedule = parseCronSchedule(m.schedule, m.timeZone || undefined);
    } catch (err) {
      throw metadataError(md, 'schedule', `is invalid: ${(err as Error).message}`);
    }
  }

  features(): readonly string[] {
    return [];
  }

  async read(handler: InputBindingHandler): Promise<() => Promise<void>> {
    this.stopped = false;
    const inFlight = new Set<Promise<unknown>>();
    const arm = (from: Date) => {
      if (this.stopped) return;
      const at = this.schedule.next(from);
      if (!at) return;
      const wait = at.getTime() - Date.now();
      this.timer = setTimeout(
        () => {
          if (wait > MAX_TIMER_MS) return arm(from);
          const fired = new Date();
          const p = handler({
            data: new Uint8Array(0),
            metadata: { timeZone: this.schedule.timeZone, readTimeUTC: fired.toISOString() },
          })
            .catch((err: Error) => this.logger.warn(`cron "${this.name}" handler failed: ${err?.message ?? err}`))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
          arm(at);
        },
        Math.max(0, Math.min(wait, MAX_TIMER_MS)),
      );
    };
    arm(new Date());
    return async () => {
      this.stopped = true;
      clearTimeout(this.timer);
      await Promise.allSettled([...inFlight]);
    };
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
