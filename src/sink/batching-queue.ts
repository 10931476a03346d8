/**
 * Collects items and hands them to an async flush in batches: when `maxItems` are waiting, or
 * `flushIntervalMs` after the first waiting item, whichever comes first, so output lags at most
 * one interval behind. Flushes run one at a time in order; a failing flush is reported to
 * `onError` and its items are dropped from the queue (the daemon's pending/reconcile record is
 * what makes a failed batch recoverable, not this queue).
 */

/** Settings of a BatchingQueue. */
export interface BatchingQueueOptions<T> {
  /** Receives each batch (never empty). */
  flush: (items: T[]) => Promise<void>;
  /** Flush as soon as this many items wait. @default 1000 */
  maxItems?: number;
  /** Flush at most this long after the first waiting item. @default 1000 */
  flushIntervalMs?: number;
  /** Called with every flush failure; the timer keeps running. */
  onError: (error: unknown) => void;
}

/** A size-or-time batching queue in front of an async sink. */
export class BatchingQueue<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #maxItems: number;
  readonly #flushIntervalMs: number;
  readonly #onError: (error: unknown) => void;
  #items: T[] = [];
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: BatchingQueueOptions<T>) {
    this.#flush = options.flush;
    this.#maxItems = options.maxItems ?? 1000;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#onError = options.onError;
  }

  /** Items waiting for the next flush. */
  get pending(): number {
    return this.#items.length;
  }

  /** Queues one item; may start a flush. */
  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#maxItems) {
      void this.flush();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => void this.flush(), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Flushes what is waiting now; resolves when it (and every earlier flush) has finished. */
  flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const items = this.#items;
    this.#items = [];
    if (items.length > 0) {
      this.#chain = this.#chain.then(() => this.#flush(items)).catch((error: unknown) => this.#onError(error));
    }
    return this.#chain;
  }
}
