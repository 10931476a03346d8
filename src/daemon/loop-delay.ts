/**
 * The daemon's own event-loop delay: how long timers, signals and I/O callbacks waited because
 * something ran on the main thread (a big batch, building a training set, saving a model). Shown
 * in the stats line and status.json so an operator (and the end-to-end tests) can see that
 * retraining in workers does not stall reading.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Delay figures in milliseconds. */
export interface LoopDelayFigures {
  /** 99th percentile since the previous `take()`. */
  p99Ms: number;
  /** Longest delay since the previous `take()`. */
  maxMs: number;
  /** Longest delay since the monitor started. */
  maxEverMs: number;
}

/** Samples the event loop every `resolutionMs` and reports per-interval and lifetime figures. */
export class LoopDelayMonitor {
  readonly #histogram: IntervalHistogram;
  readonly #resolutionMs: number;
  #maxEverMs = 0;
  #last: LoopDelayFigures = { p99Ms: 0, maxMs: 0, maxEverMs: 0 };

  constructor(resolutionMs = 10) {
    this.#resolutionMs = resolutionMs;
    this.#histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#histogram.enable();
  }

  /** Figures since the previous call; starts the next interval. */
  take(): LoopDelayFigures {
    const h = this.#histogram;
    // The sampling timer itself is due every resolution ms: only the excess is delay.
    const excess = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - this.#resolutionMs) * 10) / 10);
    const p99Ms = h.count === 0 ? 0 : excess(h.percentile(99));
    const maxMs = h.count === 0 ? 0 : excess(h.max);
    this.#maxEverMs = Math.max(this.#maxEverMs, maxMs);
    h.reset();
    this.#last = { p99Ms, maxMs, maxEverMs: this.#maxEverMs };
    return this.#last;
  }

  /** The figures of the last completed interval (zeros before the first `take()`). */
  get last(): LoopDelayFigures {
    return this.#last;
  }

  stop(): void {
    this.#histogram.disable();
  }
}
