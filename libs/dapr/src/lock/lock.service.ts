import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { LockOperationError, LockRequestError, LockStoreNotConfiguredError, LockStoreNotFoundError } from '../errors/lock.errors';
import type { OutboundOperation } from '../operations/operation';
import { OperationRunner } from '../operations/operation-runner';
import { ResiliencyService } from '../resiliency/resiliency.service';
import { ComponentRuntime, type LoadedComponent } from '../runtime/component-runtime';
import type { LockStoreDriver, UnlockStatus } from '../spi/lock.spi';
import { LockKeyScheme } from './lock-key.scheme';

/** The answer of `LockService.lock`: whether this owner now holds the lock. */
export interface LockResponse {
  success: boolean;
}

/** The answer of `LockService.unlock`, with Dapr's status names. */
export interface UnlockResponse {
  status: UnlockStatus;
}

const MAX_INT32 = 2 ** 31 - 1;
const NO_METADATA: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** One lock store as the block uses it: its driver, key scheme and the two operations' hooks. */
interface LockTarget {
  driver: LockStoreDriver;
  keys: LockKeyScheme;
  tryLock: OutboundOperation;
  unlock: OutboundOperation;
}

/**
 * Dapr's distributed lock API (alpha, `/v1.0-alpha1/lock` and `/unlock`;
 * the SDK's `client.lock`): a non-blocking try-lock with an expiry and an
 * owner-checked unlock, on the `lock.*` components. Requests are validated as
 * daprd validates them, resource ids are prefixed with Dapr's lock key scheme
 * (so a Dapr app using the same store contends on the same keys), and every
 * call runs under the component's outbound resiliency policy with a
 * `lock/<store>/<op>` span and the lock metrics.
 * @publicApi
 */
@Injectable()
export class LockService implements OnModuleInit {
  private readonly targets = new Map<string, LockTarget>();

  constructor(
    private readonly runtime: ComponentRuntime,
    private readonly runner: OperationRunner,
    @Optional() private readonly resiliency?: ResiliencyService,
  ) {}

  /** daprd refuses a lock component with an illegal `keyPrefix` at start-up; so does this. */
  async onModuleInit(): Promise<void> {
    await this.runtime.start();
    for (const c of this.runtime.list('lock')) this.target(c.name);
  }

  /**
   * Tries to take the lock on `resourceId` for `lockOwner` for `expiryInSeconds`
   * (a positive whole number). Resolves `{ success: false }` at once when
   * someone else holds it; it never waits.
   */
  async lock(store: string, resourceId: string, lockOwner: string, expiryInSeconds: number): Promise<LockResponse> {
    // daprd checks the expiry first, before it even looks for lock stores.
    if (typeof expiryInSeconds !== 'number' || !Number.isInteger(expiryInSeconds) || expiryInSeconds <= 0 || expiryInSeconds > MAX_INT32) {
      throw new LockRequestError(store, Number.isInteger(expiryInSeconds) && expiryInSeconds <= 0 ? 'ExpiryInSeconds is not positive' : `ExpiryInSeconds must be a positive whole number of seconds (got ${String(expiryInSeconds)})`);
    }
    const t = this.validated(store, resourceId, lockOwner);
    const key = t.keys.toStorage(resourceId);
    if (key === undefined) throw new LockOperationError(store, 'lock', `input key/keyPrefix '${resourceId}' can't contain '||'`);
    const res = await this.runner.run(t.tryLock, undefined, () => t.driver.tryLock({ resourceId: key, lockOwner, expiryInSeconds, metadata: NO_METADATA }));
    return { success: res.success === true };
  }

  /**
   * Releases the lock when `lockOwner` holds it: `SUCCESS`, else
   * `LOCK_DOES_NOT_EXIST` (free or expired) or `LOCK_BELONGS_TO_OTHERS`.
   */
  async unlock(store: string, resourceId: string, lockOwner: string): Promise<UnlockResponse> {
    const t = this.validated(store, resourceId, lockOwner);
    const key = t.keys.toStorage(resourceId);
    if (key === undefined) throw new LockOperationError(store, 'unlock', `input key/keyPrefix '${resourceId}' can't contain '||'`);
    const res = await this.runner.run(t.unlock, undefined, () => t.driver.unlock({ resourceId: key, lockOwner, metadata: NO_METADATA }));
    return { status: res.status };
  }

  /** daprd's checks, in its order: any lock store at all, resourceId, lockOwner, the store. */
  private validated(store: string, resourceId: string, lockOwner: string): LockTarget {
    if (this.runtime.names('lock').length === 0) throw new LockStoreNotConfiguredError();
    if (typeof resourceId !== 'string' || resourceId === '') throw new LockRequestError(store, 'ResourceId is empty');
    if (typeof lockOwner !== 'string' || lockOwner === '') throw new LockRequestError(store, 'LockOwner is empty');
    return this.target(store);
  }

  private target(store: string): LockTarget {
    let t = this.targets.get(store);
    if (t) return t;
    const loaded = this.runtime.find<LockStoreDriver>('lock', store);
    if (!loaded) throw new LockStoreNotFoundError(store, this.runtime.names('lock'));
    t = {
      driver: loaded.driver,
      keys: LockKeyScheme.fromMetadata(store, loaded.metadata.properties, loaded.metadata.appId, loaded.metadata.source),
      tryLock: this.operation(loaded, 'lock'),
      unlock: this.operation(loaded, 'unlock'),
    };
    this.targets.set(store, t);
    return t;
  }

  private operation(loaded: LoadedComponent<LockStoreDriver>, op: 'lock' | 'unlock'): OutboundOperation {
    const { tracer, metrics } = this.runner;
    const name = loaded.name;
    const metric = op === 'lock' ? 'try_lock' : 'unlock';
    return {
      // Dapr runs both under the component's outbound policy (DefaultLockComponentOutbound*).
      policy: this.resiliency?.policyFor({ kind: 'component', name, direction: 'outbound' }),
      startSpan: () => tracer.startLockSpan(name, metric, loaded.type),
      record: (error, elapsedMs) => metrics.lockOperation(name, metric, error === undefined, elapsedMs),
      // daprd answers any failure of the store or of the policy (timeout, open breaker) as ERR_TRY_LOCK / ERR_UNLOCK.
      toError: (err) => (err instanceof LockOperationError ? err : new LockOperationError(name, op, (err as Error)?.message ?? String(err), { cause: err })),
    };
  }
}
