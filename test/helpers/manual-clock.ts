import type { Clock, TimerHandle } from '../../src/scheduler/clock.js';

interface PendingTimer {
  id: number;
  at: number;
  fire: () => void;
}

/**
 * A clock that moves only when the test says so. `advance` fires the timers that fall due in
 * order, letting the promises they start settle between timers, as the event loop would. Timers
 * run on a monotonic time line, as Node's do; `stepWallClock` moves only what `now()` reads, as
 * an NTP step or a manual date change does.
 */
export class ManualClock implements Clock {
  #now: number;
  #wallOffset = 0;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now + this.#wallOffset;
  }

  setTimer(fire: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), fire };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#timers.reduce<PendingTimer | null>((a, t) => (a === null || t.at < a.at ? t : a), null);
      if (next === null || next.at > until) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fire();
      await settle();
    }
    this.#now = until;
    await settle();
  }

  /** Moves time without firing anything, as a blocked event loop or a suspended machine would. */
  jump(ms: number): void {
    this.#now += ms;
  }

  /** Steps the wall clock (what `now()` reads) without moving the timers' time line. */
  stepWallClock(ms: number): void {
    this.#wallOffset += ms;
  }

  /** Fires the timers due now (what the event loop does once it is free again). */
  async runDue(): Promise<void> {
    await this.advance(0);
  }
}

/** Lets pending promise callbacks and one turn of I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
