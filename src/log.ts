/**
 * The logging surface every stage takes (the scheduler, bootstrap, the daemon). It is a contract
 * of its own, like errors.ts: winston's Logger satisfies it structurally (daemon/logger.ts builds
 * that one), and tests pass a recorder.
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
