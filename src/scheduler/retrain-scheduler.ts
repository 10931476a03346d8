/**
 * Runs the retraining job on a cron schedule. Guarantees: runs never overlap (a tick that finds the
 * previous run still going is skipped and logged), a failing job is logged and the schedule goes
 * on, runs missed while the event loop was blocked or the machine suspended are counted and
 * logged instead of being run in a burst, and the timer never keeps the process alive. node-cron
 * parses the expression; when it is due is the pure `nextRunAfter`, and time comes from an
 * injected `Clock`, so the tests move time instead of waiting for it.
 */
import { DaemonError, messageOf } from '../errors.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { Logger } from '../log.js';
import { compileSchedule, nextRunAfter, type CronSchedule } from './next-run.js';

/** More missed runs than this are reported as "at least". */
const MAX_MISSED_COUNTED = 1000;

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
  /** Time source. @default systemClock */
  clock?: Clock;
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
  /** Due times that passed while the process could not run (blocked loop, suspend). */
  missed: number;
}

/** A non-overlapping, error-proof, unref'd cron runner for the retraining job. */
export class RetrainScheduler {
  readonly #schedule: CronSchedule;
  readonly #job: () => Promise<void>;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #clock: Clock;
  #started = false;
  #timer: TimerHandle | null = null;
  #dueAt: number | null = null;
  #running: Promise<RunOutcome> | null = null;
  readonly #stats: SchedulerStats = { started: 0, completed: 0, failed: 0, skippedOverlap: 0, missed: 0 };

  /** @throws DaemonError ERR_CONFIG_INVALID when the expression or time zone is invalid. */
  constructor(options: RetrainSchedulerOptions) {
    this.#schedule = compileSchedule(options.expression, options.timeZone ?? 'UTC');
    this.#job = options.job;
    this.#logger = options.logger;
    this.#name = options.name ?? 'retrain';
    this.#clock = options.clock ?? systemClock;
  }

  /** Starts ticking (idempotent). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#arm(this.#clock.now());
    this.#logger.info(`scheduler: ${this.#name} scheduled`, {
      expression: this.#schedule.expression,
      timeZone: this.#schedule.timeZone,
      nextRunAt: this.nextRunAt()?.toISOString() ?? null,
    });
  }

  /** Stops ticking; a run in progress is not interrupted (await `idle()` to wait for it). */
  stop(): void {
    this.#started = false;
    this.#dueAt = null;
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
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
    return this.#dueAt === null ? null : new Date(this.#dueAt);
  }

  /** Counters since construction. */
  stats(): SchedulerStats {
    return { ...this.#stats };
  }

  #arm(afterMs: number): void {
    this.#dueAt = nextRunAfter(this.#schedule, afterMs);
    if (this.#dueAt === null) {
      this.#logger.warn(`scheduler: ${this.#name} is never due again`, { expression: this.#schedule.expression });
      return;
    }
    this.#timer = this.#clock.setTimer(() => this.#wake(), this.#dueAt - this.#clock.now());
  }

  #wake(): void {
    this.#timer = null;
    const dueAt = this.#dueAt;
    if (!this.#started || dueAt === null) return;
    const now = this.#clock.now();
    if (now < dueAt) {
      // Woken early: a wait longer than a timer can hold, or a clock stepped back.
      this.#timer = this.#clock.setTimer(() => this.#wake(), dueAt - now);
      return;
    }
    const missed = this.#countMissed(dueAt, now);
    if (missed > 0) {
      this.#stats.missed += missed;
      this.#logger.warn(`scheduler: ${this.#name} missed ${missed >= MAX_MISSED_COUNTED ? 'at least ' : ''}${missed} run(s); running once now`, {
        dueAt: new Date(dueAt).toISOString(),
        lateMs: now - dueAt,
      });
    }
    void this.#run('scheduled');
    this.#arm(now);
  }

  /** Due times after `dueAt` that have also passed by `now`. */
  #countMissed(dueAt: number, now: number): number {
    let missed = 0;
    for (let next = nextRunAfter(this.#schedule, dueAt); next !== null && next <= now && missed < MAX_MISSED_COUNTED; ) {
      missed += 1;
      next = nextRunAfter(this.#schedule, next);
    }
    return missed;
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
    const startedAt = this.#clock.now();
    this.#logger.info(`scheduler: ${this.#name} started`, { trigger });
    try {
      await this.#job();
      const durationMs = this.#clock.now() - startedAt;
      this.#stats.completed += 1;
      this.#logger.info(`scheduler: ${this.#name} finished`, { trigger, durationMs: Math.round(durationMs) });
      return { status: 'completed', durationMs };
    } catch (error) {
      const durationMs = this.#clock.now() - startedAt;
      this.#stats.failed += 1;
      // A failed retrain keeps the last good model; the schedule must survive it.
      this.#logger.error(`scheduler: ${this.#name} failed`, {
        trigger,
        durationMs: Math.round(durationMs),
        error: messageOf(error),
        code: error instanceof DaemonError ? error.code : undefined,
      });
      return { status: 'failed', durationMs, error };
    }
  }
}
