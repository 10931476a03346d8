/** Retraining schedule: a non-overlapping, error-proof node-cron runner. */
export { RetrainScheduler } from './retrain-scheduler.js';
export type { RetrainSchedulerOptions, RunOutcome, SchedulerStats } from './retrain-scheduler.js';
export type { LogMeta, Logger } from './logger.js';
