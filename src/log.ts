/**
 * The logging surface the scheduler needs. winston's Logger satisfies it structurally, so the
 * daemon passes its logger and tests pass a recorder.
 */

/** Metadata attached to a log line. */
export type LogMeta = Record<string, unknown>;

/** A minimal leveled logger (winston-compatible). */
export interface Logger {
  info(message: string, meta?: LogMeta): unknown;
  warn(message: string, meta?: LogMeta): unknown;
  error(message: string, meta?: LogMeta): unknown;
  debug(message: string, meta?: LogMeta): unknown;
}
