import { Injectable } from '@nestjs/common';

/** How a transaction of this process ended, as far as its outbox markers go. */
export type LocalOutcome = 'committed' | 'failed';

interface Pending {
  promise: Promise<LocalOutcome>;
  resolve: (outcome: LocalOutcome) => void;
}

/** How long a settled outcome is kept for a relay that has not asked yet. */
const KEEP_MS = 30_000;

/**
 * What this process knows about its own outbox transactions, so that its relay
 * need not guess. The internal message is published before the transaction
 * runs, so it usually reaches the relay before the marker exists; Dapr's relay
 * then always sleeps a second and polls. When the transaction ran here, the
 * relay waits for its outcome instead (at most as long as Dapr sleeps) and
 * checks the store at once. Another instance of the app, or a restarted one,
 * knows nothing and takes Dapr's path; the store decides either way.
 */
@Injectable()
export class OutboxCommits {
  private readonly pending = new Map<string, Pending>();

  /** Called before the internal messages are published. */
  begin(markers: string[]): void {
    for (const id of markers) {
      let resolve!: (outcome: LocalOutcome) => void;
      const promise = new Promise<LocalOutcome>((r) => (resolve = r));
      this.pending.set(id, { promise, resolve });
    }
  }

  /** Called once the store answered the transaction. */
  end(markers: string[], outcome: LocalOutcome): void {
    for (const id of markers) {
      const p = this.pending.get(id);
      if (!p) continue;
      p.resolve(outcome);
      setTimeout(() => this.pending.delete(id), KEEP_MS).unref();
    }
  }

  /** The local outcome of the transaction that wrote `marker`, once known; undefined after `timeoutMs` or if it ran elsewhere. */
  async outcome(marker: string, timeoutMs: number, stopping: () => boolean): Promise<LocalOutcome | undefined> {
    const p = this.pending.get(marker);
    if (!p) {
      await pause(timeoutMs, stopping);
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const outcome = await Promise.race([p.promise, timeUp]);
    clearTimeout(timer);
    return outcome;
  }
}

/** Sleeps `ms`, cut short when the relay is stopping. */
export async function pause(ms: number, stopping: () => boolean): Promise<void> {
  const step = 100;
  for (let left = ms; left > 0 && !stopping(); left -= step) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(step, left)));
  }
}
