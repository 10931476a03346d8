/**
 * The composition root of `zeek-anomalyd run`: follows the configured logs, scores every record,
 * writes anomalies exactly once, keeps a sampled training window, retrains on a schedule, and
 * behaves as a systemd service (readiness, watchdog, reload, drain; src/cli/run.ts maps signals and
 * the environment onto them).
 *
 * Exactly-once output rests on one rule: everything that changes what a restart would do (the
 * progress document: read positions, the anomalies.log size, the scoring model) is saved
 * together, between batches, never while one is being handled. See docs/how-it-works.md.
 */
import { mkdir } from 'node:fs/promises';
import { diffConfig, formatConfigChange, loadConfigFile, type Config } from '../config/index.js';
import { DaemonError, errnoOf, messageOf } from '../errors.js';
import { TrainingSampler } from '../features/index.js';
import type { KModesModel } from '../model/index.js';
import { RetrainScheduler } from '../scheduler/index.js';
import { ANOMALY_SCHEMA, fewerClustersNote, RecordEvaluator, Retrainer, routineOptionsFrom, scoringRuleFrom, type RoutineStats } from '../score/index.js';
import { FeatureExtractor } from '../features/index.js';
import { loadRoutineStats, saveRoutineStats } from '../state/routine-stats-file.js';
import { AnomalyLogWriter, createAnomalyFormatter, OutputReplay } from '../sink/index.js';
import { acquireStateLock, TrainingWindow, type StateLock } from '../state/index.js';
import { LogFollower, type GapEvent, type LineBatch } from '../tail/index.js';
import { DaemonMetrics, MetricsServer } from '../metrics/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { BatchScorer } from './batch-scorer.js';
import { bootstrapWindow } from './bootstrap.js';
import type { DaemonLogger } from './logger.js';
import { LoopDelayMonitor } from './loop-delay.js';
import { ModelStore } from './model-store.js';
import { emptyProgress, loadProgress, saveProgress, type Progress } from './progress.js';
import { writeStatus, type DaemonStatus } from './status-file.js';
import { SystemdNotifier } from './systemd.js';

/** Sections bound when the daemon starts (inputs, the output file, the metrics endpoint): a reload defers them. */
const BOUND_AT_START: ReadonlySet<string> = new Set(['input', 'output', 'metrics']);

/** Things a caller (the CLI, the demo, tests) may want to observe. */
export interface DaemonHooks {
  /** Called for every anomaly written, with its record and explanation. */
  onAnomaly?: (record: DceRpcRecord, values: readonly unknown[]) => void;
}

export interface DaemonOptions {
  configPath: string;
  config: Config;
  logger: DaemonLogger;
  hooks?: DaemonHooks;
  /** Readiness and watchdog; by default none (the demo and tests run outside systemd). */
  systemd?: SystemdNotifier;
}

/** A tiny FIFO mutex: batches, saves, swaps, reloads and rotations never interleave. */
class Exclusive {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(work, work);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** What start() opens, all at once: no part of it is ever half there. */
interface Opened {
  models: ModelStore;
  window: TrainingWindow;
  /** Routine statistics over every record read (not only the sampled window), persisted. */
  routine: RoutineStats;
  routineGroup: FeatureExtractor;
  sampler: TrainingSampler;
  /** Decodes, samples, scores and formats each batch. */
  scorer: BatchScorer;
  writer: AnomalyLogWriter;
}

/** How often the routine statistics are saved besides at retrain and stop (losing less costs more). */
const ROUTINE_SAVE_INTERVAL_MS = 60_000;

export class Daemon {
  #config: Config;
  readonly #configPath: string;
  readonly #log: DaemonLogger;
  readonly #hooks: DaemonHooks;
  readonly #systemd: SystemdNotifier;
  readonly #exclusive = new Exclusive();
  #lock: StateLock | null = null;
  /** What start() opened (state, window, statistics, output): null until then, and after a start cut short. */
  #opened: Opened | null = null;
  #routineSavedAtMs = Date.now();
  #follower: LogFollower | null = null;
  #metrics: DaemonMetrics | null = null;
  #metricsServer: MetricsServer | null = null;
  #scheduler: RetrainScheduler | null = null;
  #evaluator: RecordEvaluator | null = null;
  #pendingModel: KModesModel | null = null;
  #replay: OutputReplay | null = null;
  #progress: Progress = emptyProgress();
  #dirty = false;
  #lastBatchAt = 0;
  /** A newline that ends a torn last line, owed by a replay that ended while idle. */
  #pendingTornEnd: Buffer = Buffer.alloc(0);
  #stopping = false;
  /** The start-up in progress: a stop waits for its current step, then undoes what it did. */
  #starting: Promise<void> | null = null;
  /** start() has run to its end: reloads may apply. */
  #ready = false;
  #statsTimer: NodeJS.Timeout | null = null;
  #loopDelay: LoopDelayMonitor | null = null;
  #saveTimer: NodeJS.Timeout | null = null;
  #lastRetrain: DaemonStatus['lastRetrain'] = null;
  #statsBase = { records: 0, at: Date.now() };
  #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #exitCode = 0;
  /** Ends the backoff wait of a transient-error retry (stop() calls it). */
  #wakeRetry: (() => void) | null = null;

  /** The opened state, for the work that only runs once start() has opened it. */
  get #open(): Opened {
    if (this.#opened === null) throw new Error('daemon: used before start() opened its state');
    return this.#opened;
  }

  constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#configPath = options.configPath;
    this.#log = options.logger;
    this.#hooks = options.hooks ?? {};
    this.#systemd = options.systemd ?? new SystemdNotifier({});
    this.#stopped = new Promise((resolve) => (this.#resolveStopped = resolve));
  }

  /** Resolves with the exit code once the daemon has stopped (signal, fatal error or stop()). */
  async finished(): Promise<number> {
    await this.#stopped;
    return this.#exitCode;
  }

  get modelId(): string | null {
    return this.#evaluator?.model.modelId ?? null;
  }

  /** Starts everything; returns early (without error) when stop() is called meanwhile. */
  async start(): Promise<void> {
    this.#starting = this.#start();
    await this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopping) return;
    const config = this.#config;
    const stateDirectory = config.input.stateDirectory;
    await mkdir(stateDirectory, { recursive: true });
    await mkdir(config.output.directory, { recursive: true });
    this.#lock = await acquireStateLock(stateDirectory);
    if (this.#stopping) return;
    // metrics: created first so bootstrap training is measured; served only once ready.
    if (config.metrics.enabled) {
      this.#metrics = new DaemonMetrics({
        lag: () => this.#follower?.lag() ?? [],
        windowRows: () => this.#opened?.window.size ?? 0,
      });
    }
    const models = new ModelStore(stateDirectory);
    this.#progress = await loadProgress(stateDirectory, (warning) => this.#log.warn(warning));

    const openedWindow = await TrainingWindow.openOrReset({
      maxRows: config.training.windowMaxRows,
      maxAgeMs: config.training.windowMaxAgeMs,
      directory: stateDirectory,
      whenFull: config.training.sampleEvery === 'auto' ? 'thin' : 'drop-oldest',
    });
    const window = openedWindow.window;
    for (const warning of openedWindow.warnings) this.#log.warn(warning.message);
    if (this.#progress.savedAt === '' && window.size > 0) {
      // Not a first start (an operator may pin a model before one, but only a run fills the
      // window): the state of an earlier run is here, only its positions are gone.
      this.#log.warn(
        'progress.json is missing but the state directory holds an earlier run (its training window): every followed file is read again from its start, and anomalies already in anomalies.log for those lines are written again',
        { state_directory: stateDirectory },
      );
    } else if (this.#progress.sampled > 0 && window.size === 0) {
      this.#log.warn('the training window files are missing: the rows sampled by earlier runs are lost; learning starts again', {
        sampled_before: this.#progress.sampled,
      });
    }
    if (openedWindow.reset !== undefined) this.#log.warn(`training window reset: ${openedWindow.reset.message}`);
    if (this.#stopping) return;
    const routine = await loadRoutineStats(stateDirectory, routineOptionsFrom(config.scoring));
    if (routine.warning !== undefined) this.#log.warn(routine.warning);
    const routineGroup = new FeatureExtractor({ ...config.features, features: ['orig_ip_group'] });
    // No statistics yet but a window (an upgrade): start from the rows the window kept.
    if (!routine.restored && window.size > 0) observeWindow(window, routine.stats, routineGroup);
    const sampler = new TrainingSampler({
      // With sample_every = auto the window decides (offer()); this sampler is not consulted.
      every: config.training.sampleEvery === 'auto' ? 1 : config.training.sampleEvery,
      mode: config.training.sampleMode,
      seed: config.model.seed ?? 0,
    });
    sampler.restore({ seen: this.#progress.sampled });
    const scorer = new BatchScorer({
      sampler: config.training.sampleEvery === 'auto' ? null : sampler,
      window,
      routine: routine.stats,
      routineGroup,
      formatter: this.#formatter(),
      log: this.#log,
      onAnomaly: this.#hooks.onAnomaly,
    });

    await this.#loadModelAtStart(models);
    if (this.#stopping) return;
    const writer = await this.#openOutput();
    this.#opened = { models, window, routine: routine.stats, routineGroup, sampler, scorer, writer };
    // First start: record where anomalies.log stands before anything is read, so that a crash
    // during the very first batch is replayed against it instead of writing that batch twice.
    if (this.#progress.output === null) {
      await writer.prepare();
      this.#progress.installedAt ??= new Date().toISOString();
      await this.#save();
    }
    // A state directory from before issue 14 has no install instant: files rotated from now on
    // and never read are ours.
    this.#progress.installedAt ??= new Date().toISOString();
    if (this.#stopping) return;

    if (this.#evaluator === null && config.input.archives.length > 0 && window.size === 0) {
      const added = await bootstrapWindow(config, window, this.#log);
      observeWindow(window, routine.stats, routineGroup);
      await window.persist();
      if (added > 0 && !this.#stopping) await this.#retrain('bootstrap');
      if (this.#stopping) return;
    }
    if (this.#evaluator === null) {
      this.#log.info('learning: no model yet; sampling records until the training window holds enough', {
        window: window.size,
        min_rows: config.training.minRows,
      });
    }

    this.#startScheduler();

    this.#follower = new LogFollower({
      patterns: config.input.paths,
      archives: config.input.archives,
      newInstallSinceMs: Date.parse(this.#progress.installedAt),
      pollIntervalMs: config.input.pollIntervalMs,
      maxLineBytes: config.input.maxLineBytes,
      checkpoints: this.#progress.files,
      wakeWithChokidar: true,
    });
    this.#follower.on('rotated', (event) => this.#log.info('input rotated', { path: event.path, reason: event.reason }));
    this.#follower.on('truncated', (event) =>
      this.#log.warn('input truncated, reading it again from the start', { path: event.path, reason: event.reason }),
    );
    this.#follower.on('file-added', (file) => this.#log.info('following', { path: file.path }));
    this.#follower.on('gap', (gap) => void this.#exclusive.run(() => Promise.resolve(this.#recordGap(gap))));
    this.#follower.on('gap-suspected', (event) => {
      if (event.looks === 1) this.#log.info('the file being read is not where rotated files go; looking again before counting its rest as lost', { path: event.path, fingerprint: event.file.fingerprint, from_byte: event.fromOffset });
    });
    this.#follower.on('catch-up', (progress) => {
      if (progress.filesLeft > 0) this.#log.info('catching up', { path: progress.path, files_left: progress.filesLeft, bytes_left: progress.bytesLeft, reading: progress.current ?? '' });
      void this.#writeStatus();
    });
    this.#follower.on('overlong', (event) =>
      this.#log.warn('over-long line skipped', { path: event.path, line: event.line, bytes: event.lengthBytes }),
    );
    this.#follower.on('tail-error', (error) => this.#log.warn(error.message));
    this.#follower.on('read-recovered', (event) => this.#log.info('input readable again', { path: event.path, errno: event.code, failed_tries: event.failures }));
    this.#follower.on('fatal', (error) => {
      this.#log.error(`stopping: ${error.message}`, { cause: causeOf(error) });
      this.#exitCode = 1;
      void this.stop();
    });
    this.#follower.start((batch) => this.#exclusive.run(() => this.#handle(batch)));

    this.#saveTimer = setInterval(() => this.#idleSave(), 1000);
    this.#saveTimer.unref();
    this.#loopDelay = new LoopDelayMonitor();
    if (config.logging.statsIntervalMs > 0) this.#startStats(config.logging.statsIntervalMs);
    this.#systemd.startWatchdog();
    await this.#systemd.ready(this.#statusLine());
    await this.#startMetricsServer();
    this.#ready = true;
    this.#log.info('started', {
      inputs: config.input.paths.join(','),
      output: config.output.directory,
      model: this.modelId ?? 'none (learning)',
    });
  }

  /** Drains, checkpoints and releases everything; safe to call more than once. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.#stopped;
    this.#stopping = true;
    // A start-up in progress ends its current step first (a bootstrap training cannot be cut
    // short); its failure is start()'s to report.
    await this.#starting?.catch(() => undefined);
    void this.#systemd.notify('STOPPING=1');
    this.#systemd.stopWatchdog();
    if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
    this.#loopDelay?.stop();
    if (this.#saveTimer !== null) clearInterval(this.#saveTimer);
    this.#scheduler?.stop();
    this.#wakeRetry?.();
    await this.#metricsServer?.stop();
    this.#metrics?.close();
    try {
      await this.#follower?.stop();
      // A start refused before the output was open has nothing to save (and must not write a
      // progress document that would claim a position).
      const opened = this.#opened;
      if (opened !== null) {
        await this.#exclusive.run(async () => {
          await this.#save();
          await saveRoutineStats(this.#config.input.stateDirectory, opened.routine);
          await opened.window.close();
          await opened.writer.close();
        });
        await this.#writeStatus();
      }
      this.#log.info('stopped', { records: this.#progress.records, anomalies: this.#progress.anomalies });
    } catch (error) {
      this.#exitCode = 1;
      this.#log.error(`stop failed: ${messageOf(error)}`);
    } finally {
      await this.#lock?.release();
      await this.#log.flush();
      this.#resolveStopped();
    }
  }

  // ---------------------------------------------------------------- batches

  async #handle(batch: LineBatch): Promise<void> {
    this.#lastBatchAt = Date.now();
    // Everything before this batch is durable: save it as the restart point first.
    await this.#betweenBatches();
    const window = this.#open.window;
    const strideBefore = window.stride;
    const scored = this.#open.scorer.score(batch, this.#evaluator);
    const { lines, records, parseErrors, suppressed } = scored;
    let sampled = scored.sampled;
    if (window.stride !== strideBefore) {
      sampled = true;
      this.#log.info(`training window ${window.stride > strideBefore ? 'full: thinned evenly' : 'has room again'}; keeping 1 record in ${window.stride} from now on`, {
        window: window.size,
        max_rows: this.#config.training.windowMaxRows,
      });
    }
    if (lines.length > 0) {
      let bytes: Buffer = Buffer.from(lines.join(''));
      if (this.#pendingTornEnd.length > 0) {
        bytes = Buffer.concat([this.#pendingTornEnd, bytes]);
        this.#pendingTornEnd = Buffer.alloc(0);
      }
      // Bytes a replay lets through after matching what is on disk complete its last line.
      let continuesLine = false;
      if (this.#replay !== null) {
        const replay = this.#replay;
        bytes = this.#admitReplay(bytes);
        continuesLine = !replay.diverged;
      }
      if (bytes.length > 0) {
        const out = bytes;
        await this.#retryTransient('anomalies.log write', async () => {
          await this.#open.writer.appendBatch(out, { continuesLine });
          await this.#open.writer.sync();
        });
      }
      this.#progress.anomalies += lines.length;
    }
    // The lines re-read since the restart are all read: what the replay has not matched by now
    // is not coming (a busy sensor is never idle, so do not wait for that).
    if (this.#replay !== null) this.#endReplayIfCaughtUp(false);
    if (sampled) await this.#retryTransient('training window save', () => this.#open.window.persist());
    this.#progress.records += records;
    this.#progress.parseErrors += parseErrors;
    this.#progress.suppressed += suppressed;
    this.#metrics?.batch({ records, parseErrors, anomalies: lines.length, suppressed });
    this.#dirty = true;
    if (this.#evaluator === null && this.#pendingModel === null && this.#open.window.size >= this.#config.training.minRows && this.#scheduler?.busy !== true) {
      void this.#scheduler?.runNow();
    }
  }

  /** A file was lost before it could be read: say what, count it, never silently. */
  #recordGap(gap: GapEvent): void {
    const why =
      gap.reason === 'unreadable'
        ? `input lost: the rest of a rotated file cannot be read (${gap.detail ?? 'unreadable'}); reading goes on with the files after it`
        : 'input lost: the file being read was deleted before its rest could be read (not beside the path nor in [input] archives)';
    this.#log.warn(why, {
      path: gap.path,
      file: gap.file.path,
      dev: gap.file.dev,
      ino: gap.file.ino,
      fingerprint: gap.file.fingerprint,
      lost_from_byte: gap.fromOffset,
      lost_from_line: gap.fromLine,
      lost_to_byte: 'end of file (unknown)',
    });
    this.#metrics?.inputGap();
    this.#progress.gaps += 1;
    this.#dirty = true;
  }

  #admitReplay(bytes: Buffer): Buffer {
    const replay = this.#replay as OutputReplay;
    const wasInOrder = !replay.diverged;
    const rest = replay.admit(bytes);
    if (wasInOrder && replay.diverged) {
      this.#log.warn('re-scored anomalies differ from those on disk after the restart point (other lines were read than before it); matching them line by line: a line already on disk is not written again', { unmatched_bytes: replay.unmatched });
    }
    if (replay.done) {
      this.#log.info('caught up with anomalies written before the restart');
      this.#replay = null;
    }
    return rest;
  }

  /** Between two batches: swap in a new model, rotate the output, save progress. */
  async #betweenBatches(): Promise<void> {
    // Never during a restart replay: the lines past the restart point were scored (and their
    // anomalies written) by the old model; re-scoring them with a new one would write them again.
    // Unless there is no old model (its file was lost): then nothing can be matched anyway.
    if (this.#pendingModel !== null && (this.#replay === null || this.#evaluator === null)) {
      if (this.#replay !== null) {
        this.#log.warn('the model that scored the lines past the restart point is gone; its anomalies on disk cannot be matched', { unmatched_bytes: this.#replay.unmatched });
        this.#pendingTornEnd = this.#replay.finish();
        this.#replay = null;
      }
      this.#installEvaluator(this.#pendingModel);
      this.#pendingModel = null;
      this.#dirty = true;
    }
    if (this.#config.output.rotateIntervalMs > 0 && this.#replay === null) {
      const rotated = await this.#open.writer.rotateIfDue();
      if (rotated !== null) {
        this.#log.info('anomalies.log rotated', { to: rotated });
        await this.#open.writer.prepare();
        this.#dirty = true;
      }
    }
    if (this.#dirty) await this.#save();
    if (Date.now() - this.#routineSavedAtMs >= ROUTINE_SAVE_INTERVAL_MS) await this.#saveRoutine();
  }

  async #saveRoutine(): Promise<void> {
    this.#routineSavedAtMs = Date.now();
    await saveRoutineStats(this.#config.input.stateDirectory, this.#open.routine);
  }

  /** `#saveIfIdle` from a timer: a failure that is not transient stops the daemon, logged. */
  #idleSave(): void {
    this.#exclusive.run(() => this.#saveIfIdle()).catch((error: unknown) => {
      if (this.#stopping) return;
      this.#log.error(`stopping: cannot save progress: ${messageOf(error)}`, { cause: causeOf(error as Error) });
      this.#exitCode = 1;
      void this.stop();
    });
  }

  async #saveIfIdle(): Promise<void> {
    if (this.#stopping) return;
    this.#endReplayIfCaughtUp();
    await this.#betweenBatches();
  }

  /**
   * Idle with nothing left to read: lines that would reproduce the anomalies still unmatched on
   * disk are not coming (their file was lost, or the configuration changed), so the replay ends.
   */
  #endReplayIfCaughtUp(whenIdle = true): void {
    const replay = this.#replay;
    const follower = this.#follower;
    if (replay === null || follower === null) return;
    if (!follower.caughtUp()) return;
    if (whenIdle && Date.now() - this.#lastBatchAt < 2000) return;
    const unmatched = replay.unmatched;
    const rest = replay.finish();
    this.#replay = null;
    this.#pendingTornEnd = rest;
    this.#log.warn('restart replay ended with anomalies on disk that re-reading did not reproduce', { unmatched_bytes: unmatched });
  }

  async #save(): Promise<void> {
    const identity = this.#open.writer.identity();
    this.#progress.files = this.#follower?.checkpoints() ?? this.#progress.files;
    // While a restart replay is matching, the lines it has not matched yet belong to lines past
    // the position saved here: they (and all after them) must stay past the saved size, or the
    // next restart would take them for older output and write their lines again.
    const replay = this.#replay;
    const replaying = replay !== null && identity !== null && identity.dev === replay.mark.dev && identity.ino === replay.mark.ino;
    this.#progress.output = identity === null ? this.#progress.output : { dev: identity.dev, ino: identity.ino, size: replaying ? replay.mark.size + replay.accounted : identity.size };
    this.#progress.modelId = this.#evaluator?.model.modelId ?? null;
    // Records offered to sampling so far (with sample_every = auto the window counts them).
    this.#progress.sampled = this.#config.training.sampleEvery === 'auto' ? this.#open.window.offered : this.#open.sampler.state().seen;
    await this.#retryTransient('progress save', () => saveProgress(this.#config.input.stateDirectory, this.#progress));
    this.#dirty = false;
  }

  /**
   * Runs `operation` until it succeeds, retrying a transient I/O failure (a full disk, EIO,
   * too many open files) with a backoff of 100 ms doubling to 5 s. Reading waits meanwhile, so the
   * daemon keeps its place: nothing after the last durable batch is marked done. Reported once
   * per errno and once on recovery. Any other error, or any error while stopping, is thrown.
   */
  async #retryTransient<T>(what: string, operation: () => Promise<T>): Promise<T> {
    let delayMs = RETRY_FIRST_MS;
    let failing: string | null = null;
    let attempts = 0;
    for (;;) {
      try {
        const result = await operation();
        if (failing !== null) this.#log.info(`${what} recovered`, { errno: failing, retries: attempts });
        return result;
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === undefined || !TRANSIENT_ERRNOS.has(errno) || this.#stopping) throw error;
        if (failing !== errno) {
          this.#log.warn(`${what} failed: ${messageOf(error)}; retrying with backoff, reading waits at the last durable position`, { errno });
        }
        failing = errno;
        attempts += 1;
        this.#metrics?.ioRetry(errno);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.#wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeRetry = null;
        delayMs = Math.min(delayMs * 2, RETRY_MAX_MS);
      }
    }
  }


  // ---------------------------------------------------------------- output

  #formatterCache: ReturnType<typeof createAnomalyFormatter> | null = null;
  #formatter(): ReturnType<typeof createAnomalyFormatter> {
    this.#formatterCache ??= createAnomalyFormatter({
      format: this.#config.output.format,
      schema: ANOMALY_SCHEMA,
      fieldNames: this.#config.output.fieldNames,
    });
    return this.#formatterCache;
  }

  async #openOutput(): Promise<AnomalyLogWriter> {
    const writer = new AnomalyLogWriter({
      directory: this.#config.output.directory,
      formatter: this.#formatter(),
      rotateIntervalMs: this.#config.output.rotateIntervalMs,
      onTornTail: (torn) =>
        this.#log.warn('anomalies.log ended in a partial line (truncated or torn); cut it off so it cannot join the next record', {
          bytes: torn.bytes,
          kept_in: torn.savedTo ?? 'nowhere (the copy failed)',
        }),
    });
    const opened = await writer.open();
    if (opened.existing === 'set-aside') this.#log.warn('an unusable anomalies.log was set aside', { path: opened.setAsidePath });
    const mark = this.#progress.output;
    const identity = writer.identity();
    if (mark !== null && identity !== null && identity.dev === mark.dev && identity.ino === mark.ino && identity.size > mark.size) {
      const present = await writer.readTail(mark.size);
      this.#replay = new OutputReplay(present, mark);
      this.#log.info('restart: anomalies written after the last checkpoint will be matched, not repeated', {
        bytes: present.length,
      });
    } else if (mark !== null && identity !== null && (identity.dev !== mark.dev || identity.ino !== mark.ino)) {
      this.#log.warn('anomalies.log was replaced while we were stopped; anomalies of the last batch may appear in both files');
    }
    return writer;
  }

  // ---------------------------------------------------------------- models

  async #loadModelAtStart(models: ModelStore): Promise<void> {
    let model: KModesModel | null = null;
    const wanted = this.#progress.modelId;
    try {
      // The model that scored the lines past the restart point scores them again.
      model = wanted !== null ? await models.load(wanted).catch(() => models.current()) : await models.current();
    } catch (error) {
      this.#log.error(`cannot load the current model, learning again: ${messageOf(error)}`);
    }
    if (model === null) return;
    try {
      this.#installEvaluator(model);
    } catch (error) {
      this.#log.warn(`the saved model does not fit the configuration (${messageOf(error)}); retraining`);
      this.#evaluator = null;
    }
  }

  #buildEvaluator(model: KModesModel, config: Config): RecordEvaluator {
    return new RecordEvaluator({
      model,
      rule: scoringRuleFrom(config.scoring),
      features: config.features,
      allow: config.allow,
      followFanout: true,
    });
  }

  #installEvaluator(model: KModesModel): void {
    this.#evaluator = this.#buildEvaluator(model, this.#config);
    this.#metrics?.setModel(model);
    this.#log.info('model in use', { model: model.modelId, clusters: model.centroids.length, rows: model.training.rows });
  }

  #startScheduler(): void {
    this.#scheduler = new RetrainScheduler({
      expression: this.#config.model.retrainSchedule,
      timeZone: this.#config.model.retrainTimeZone,
      job: () => this.#retrain('schedule'),
      logger: this.#log,
    });
    this.#scheduler.start();
  }

  /** Retrains now, as the schedule would (SIGUSR2); a retrain already running is not started twice. */
  retrainNow(): void {
    if (!this.#ready || this.#stopping) {
      this.#log.warn('retrain request ignored: the daemon is still starting or already stopping');
      return;
    }
    this.#log.info('retrain requested');
    void this.#scheduler?.runNow();
  }

  /** Trains from the window off the event loop; installs the result at the next batch boundary. */
  async #retrain(reason: string): Promise<void> {
    const config = this.#config;
    const started = Date.now();
    const finish = (result: 'installed' | 'failed' | 'skipped', detail: string, modelId?: string): void => {
      this.#lastRetrain = { at: new Date().toISOString(), reason, result, detail, modelId: modelId ?? null, durationMs: Date.now() - started };
      if (result !== 'skipped') this.#metrics?.trainingFinished(result, (Date.now() - started) / 1000);
      void this.#writeStatus();
    };
    // Age is measured from the newest record, not the wall clock, so replayed or delayed logs
    // are not thrown away on arrival.
    this.#open.window.evict(this.#open.window.timeSpan()?.newest ?? Date.now() / 1000);
    const size = this.#open.window.size;
    if (size < config.training.minRows) {
      const detail = `window holds ${size} rows, fewer than min_rows ${config.training.minRows}`;
      this.#log.info(`retrain skipped: ${detail}`);
      finish('skipped', detail);
      return;
    }
    try {
      // Routine is judged by the statistics over every record read, aged like the window.
      const newest = this.#open.window.timeSpan()?.newest;
      if (newest !== undefined && config.training.windowMaxAgeMs > 0) this.#open.routine.prune(newest - config.training.windowMaxAgeMs / 1000);
      await this.#saveRoutine();
      const retrainer = new Retrainer({ features: config.features, scoring: config.scoring, stats: this.#open.routine, inWorkers: true, maxWorkers: config.model.trainThreads });
      const builder = retrainer.builder(size);
      // In slices with a yield between them: building a 200k-row set in one go stalls reading
      // for ~200 ms. Batches may add (or, at capacity, replace) rows meanwhile; row(i) reads the
      // current columns, so the set is the window as it is while being read.
      const record: DceRpcRecord = { ts: 0, uid: null, origHost: null, origPort: null, respHost: null, respPort: null, rtt: null, namedPipe: null, endpoint: null, operation: null };
      for (let i = 0; i < this.#open.window.size; i += 1) {
        if (i % 5000 === 4999) await yieldToEventLoop();
        if (i >= this.#open.window.size) break;
        builder.add(this.#open.window.readRow(i, record));
      }
      const { model } = await retrainer.fit(builder.build(), {
        k: config.model.k,
        nInit: config.model.nInit,
        init: config.model.init,
        seed: config.model.seed ?? (Date.now() % 2 ** 31),
        maxIter: config.model.maxIter,
      });
      const fewer = fewerClustersNote(config.model.k, model);
      if (fewer !== null) this.#log.info(`retrain: ${fewer}`);
      const costPerRow = model.cost / model.training.rows;
      if (config.model.maxCostPerRow !== null && costPerRow > config.model.maxCostPerRow) {
        throw new DaemonError('ERR_TRAIN', `cost per row ${costPerRow.toFixed(3)} exceeds max_cost_per_row ${config.model.maxCostPerRow}`);
      }
      await this.#open.models.install(model, config.model.keepModels);
      this.#pendingModel = model;
      this.#log.info('retrained', { reason, model: model.modelId, rows: model.training.rows, cost: model.cost, ms: Date.now() - started });
      finish('installed', `${model.training.rows} rows, cost ${model.cost}`, model.modelId);
      // Swap now if no batch is coming soon; otherwise the next batch swaps it.
      this.#idleSave();
    } catch (error) {
      this.#log.error(`retrain failed, keeping the current model: ${messageOf(error)}`);
      finish('failed', messageOf(error));
    }
  }

  // ---------------------------------------------------------------- reload, stats

  /** Reload (SIGHUP): validate the INI first; on any problem keep the running configuration. */
  async reload(): Promise<void> {
    if (!this.#ready || this.#stopping) {
      // The INI was read moments ago; half-started parts (scheduler, output) cannot be swapped.
      this.#log.warn('reload ignored: the daemon is still starting or already stopping (the configuration read at start stays in use)');
      return;
    }
    await this.#systemd.notify('RELOADING=1');
    try {
      let next: Config;
      try {
        next = await loadConfigFile(this.#configPath);
      } catch (error) {
        this.#log.error(`reload refused, keeping the running configuration: ${messageOf(error)}`);
        return;
      }
      const changes = diffConfig(this.#config, next);
      // Inputs, the state directory, the output file and the metrics endpoint are bound at start; the rest applies now.
      const atRestart = changes.filter((c) => BOUND_AT_START.has(c.section));
      const applied = changes.filter((c) => !BOUND_AT_START.has(c.section));
      await this.#exclusive.run(async () => {
        const previous = this.#config;
        if (atRestart.length > 0) this.#log.warn(`these changes take effect at the next restart: ${atRestart.map(formatConfigChange).join('; ')}`);
        this.#config = { ...next, input: previous.input, output: previous.output, metrics: previous.metrics };
        this.#log.setLevel(next.logging.level);
        this.#log.setFormat(next.logging.format);
        if (previous.model.retrainSchedule !== next.model.retrainSchedule || previous.model.retrainTimeZone !== next.model.retrainTimeZone) {
          this.#scheduler?.stop();
          this.#startScheduler();
        }
        await this.#open.writer.reopen();
        const current = this.#evaluator;
        if (current !== null) {
          try {
            this.#evaluator = this.#buildEvaluator(current.model, this.#config);
          } catch (error) {
            // The running evaluator keeps the old features until a model for the new ones exists.
            this.#log.warn(`the model does not fit the new features (${messageOf(error)}); retraining now`);
            void this.#scheduler?.runNow();
          }
        }
      });
      this.#log.info(applied.length === 0 ? 'reloaded: no changes applied' : `reloaded: ${applied.map(formatConfigChange).join('; ')}`);
    } finally {
      await this.#systemd.notify('READY=1', `STATUS=${this.#statusLine()}`);
    }
  }

  /** metrics: serves /metrics when enabled; a port in use costs the endpoint, not the detection. */
  async #startMetricsServer(): Promise<void> {
    if (this.#metrics === null) return;
    const { listenHost, listenPort } = this.#config.metrics;
    const server = new MetricsServer({ registry: this.#metrics.registry, host: listenHost, port: listenPort, warn: (message) => this.#log.warn(message) });
    try {
      const bound = await server.start();
      // stop() may have run while we were binding; it could not close what it did not see.
      if (this.#stopping) return await server.stop();
      this.#metricsServer = server;
      this.#log.info('metrics endpoint listening', { host: bound.host, port: bound.port });
    } catch (error) {
      this.#log.error(`${messageOf(error)}; running without the metrics endpoint`);
    }
  }

  #startStats(intervalMs: number): void {
    this.#statsTimer = setInterval(() => {
      const now = Date.now();
      const rate = ((this.#progress.records - this.#statsBase.records) * 1000) / Math.max(1, now - this.#statsBase.at);
      this.#statsBase = { records: this.#progress.records, at: now };
      const lag = (this.#follower?.lag() ?? []).reduce((sum, l) => sum + l.bytes, 0);
      const model = this.#evaluator?.model;
      const delay = this.#loopDelay?.take();
      this.#log.info('stats', {
        records_per_s: Math.round(rate),
        lag_bytes: lag,
        records: this.#progress.records,
        anomalies: this.#progress.anomalies,
        suppressed: this.#progress.suppressed,
        parse_errors: this.#progress.parseErrors,
        model: model?.modelId ?? 'none',
        model_age_s: model === undefined ? undefined : Math.round((now - Date.parse(model.createdAt)) / 1000),
        window: this.#open.window.size,
        loop_delay_p99_ms: delay?.p99Ms,
        loop_delay_max_ms: delay?.maxMs,
      });
      void this.#systemd.status(this.#statusLine());
      void this.#writeStatus();
    }, intervalMs);
    this.#statsTimer.unref();
  }

  #statusLine(): string {
    return this.#evaluator === null
      ? `learning: window ${this.#open.window.size}/${this.#config.training.minRows}`
      : `scoring with ${this.#evaluator.model.modelId}; ${this.#progress.records} records, ${this.#progress.anomalies} anomalies`;
  }

  async #writeStatus(): Promise<void> {
    try {
      await writeStatus(this.#config.input.stateDirectory, {
        pid: process.pid,
        updatedAt: new Date().toISOString(),
        modelId: this.modelId,
        modelCreatedAt: this.#evaluator?.model.createdAt ?? null,
        windowRows: this.#open.window.size,
        records: this.#progress.records,
        anomalies: this.#progress.anomalies,
        suppressed: this.#progress.suppressed,
        parseErrors: this.#progress.parseErrors,
        lastRetrain: this.#lastRetrain,
        eventLoopDelay: this.#loopDelay?.last ?? null,
        catchUp: this.#follower?.catchUpProgress() ?? [],
        gaps: this.#progress.gaps,
      });
    } catch (error) {
      this.#log.warn(`cannot write status: ${messageOf(error)}`);
    }
  }
}

/** Failures that pass: space freed, descriptors closed, a flaky disk. Retried, never fatal. */
const TRANSIENT_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ENOMEM']);
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/** Lets timers and I/O callbacks run between slices of main-thread work. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function causeOf(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause.message : JSON.stringify(cause);
}

/** Counts the window's rows into the routine statistics (bootstrap, or an upgrade). */
function observeWindow(window: TrainingWindow, routine: RoutineStats, routineGroup: FeatureExtractor): void {
  const record: DceRpcRecord = { ts: 0, uid: null, origHost: null, origPort: null, respHost: null, respPort: null, rtt: null, namedPipe: null, endpoint: null, operation: null };
  const groupRow = [''];
  for (let i = 0; i < window.size; i += 1) {
    window.readRow(i, record);
    const origGroup = routineGroup.extractInto(record, groupRow)[0] as string;
    routine.observe(record.ts, record.origHost, origGroup, record.endpoint, record.operation, record.respHost);
  }
}
