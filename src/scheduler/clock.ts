/**
 * The time source of the scheduler. The daemon uses the system clock; tests pass a manual clock
 * (test/helpers/manual-clock.ts) and move time themselves, so no test waits on a real timer.
 */

/** A handle returned by `Clock.setTimer`. */
export type TimerHandle = NodeJS.Timeout | number;

/** Reads the time and arms one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fire` after `delayMs`; the timer must not keep the process alive. */
  setTimer(fire: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Node's timers cap a delay at 2^31 - 1 ms (24.8 days); a longer wait is re-armed on waking. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `Date.now` and unref'd `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fire, delayMs) => setTimeout(fire, Math.min(Math.max(0, delayMs), MAX_TIMER_MS)).unref(),
  clearTimer: (handle) => clearTimeout(handle),
};
