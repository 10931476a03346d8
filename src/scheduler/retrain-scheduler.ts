/**
 * Runs the retraining job on a node-cron schedule. Guarantees, independent of node-cron's own
 * options: runs never overlap (a tick that finds the previous run still going is skipped and
 * logged), a failing job is logged and the schedule goes on, and the timer is unref'd so it never
 * keeps the process alive. node-cron's own console output (ANSI `[NODE-CRON]` lines) is routed to
 * our logger instead.
 */
import cron from 'node-cron';
import type { Logger as CronLogger, ScheduledTask } from 'node-cron';
import { DaemonError } from '../errors.js';
import type { Logger } from './logger.js';

/** Settings of a RetrainScheduler. */
export interface RetrainSchedulerOptions {
  /** node-cron expression (5 fields, or 6 with seconds first). */
  expression: string;
  /** IANA time zone the expression is read in. @default 'UTC' */
  timeZone?: string;
  /** The work; a rejection is logged, never thrown out of the timer. */
  job: () => Promise<void>;
  logger: Logger;
  /** Task name in log lines. @default 'retrain' */
  name?: string;
}

/** How one attempt to run the job ended. */
export type RunOutcome =
  | { status: 'completed'; durationMs: number }
  | { status: 'failed'; durationMs: number; error: unknown }
  | { status: 'skipped'; reason: 'overlap' };

/** Counters since construction, for stats lines and tests. */
export interface SchedulerStats {
  started: number;
  completed: number;
  failed: number;
  skippedOverlap: number;
}

/** A non-overlapping, error-proof, unref'd cron runner for the retraining job. */
export class RetrainScheduler {
  readonly #expression: string;
  readonly #timeZone: string;
  readonly #job: () => Promise<void>;
  readonly #logger: Logger;
  readonly #name: string;
  #task: ScheduledTask | null = null;
  #running: Promise<RunOutcome> | null = null;
  readonly #stats: SchedulerStats = { started: 0, completed: 0, failed: 0, skippedOverlap: 0 };

  /** @throws DaemonError ERR_CONFIG_INVALID when the expression or time zone is invalid. */
  constructor(options: RetrainSchedulerOptions) {
    const check = cron.validateDetailed(options.expression);
    if (!check.valid) {
      const detail = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new DaemonError('ERR_CONFIG_INVALID', `scheduler: invalid cron expression '${options.expression}' (${detail})`, {
        meta: { expression: options.expression, errors: check.errors },
      });
    }
    const timeZone = options.timeZone ?? 'UTC';
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch (error) {
      throw new DaemonError('ERR_CONFIG_INVALID', `scheduler: unknown time zone '${timeZone}'`, {
        cause: error,
        meta: { timeZone },
      });
    }
    this.#expression = options.expression;
    this.#timeZone = timeZone;
    this.#job = options.job;
    this.#logger = options.logger;
    this.#name = options.name ?? 'retrain';
  }

  /** Starts ticking (idempotent). */
  start(): void {
    if (this.#task !== null) return;
    this.#task = cron.createTask(this.#expression, () => this.#tick(), {
      name: this.#name,
      timezone: this.#timeZone,
      unref: true,
      logger: cronLogger(this.#logger, this.#name),
    });
    void this.#task.start();
    this.#logger.info(`scheduler: ${this.#name} scheduled`, {
      expression: this.#expression,
      timeZone: this.#timeZone,
      nextRunAt: this.nextRunAt()?.toISOString() ?? null,
    });
  }

  /** Stops ticking; a run in progress is not interrupted (await `idle()` to wait for it). */
  stop(): void {
    const task = this.#task;
    this.#task = null;
    if (task !== null) {
      void task.stop();
      void task.destroy();
    }
  }

  /** Runs the job now unless a run is in progress (then the outcome is `skipped`). */
  runNow(): Promise<RunOutcome> {
    return this.#run('manual');
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    if (this.#running !== null) await this.#running;
  }

  /** Whether a run is in progress. */
  get busy(): boolean {
    return this.#running !== null;
  }

  /** When the next scheduled tick is due, or null when stopped. */
  nextRunAt(): Date | null {
    return this.#task?.getNextRun() ?? null;
  }

  /** Counters since construction. */
  stats(): SchedulerStats {
    return { ...this.#stats };
  }

  async #tick(): Promise<void> {
    await this.#run('scheduled');
  }

  #run(trigger: 'scheduled' | 'manual'): Promise<RunOutcome> {
    if (this.#running !== null) {
      this.#stats.skippedOverlap += 1;
      this.#logger.warn(`scheduler: ${this.#name} still running, ${trigger} run skipped`, { trigger });
      return Promise.resolve({ status: 'skipped', reason: 'overlap' });
    }
    this.#stats.started += 1;
    const running = this.#execute(trigger);
    this.#running = running;
    void running.finally(() => {
      this.#running = null;
    });
    return running;
  }

  async #execute(trigger: 'scheduled' | 'manual'): Promise<RunOutcome> {
    const startedAt = performance.now();
    this.#logger.info(`scheduler: ${this.#name} started`, { trigger });
    try {
      await this.#job();
      const durationMs = performance.now() - startedAt;
      this.#stats.completed += 1;
      this.#logger.info(`scheduler: ${this.#name} finished`, { trigger, durationMs: Math.round(durationMs) });
      return { status: 'completed', durationMs };
    } catch (error) {
      const durationMs = performance.now() - startedAt;
      this.#stats.failed += 1;
      // A failed retrain keeps the last good model; the schedule must survive it.
      this.#logger.error(`scheduler: ${this.#name} failed`, {
        trigger,
        durationMs: Math.round(durationMs),
        error: error instanceof Error ? error.message : String(error),
        code: error instanceof DaemonError ? error.code : undefined,
      });
      return { status: 'failed', durationMs, error };
    }
  }
}

/** Adapts our logger to node-cron's Logger (its messages become ours, without ANSI colours). */
function cronLogger(logger: Logger, name: string): CronLogger {
  const text = (message: string | Error): string => (message instanceof Error ? message.message : message);
  return {
    info: (message) => logger.debug(`scheduler: node-cron (${name}): ${message}`),
    warn: (message) => logger.warn(`scheduler: node-cron (${name}): ${message}`),
    error: (message, err) =>
      logger.error(`scheduler: node-cron (${name}): ${text(message)}`, err === undefined ? undefined : { error: err.message }),
    debug: (message, err) =>
      logger.debug(`scheduler: node-cron (${name}): ${text(message)}`, err === undefined ? undefined : { error: err.message }),
  };
}
