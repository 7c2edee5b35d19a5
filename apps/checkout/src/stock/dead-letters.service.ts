import { Injectable } from '@nestjs/common';
import { StateStore } from 'nest-dapr';
import { withETagRetry } from '../../../common/etag-retry';
import { STOCK_STORE } from '../../../common/topics';

/** One event that ended on the dead-letter topic, as checkout recorded it. */
export interface DeadLetter {
  id: string;
  type: string;
  /** The topic the event was first published to (the dead-lettered CloudEvent is forwarded unchanged). */
  topic: string;
  data: unknown;
  receivedAt: string;
}

const KEY = 'dead-letters';
const KEEP = 100;

/** Keeps the last dead-lettered events so operators (and the demo) can see what was refused. */
@Injectable()
export class DeadLettersService {
  constructor(@StateStore(STOCK_STORE) private readonly store: StateStore<DeadLetter[]>) {}

  async record(letter: DeadLetter): Promise<void> {
    await withETagRetry(async () => {
      const item = await this.store.getItem(KEY);
      const list = item?.value ?? [];
      if (list.some((l) => l.id === letter.id)) return; // redelivered: already recorded
      const next = [...list, letter].slice(-KEEP);
      await this.store.save(KEY, next, item ? { etag: item.etag } : { options: { concurrency: 'first-write' } });
    });
  }

  async list(): Promise<DeadLetter[]> {
    return (await this.store.get(KEY)) ?? [];
  }
}
