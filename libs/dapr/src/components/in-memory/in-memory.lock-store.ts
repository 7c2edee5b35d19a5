import type { ComponentMetadata } from '../../spi/component.spi';
import type { LockStoreDriver, TryLockRequest, UnlockRequest, UnlockStatus } from '../../spi/lock.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { IN_MEMORY_LOCK_METADATA } from './in-memory.metadata';

interface Held {
  owner: string;
  /** Epoch ms after which the lock is free. */
  expiresAt: number;
}

/**
 * `lock.in-memory`: the lock semantics of `lock.redis` inside one process
 * (one component instance), for tests and DaprTestingModule. An expired lock
 * is free at once; it is dropped when next touched.
 */
export class InMemoryLockStore implements LockStoreDriver {
  private readonly held = new Map<string, Held>();

  async init(md: ComponentMetadata): Promise<void> {
    decodeMetadata(IN_MEMORY_LOCK_METADATA, md);
  }

  features(): readonly string[] {
    return [];
  }

  async tryLock(req: TryLockRequest): Promise<{ success: boolean }> {
    if (this.live(req.resourceId)) return { success: false };
    this.held.set(req.resourceId, { owner: req.lockOwner, expiresAt: Date.now() + req.expiryInSeconds * 1000 });
    return { success: true };
  }

  async unlock(req: UnlockRequest): Promise<{ status: UnlockStatus }> {
    const held = this.live(req.resourceId);
    if (!held) return { status: 'LOCK_DOES_NOT_EXIST' };
    if (held.owner !== req.lockOwner) return { status: 'LOCK_BELONGS_TO_OTHERS' };
    this.held.delete(req.resourceId);
    return { status: 'SUCCESS' };
  }

  async close(): Promise<void> {
    this.held.clear();
  }

  /** The unexpired lock on `key`, dropping an expired one. */
  private live(key: string): Held | undefined {
    const held = this.held.get(key);
    if (held && held.expiresAt <= Date.now()) {
      this.held.delete(key);
      return undefined;
    }
    return held;
  }
}
