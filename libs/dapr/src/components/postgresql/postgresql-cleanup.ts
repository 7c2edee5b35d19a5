import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';

export interface ExpiredRowCollectorOptions {
  pool: Pool;
  logger: Logger;
  intervalMs: number;
  /** Conditional upsert of the `last-cleanup` row; `$1` = the interval in ms. Affects a row only when a cleanup is due. */
  claimQuery: string;
  deleteQuery: string;
}

/**
 * Deletes expired rows every `intervalMs`, the way Dapr's SQL garbage
 * collector does (`cc:common/component/sql/cleanup.go`): first atomically
 * claims the run by bumping `last-cleanup` in the metadata table only if the
 * previous run is older than the interval, so that many processes sharing a
 * database (Dapr sidecars included) clean up once per interval between them.
 */
export class ExpiredRowCollector {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(private readonly opts: ExpiredRowCollectorOptions) {}

  start(): void {
    this.schedule();
  }

  /** Runs one collection now; resolves to the number of rows deleted (0 when another process ran recently). */
  async collect(): Promise<number> {
    // 100 ms of slack, as Dapr, so a timer that fires slightly early is not skipped.
    const claimed = await this.opts.pool.query(this.opts.claimQuery, [Math.max(0, this.opts.intervalMs - 100)]);
    if (!claimed.rowCount) return 0;
    const deleted = await this.opts.pool.query(this.opts.deleteQuery);
    return deleted.rowCount ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.collect()
        .then((n) => {
          if (n > 0) this.opts.logger.debug(`removed ${n} expired rows`);
        })
        .catch((err: Error) => this.opts.logger.warn(`error removing expired rows: ${err.message}`))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.opts.intervalMs);
    // The collector alone never keeps the process alive.
    this.timer.unref();
  }
}
