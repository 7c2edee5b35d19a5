import { EventEmitter } from 'node:events';

/**
 * The deadline of one invocation, all attempts included. An EventEmitter
 * with `aborted`, which undici accepts as a request `signal`: creating and
 * listening to an AbortController costs node several microseconds per call
 * (AbortSignal.timeout even more, and its timer lives its full duration),
 * this costs one object and one cleared timer.
 */
export class CallDeadline extends EventEmitter {
  aborted = false;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly ms: number) {
    super();
    this.timer = setTimeout(expire, ms, this);
    this.timer.unref();
  }

  /** The call finished: the timer goes. */
  clear(): void {
    clearTimeout(this.timer);
  }

  /** An AbortSignal that aborts with this deadline or `other`, whichever comes first (for policies that cancel). */
  combinedWith(other: AbortSignal): AbortSignal {
    const both = new AbortController();
    const abort = () => both.abort();
    if (this.aborted || other.aborted) abort();
    else {
      this.once('abort', abort);
      other.addEventListener('abort', abort, { once: true });
    }
    return both.signal;
  }
}

function expire(deadline: CallDeadline): void {
  deadline.aborted = true;
  deadline.emit('abort');
}
