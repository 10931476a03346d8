/**
 * The daemon's answer to a transient I/O failure (a full disk, EIO, too many open files): wait and
 * try again, with reading held at the last durable position, instead of dying or skipping. Used
 * for every write the exactly-once rule depends on (anomalies.log, the training window, progress).
 */
import { errnoOf, messageOf } from '../errors.js';
import type { Logger } from '../log.js';

/** Failures that pass: space freed, descriptors closed, a flaky disk. Retried, never fatal. */
export const TRANSIENT_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ENOMEM']);
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

export interface TransientRetryOptions {
  log: Logger;
  /** True once the daemon is stopping: a failure then is thrown, not waited out. */
  stopping: () => boolean;
  /** Counts each retry by errno (the metrics endpoint). */
  onRetry?: (errno: string) => void;
}

/** Retries operations through transient I/O failures; `wake()` ends the current backoff wait. */
export class TransientRetry {
  readonly #options: TransientRetryOptions;
  #wake: (() => void) | null = null;

  constructor(options: TransientRetryOptions) {
    this.#options = options;
  }

  /**
   * Runs `operation` until it succeeds, retrying a transient I/O failure with a backoff of
   * 100 ms doubling to 5 s. Reported once per errno and once on recovery. Any other error, or any
   * error while stopping, is thrown.
   */
  async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const { log, stopping, onRetry } = this.#options;
    let delayMs = RETRY_FIRST_MS;
    let failing: string | null = null;
    let attempts = 0;
    for (;;) {
      try {
        const result = await operation();
        if (failing !== null) log.info(`${what} recovered`, { errno: failing, retries: attempts });
        return result;
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === undefined || !TRANSIENT_ERRNOS.has(errno) || stopping()) throw error;
        if (failing !== errno) {
          log.warn(`${what} failed: ${messageOf(error)}; retrying with backoff, reading waits at the last durable position`, { errno });
        }
        failing = errno;
        attempts += 1;
        onRetry?.(errno);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = null;
        delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Ends a backoff wait now (stop() calls it, so the retry sees `stopping` and throws). */
  wake(): void {
    this.#wake?.();
  }
}
