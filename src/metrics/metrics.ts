/**
 * The daemon's Prometheus metrics, in a registry of their own (not prom-client's global one), so
 * several daemons in one process (tests, the demo) never mix their figures.
 *
 * Counters are fed once per batch with the batch's totals. Figures that the daemon already holds
 * (lag per file, window size) are pulled at scrape time through callbacks, so nothing is kept up
 * to date between scrapes that nobody reads.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prefix of every metric name, including node's default metrics. */
export const METRIC_PREFIX = 'zeek_anomalyd_';

/** The facts about the scoring model the metrics expose (a `KModesModel` satisfies it). */
export interface ModelFacts {
  modelId: string;
  /** ISO 8601 time the model was built. */
  createdAt: string;
  /** Σ of Hamming distances of the training rows to their nearest centroid. */
  cost: number;
}

/** Unread bytes of one followed file (what `LogFollower.lag()` returns). */
export interface FileLagFigure {
  path: string;
  bytes: number;
}

/** Totals of one handled batch. */
export interface BatchTotals {
  records: number;
  parseErrors: number;
  anomalies: number;
  suppressed: number;
}

/** How a retrain ended, for the training-duration histogram. */
export type TrainingResult = 'installed' | 'failed';

/** Options of `DaemonMetrics`. */
export interface DaemonMetricsOptions {
  /** Epoch ms now, for the model age. @default Date.now */
  clock?: () => number;
  /** Called at scrape time for the lag of every followed file. @default none (only setLag) */
  lag?: () => readonly FileLagFigure[];
  /** Called at scrape time for the training window's row count. @default none (only setWindowRows) */
  windowRows?: () => number;
  /** Also export node's default process metrics (CPU, memory, GC, handles), prefixed. @default true */
  defaultMetrics?: boolean;
  /** Sampling resolution of the event-loop delay monitor. @default 10 */
  eventLoopResolutionMs?: number;
}

/** Training runs take from a fraction of a second (small windows) to minutes (a million rows). */
const TRAINING_BUCKETS_S = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Every figure the daemon exports. Create one per daemon, feed it from the batch loop, the model
 * swap and the retrain, and hand its `registry` to a `MetricsServer`. Call `close()` when done:
 * it stops the event-loop delay monitor.
 */
export class DaemonMetrics {
  /** The registry holding these metrics only; scrape it with `registry.metrics()`. */
  readonly registry = new Registry();
  readonly #clock: () => number;
  readonly #loopDelay: IntervalHistogram;
  #model: ModelFacts | null = null;
  readonly #records: Counter;
  readonly #parseErrors: Counter;
  readonly #anomalies: Counter;
  readonly #suppressed: Counter;
  readonly #gaps: Counter;
  readonly #lagSet = new Map<string, number>();
  readonly #windowRows: Gauge;
  readonly #training: Histogram<'result'>;
  readonly #ioRetries: Counter<'errno'>;

  constructor(options: DaemonMetricsOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    const registers = [this.registry];
    const name = (suffix: string): string => METRIC_PREFIX + suffix;

    this.#records = new Counter({ name: name('records_total'), help: 'dce_rpc records read and decoded.', registers });
    this.#parseErrors = new Counter({
      name: name('parse_errors_total'),
      help: 'Input lines skipped as malformed or over-long.',
      registers,
    });
    this.#anomalies = new Counter({ name: name('anomalies_total'), help: 'Anomalies reported to anomalies.log.', registers });
    this.#suppressed = new Counter({
      name: name('suppressed_total'),
      help: 'Anomalous records not reported because an allow rule matched.',
      registers,
    });

    this.#ioRetries = new Counter({
      name: name('io_retries_total'),
      help: 'Writes of output or state retried after a transient I/O error (full disk, EIO, too many open files), by errno.',
      labelNames: ['errno'],
      registers,
    });
    this.#gaps = new Counter({
      name: name('input_gaps_total'),
      help: 'Input files (or their unread rest) lost before they could be read: deleted or archived away and not found in [input] archives.',
      registers,
    });

    const lagSource = options.lag;
    const lagSet = this.#lagSet;
    new Gauge({
      name: name('lag_bytes'),
      help: 'Bytes written to a followed file and not yet handled.',
      labelNames: ['path'],
      registers,
      collect() {
        // Rebuilt at every scrape so files no longer followed (rotated away) drop out.
        this.reset();
        for (const [path, bytes] of lagSet) this.set({ path }, bytes);
        if (lagSource !== undefined) for (const figure of lagSource()) this.set({ path: figure.path }, figure.bytes);
      },
    });

    const facts = (): ModelFacts | null => this.#model;
    const clock = this.#clock;
    // Labelled with the model id so that, while learning, the series are absent rather than 0
    // (prom-client always prints an unlabelled gauge, and age 0 would read as "fresh model").
    new Gauge({
      name: name('model_age_seconds'),
      help: 'Seconds since the scoring model was built; absent while learning.',
      labelNames: ['model_id'],
      registers,
      collect() {
        this.reset();
        const model = facts();
        if (model !== null) this.set({ model_id: model.modelId }, ageSeconds(model.createdAt, clock()));
      },
    });
    new Gauge({
      name: name('model_cost'),
      help: 'Training cost of the scoring model (sum of Hamming distances to the nearest centroid); absent while learning.',
      labelNames: ['model_id'],
      registers,
      collect() {
        this.reset();
        const model = facts();
        if (model !== null) this.set({ model_id: model.modelId }, model.cost);
      },
    });

    this.#training = new Histogram({
      name: name('training_duration_seconds'),
      help: 'Wall-clock duration of retrains that trained a model (installed) or failed.',
      labelNames: ['result'],
      buckets: TRAINING_BUCKETS_S,
      registers,
    });

    const windowSource = options.windowRows;
    this.#windowRows = new Gauge({
      name: name('window_rows'),
      help: 'Rows in the training window.',
      registers,
      collect() {
        if (windowSource !== undefined) this.set(windowSource());
      },
    });

    const resolution = options.eventLoopResolutionMs ?? 10;
    const loopDelay = monitorEventLoopDelay({ resolution });
    loopDelay.enable();
    this.#loopDelay = loopDelay;
    new Gauge({
      name: name('event_loop_delay_seconds'),
      help: `Event-loop delay since the previous scrape, sampled every ${resolution} ms: p99 and max.`,
      labelNames: ['stat'],
      registers,
      collect() {
        // Reset after reading, as prom-client's own lag metrics do: each scrape covers its interval.
        const empty = loopDelay.count === 0;
        this.set({ stat: 'p99' }, empty ? 0 : nsToSeconds(loopDelay.percentile(99), resolution));
        this.set({ stat: 'max' }, empty ? 0 : nsToSeconds(loopDelay.max, resolution));
        loopDelay.reset();
      },
    });

    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: resolution });
    }
  }

  /** Adds one handled batch's totals. */
  batch(totals: BatchTotals): void {
    this.recordsRead(totals.records);
    this.parseErrors(totals.parseErrors);
    this.anomalies(totals.anomalies);
    this.suppressed(totals.suppressed);
  }

  /** Adds `count` records read and decoded. */
  recordsRead(count: number): void {
    if (count > 0) this.#records.inc(count);
  }

  /** Adds `count` malformed or over-long lines. */
  parseErrors(count: number): void {
    if (count > 0) this.#parseErrors.inc(count);
  }

  /** Adds `count` anomalies reported. */
  anomalies(count: number): void {
    if (count > 0) this.#anomalies.inc(count);
  }

  /** Counts one input gap: a file whose unread rest was lost before it could be read. */
  inputGap(): void {
    this.#gaps.inc();
  }

  /** Adds `count` anomalies suppressed by allow rules. */
  suppressed(count: number): void {
    if (count > 0) this.#suppressed.inc(count);
  }

  /**
   * Sets the lag of one file by hand; `null` forgets it. Figures from the `lag` callback, read at
   * scrape time, win over these for the same path.
   */
  setLag(path: string, bytes: number | null): void {
    if (bytes === null) this.#lagSet.delete(path);
    else this.#lagSet.set(path, bytes);
  }

  /** The model now scoring records, or null while learning. Its age is computed at each scrape. */
  setModel(model: ModelFacts | null): void {
    this.#model = model === null ? null : { modelId: model.modelId, createdAt: model.createdAt, cost: model.cost };
  }

  /** Counts one retry of a write that failed with `errno`. */
  ioRetry(errno: string): void {
    this.#ioRetries.inc({ errno });
  }

  /** Records how long a retrain took. */
  trainingFinished(result: TrainingResult, seconds: number): void {
    this.#training.observe({ result }, seconds);
  }

  /** Sets the training window's row count (the `windowRows` callback, when given, wins at scrape time). */
  setWindowRows(rows: number): void {
    this.#windowRows.set(rows);
  }

  /** The exposition text of every metric, as a scrape returns it. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops the event-loop delay monitor; the figures can still be scraped. */
  close(): void {
    this.#loopDelay.disable();
  }
}

/** Age in seconds of something built at the ISO time `createdAt`; never negative (clock skew). */
export function ageSeconds(createdAt: string, nowMs: number): number {
  const built = Date.parse(createdAt);
  if (Number.isNaN(built)) return 0;
  return Math.max(0, (nowMs - built) / 1000);
}

/**
 * The histogram records how late each timer tick came, plus the resolution itself; take it off so
 * an idle loop reads ~0 rather than the sampling period.
 */
function nsToSeconds(nanoseconds: number, resolutionMs: number): number {
  return Math.max(0, nanoseconds / 1e9 - resolutionMs / 1000);
}
