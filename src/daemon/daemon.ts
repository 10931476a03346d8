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
import { formatConfigChange, loadConfigFile, type Config } from '../config/index.js';
import { messageOf } from '../errors.js';
import type { KModesModel } from '../model/index.js';
import { RetrainScheduler } from '../scheduler/index.js';
import { FanoutTracker, type RecordEvaluator } from '../score/index.js';
import { saveRoutineStats } from '../state/routine-stats-file.js';
import type { AnomalyLogWriter } from '../sink/index.js';
import { acquireStateLock, type StateLock } from '../state/index.js';
import type { LineBatch, LogFollower } from '../tail/index.js';
import { DaemonMetrics, type MetricsServer } from '../metrics/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { BatchScorer, evaluatorFor } from './batch-scorer.js';
import { observeWindow, openLearningState, type LearningState } from './learning-state.js';
import { bootstrapWindow } from './bootstrap.js';
import { Exclusive } from './exclusive.js';
import { followInputs } from './follow.js';
import type { DaemonLogger } from './logger.js';
import { ModelStore } from './model-store.js';
import { openOutput, outputFormatter, type ReplayGate } from './output.js';
import { emptyProgress, loadProgress, saveProgress, type Progress } from './progress.js';
import { planReload } from './reload.js';
import { DaemonReporter, serveMetrics } from './reporter.js';
import { SystemdNotifier } from './systemd.js';
import { TransientRetry } from './transient-retry.js';
import { retrainFromWindow } from './window-retrain.js';

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

/** What start() opens, all at once: no part of it is ever half there. */
interface Opened extends LearningState {
  models: ModelStore;
  /** Decodes, samples, scores and formats each batch. */
  scorer: BatchScorer;
  writer: AnomalyLogWriter;
  /** Holds back what a restart replay finds already written. */
  gate: ReplayGate;
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
  readonly #retry: TransientRetry;
  readonly #reporter: DaemonReporter;
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
  #progress: Progress = emptyProgress();
  /** Live discovery fan-out: outlives models, saved with every checkpoint (see Progress.fanout). */
  #fanout = new FanoutTracker();
  #dirty = false;
  #lastBatchAt = 0;
  #stopping = false;
  /** The start-up in progress: a stop waits for its current step, then undoes what it did. */
  #starting: Promise<void> | null = null;
  /** start() has run to its end: reloads may apply. */
  #ready = false;
  #saveTimer: NodeJS.Timeout | null = null;
  #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #exitCode = 0;

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
    this.#retry = new TransientRetry({ log: this.#log, stopping: () => this.#stopping, onRetry: (errno) => this.#metrics?.ioRetry(errno) });
    this.#reporter = new DaemonReporter({
      stateDirectory: this.#config.input.stateDirectory,
      log: this.#log,
      systemd: this.#systemd,
      figures: () => ({
        progress: this.#progress,
        model: this.#evaluator?.model ?? null,
        windowRows: this.#open.window.size,
        minRows: this.#config.training.minRows,
        follower: this.#follower,
      }),
    });
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
    this.#fanout = FanoutTracker.fromJSON(this.#progress.fanout);

    const { window, routine, routineGroup, sampler } = await openLearningState(config, this.#progress, this.#log);
    if (this.#stopping) return;
    const formatter = outputFormatter(config.output);
    const scorer = new BatchScorer({
      sampler: config.training.sampleEvery === 'auto' ? null : sampler,
      window,
      routine,
      routineGroup,
      formatter,
      log: this.#log,
      onAnomaly: this.#hooks.onAnomaly,
    });

    await this.#loadModelAtStart(models);
    if (this.#stopping) return;
    const output = await openOutput(config.output, formatter, this.#progress.output, this.#log);
    const { writer, gate } = output;
    this.#opened = { models, window, routine, routineGroup, sampler, scorer, writer, gate };
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
      observeWindow(window, routine, routineGroup);
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

    this.#follower = followInputs(config, this.#progress, this.#progress.installedAt, this.#log, {
      gap: () => void this.#exclusive.run(() => Promise.resolve(this.#recordGap())),
      catchUp: () => void this.#reporter.writeStatus(),
      fatal: (error) => {
        this.#log.error(`stopping: ${error.message}`, { cause: causeOf(error) });
        this.#exitCode = 1;
        void this.stop();
      },
    });
    this.#follower.start((batch) => this.#exclusive.run(() => this.#handle(batch)));

    this.#saveTimer = setInterval(() => this.#idleSave(), 1000);
    this.#saveTimer.unref();
    this.#reporter.start(config.logging.statsIntervalMs);
    this.#systemd.startWatchdog();
    await this.#systemd.ready(this.#reporter.statusLine());
    if (this.#metrics !== null) this.#metricsServer = await serveMetrics(this.#metrics, config.metrics, this.#log, () => this.#stopping);
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
    this.#reporter.stop();
    if (this.#saveTimer !== null) clearInterval(this.#saveTimer);
    this.#scheduler?.stop();
    this.#retry.wake();
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
        await this.#reporter.writeStatus();
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
    const { lines, records, parseErrors, suppressed, sampled } = this.#open.scorer.score(batch, this.#evaluator);
    if (lines.length > 0) {
      const { bytes, continuesLine } = this.#open.gate.admit(Buffer.from(lines.join('')));
      if (bytes.length > 0) {
        await this.#retry.run('anomalies.log write', async () => {
          await this.#open.writer.appendBatch(bytes, { continuesLine });
          await this.#open.writer.sync();
        });
      }
      this.#progress.anomalies += lines.length;
    }
    // The lines re-read since the restart are all read: what the replay has not matched by now
    // is not coming (a busy sensor is never idle, so do not wait for that).
    if (this.#open.gate.replaying) this.#endReplayIfCaughtUp(false);
    if (sampled) await this.#retry.run('training window save', () => this.#open.window.persist());
    this.#progress.records += records;
    this.#progress.parseErrors += parseErrors;
    this.#progress.suppressed += suppressed;
    this.#metrics?.batch({ records, parseErrors, anomalies: lines.length, suppressed });
    this.#dirty = true;
    if (this.#evaluator === null && this.#pendingModel === null && this.#open.window.size >= this.#config.training.minRows && this.#scheduler?.busy !== true) {
      void this.#scheduler?.runNow();
    }
  }

  /** A file was lost before it could be read (follow.ts logged what): count it. */
  #recordGap(): void {
    this.#metrics?.inputGap();
    this.#progress.gaps += 1;
    this.#dirty = true;
  }

  /** Between two batches: swap in a new model, rotate the output, save progress. */
  async #betweenBatches(): Promise<void> {
    // Never during a restart replay: the lines past the restart point were scored (and their
    // anomalies written) by the old model; re-scoring them with a new one would write them again.
    // Unless there is no old model (its file was lost): then nothing can be matched anyway.
    const gate = this.#open.gate;
    if (this.#pendingModel !== null && (!gate.replaying || this.#evaluator === null)) {
      gate.end('the model that scored the lines past the restart point is gone; its anomalies on disk cannot be matched');
      this.#installEvaluator(this.#pendingModel);
      this.#pendingModel = null;
      this.#dirty = true;
    }
    if (this.#config.output.rotateIntervalMs > 0 && !gate.replaying) {
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
    const follower = this.#follower;
    if (!this.#open.gate.replaying || follower === null) return;
    if (!follower.caughtUp()) return;
    if (whenIdle && Date.now() - this.#lastBatchAt < 2000) return;
    this.#open.gate.end('restart replay ended with anomalies on disk that re-reading did not reproduce');
  }

  async #save(): Promise<void> {
    const identity = this.#open.writer.identity();
    this.#progress.files = this.#follower?.checkpoints() ?? this.#progress.files;
    // During a restart replay, the size up to its first unmatched line (see checkpointSize).
    this.#progress.output = identity === null ? this.#progress.output : { dev: identity.dev, ino: identity.ino, size: this.#open.gate.checkpointSize(identity) };
    this.#progress.modelId = this.#evaluator?.model.modelId ?? null;
    this.#progress.fanout = this.#fanout.toJSON();
    // Records offered to sampling so far (with sample_every = auto the window counts them).
    this.#progress.sampled = this.#config.training.sampleEvery === 'auto' ? this.#open.window.offered : this.#open.sampler.state().seen;
    await this.#retry.run('progress save', () => saveProgress(this.#config.input.stateDirectory, this.#progress));
    this.#dirty = false;
  }

  // ---------------------------------------------------------------- models

  async #loadModelAtStart(models: ModelStore): Promise<void> {
    const model = await models.forRestart(this.#progress.modelId).catch((error: unknown) => {
      this.#log.error(`cannot load the current model, learning again: ${messageOf(error)}`);
      return null;
    });
    if (model === null) return;
    try {
      this.#installEvaluator(model);
    } catch (error) {
      this.#log.warn(`the saved model does not fit the configuration (${messageOf(error)}); retraining`);
      this.#evaluator = null;
    }
  }

  #installEvaluator(model: KModesModel): void {
    this.#evaluator = evaluatorFor(model, this.#config, this.#fanout);
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
    const started = Date.now();
    const { window, routine, models } = this.#open;
    const outcome = await retrainFromWindow({ reason, config: this.#config, window, routine, models, log: this.#log, saveRoutine: () => this.#saveRoutine() });
    const { result, detail, model } = outcome;
    this.#reporter.retrained({ at: new Date().toISOString(), reason, result, detail, modelId: model?.modelId ?? null, durationMs: Date.now() - started });
    if (result !== 'skipped') this.#metrics?.trainingFinished(result, (Date.now() - started) / 1000);
    if (model === undefined) return;
    this.#pendingModel = model;
    // Swap now if no batch is coming soon; otherwise the next batch swaps it.
    this.#idleSave();
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
      const { applied } = await this.#exclusive.run(async () => {
        const plan = planReload(this.#config, next);
        if (plan.atRestart.length > 0) this.#log.warn(`these changes take effect at the next restart: ${plan.atRestart.map(formatConfigChange).join('; ')}`);
        this.#config = plan.config;
        this.#log.setLevel(next.logging.level);
        this.#log.setFormat(next.logging.format);
        if (plan.scheduleChanged) {
          this.#scheduler?.stop();
          this.#startScheduler();
        }
        await this.#open.writer.reopen();
        const current = this.#evaluator;
        if (current !== null) {
          try {
            this.#evaluator = evaluatorFor(current.model, this.#config, this.#fanout);
          } catch (error) {
            // The running evaluator keeps the old features until a model for the new ones exists.
            this.#log.warn(`the model does not fit the new features (${messageOf(error)}); retraining now`);
            void this.#scheduler?.runNow();
          }
        }
        return plan;
      });
      this.#log.info(applied.length === 0 ? 'reloaded: no changes applied' : `reloaded: ${applied.map(formatConfigChange).join('; ')}`);
    } finally {
      await this.#systemd.notify('READY=1', `STATUS=${this.#reporter.statusLine()}`);
    }
  }
}

function causeOf(error: Error): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (cause === undefined) return undefined;
  return cause instanceof Error ? cause.message : JSON.stringify(cause);
}
