/**
 * One error type for the whole program, with stable codes in one registry (as undici does):
 * callers and tests match on `code`, never on message text. Messages start with the component
 * ("zeek: …", "model: …") so a log line says where it came from.
 */
export type ErrorCode =
  | 'ERR_USAGE'
  | 'ERR_INPUT_UNREADABLE'
  | 'ERR_PARSE'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_MODEL_INVALID'
  | 'ERR_MODEL_INCOMPATIBLE'
  | 'ERR_TRAIN'
  | 'ERR_SINK_WRITE'
  | 'ERR_STATE'
  | 'ERR_TAIL';

export class DaemonError extends Error {
  readonly code: ErrorCode;
  readonly meta: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; meta?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.meta = options.meta;
  }
}

/** Exit codes shared by every command (sysexits.h where one fits). */
export const EXIT = {
  ok: 0,
  /** Some input lines were bad; the good ones were still processed. */
  dataErrors: 1,
  usage: 2,
  /** EX_CONFIG: the configuration file is invalid. */
  config: 78,
} as const;

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
