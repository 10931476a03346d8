/**
 * A tiny FIFO mutex: the daemon's batches, saves, model swaps, reloads and rotations never
 * interleave, which is what lets a save between two batches be a consistent restart point.
 */
export class Exclusive {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it has settled (a failure does not block the queue). */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(work, work);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
