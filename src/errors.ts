/**
 * One error type for the whole program, with stable codes in one registry (as undici does):
 * callers and tests match on `code`, never on message text. Messages start with the component
 * ("zeek: …", "model: …") so a log line says where it came from. Every code is documented in
 * docs/errors.md (meaning, what an operator does, exit status); test/errors.test.ts checks that
 * page against ERROR_CODES and that every code is used somewhere in src/.
 */

/** Exit statuses shared by every command (sysexits.h where one fits). */
export const EXIT = {
  ok: 0,
  /** Some input lines were bad; the good ones were still processed. */
  dataErrors: 1,
  /** The daemon failed in a way a restart may cure; systemd's Restart=on-failure restarts it. */
  failure: 1,
  /** A command line, input or output the command cannot run with; restarting does not help. */
  usage: 2,
  /** EX_CONFIG: the configuration file is invalid. */
  config: 78,
} as const;

const ENDS_WITH = { usage: { exit: EXIT.usage }, config: { exit: EXIT.config }, failure: { exit: EXIT.failure } } as const;

/** Every error code the program emits, with the exit status of a command it ends. */
export const ERROR_CODES = {
  ERR_USAGE: ENDS_WITH.usage, ERR_INPUT_UNREADABLE: ENDS_WITH.usage, ERR_MODEL_INVALID: ENDS_WITH.usage,
  ERR_MODEL_INCOMPATIBLE: ENDS_WITH.usage, ERR_TRAIN: ENDS_WITH.usage, ERR_SINK_WRITE: ENDS_WITH.usage,
  ERR_STATE: ENDS_WITH.usage, ERR_TAIL: ENDS_WITH.usage, ERR_METRICS_LISTEN: ENDS_WITH.usage,
  ERR_CONFIG_INVALID: ENDS_WITH.config,
  ERR_DAEMON_START: ENDS_WITH.failure, ERR_INTERNAL: ENDS_WITH.failure,
} as const satisfies Record<string, { exit: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of every DaemonError. */
export interface DaemonErrorOptions {
  cause?: unknown;
  meta?: Record<string, unknown>;
}

export class DaemonError extends Error {
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DaemonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.meta = options.meta;
  }
}

/** A command line the command cannot run: printed with the command's usage text, exit 2. */
export class UsageError extends DaemonError {
  constructor(message: string, options: DaemonErrorOptions = {}) {
    super('ERR_USAGE', message, options);
    this.name = 'UsageError';
  }
}

export function isDaemonError(value: unknown): value is DaemonError {
  return value instanceof DaemonError;
}

/**
 * The errno (`ENOSPC`, `EACCES`…) of an error or of the first error in its cause chain that has
 * one; undefined when none does. Tells an I/O failure from bad content.
 */
export function errnoOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The exit status for an error that ends a command: its code's status from the registry; an
 * error without a code (a bug, or a Node error no component wrapped) is exit 2, "cannot run".
 */
export function exitCodeFor(error: unknown): number {
  return isDaemonError(error) ? ERROR_CODES[error.code].exit : EXIT.usage;
}

/** The message of anything thrown: an Error's message, otherwise its string form. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
