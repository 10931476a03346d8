/** Retraining schedule: a non-overlapping, error-proof cron runner on an injectable clock. */
export { RetrainScheduler } from './retrain-scheduler.js';
export type { RetrainSchedulerOptions, RunOutcome, SchedulerStats } from './retrain-scheduler.js';
export { compileSchedule, nextRunAfter } from './next-run.js';
export type { CronSchedule } from './next-run.js';
export { MAX_TIMER_MS, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
