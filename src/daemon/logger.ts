/**
 * The daemon's own log: winston to stdout, one line per event, in one of three formats
 * (`[logging] format`):
 *
 * - `text`: `message key=value…`, for a person reading the journal or a terminal;
 * - `json`: one JSON object per line, `{"level", "message", …fields}`, for `jq` and log shippers;
 * - `ecs`: one Elastic Common Schema JSON object per line through `@elastic/ecs-winston-format`
 *   (`@timestamp`, `log.level`, `message`, `ecs.version`, `service.*`, `event.dataset`, and
 *   `error.*` for an `err` field), with our own fields under `zeek_anomalyd.*`, so the journal can
 *   go to the same Elastic stack as anomalies.log.
 *
 * Under systemd stdout is the journal, which stamps the time itself and reads a leading `<N>` as
 * the syslog priority (SyslogLevelPrefix=yes), so every format gets that prefix there and the
 * text format drops its level word. In JSON and ECS every control character inside a value is
 * escaped by JSON itself, so a line can never be split or forged by what it carries.
 */
import { ecsFields, ecsStringify } from '@elastic/ecs-winston-format';
import winston from 'winston';
import { printable } from '../printable.js';
import type { Logger } from '../log.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The formats of `[logging] format`. */
export type LogFormat = 'text' | 'json' | 'ecs';

/** The namespace our own fields take in ECS lines (not an ECS field set; see docs/operations.md). */
export const ECS_LOG_NAMESPACE = 'zeek_anomalyd';

/** `event.dataset` of the daemon's ECS lines (anomalies.log records carry `zeek.dce_rpc_anomaly`). */
export const ECS_LOG_DATASET = 'zeek_anomalyd.log';

const PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 };
// What winston adds to every info object besides the caller's fields.
const WINSTON_KEYS = new Set(['level', 'message']);

function renderMeta(meta: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : value instanceof Error ? value.message : JSON.stringify(value);
    // Values come from the data: no control character reaches the terminal or the journal raw.
    parts.push(`${printable(key)}=${/[\s"\\]/.test(text) || printable(text) !== text ? printable(JSON.stringify(text)) : text}`);
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

export interface DaemonLogger extends Logger {
  setLevel(level: LogLevel): void;
  /** Switches the line format (SIGHUP reload of `[logging] format`). */
  setFormat(format: LogFormat): void;
  /** Resolves once everything logged so far is written. */
  flush(): Promise<void>;
}

/** Settings of the daemon's logger beyond level and stream. */
export interface LoggerOptions {
  /** @default 'text' */
  format?: LogFormat;
  /** Prefix lines with `<N>` for journald. @default true when JOURNAL_STREAM or INVOCATION_ID is set */
  journal?: boolean;
  /** `service.version` in ECS lines. @default undefined (left out) */
  serviceVersion?: string;
}

/** The caller's fields of a winston info object (without level and message). */
function callerFields(info: winston.Logform.TransformableInfo): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(info)) {
    if (!WINSTON_KEYS.has(key) && value !== undefined) fields[key] = value;
  }
  return fields;
}

function priorityPrefix(level: string): string {
  return `<${PRIORITY[level] ?? 6}>`;
}

function textFormat(journal: boolean): winston.Logform.Format {
  return winston.format.printf((info) => {
    const meta = renderMeta(callerFields(info));
    const message = printable(String(info.message));
    return journal ? `${priorityPrefix(info.level)}${message}${meta}` : `${info.level.toUpperCase().padEnd(5)} ${message}${meta}`;
  });
}

function jsonFormat(journal: boolean): winston.Logform.Format {
  return winston.format.printf((info) => {
    // An Error has no enumerable fields: JSON.stringify would write {}.
    const line = JSON.stringify({ level: info.level, message: String(info.message), ...callerFields(info) }, (_key, value: unknown) =>
      value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value,
    );
    return journal ? `${priorityPrefix(info.level)}${line}` : line;
  });
}

/**
 * Moves the caller's fields under `zeek_anomalyd.*` (an `err` Error stays where
 * ecs-winston-format turns it into `error.*`), so no field of ours can collide with an ECS one.
 */
const nestCallerFields = winston.format((info) => {
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(callerFields(info))) {
    if (key === 'err' && value instanceof Error) continue;
    nested[key] = value;
    delete (info as Record<string, unknown>)[key];
  }
  if (Object.keys(nested).length > 0) (info as Record<string, unknown>)[ECS_LOG_NAMESPACE] = nested;
  return info;
});

/**
 * ecs-winston-format writes an Error's cause as `error.cause`, which ECS does not define; it goes
 * to `zeek_anomalyd.error_cause` so every field stays ECS or ours.
 */
const moveErrorCause = winston.format((info) => {
  const error = (info as { error?: Record<string, unknown> }).error;
  if (error?.cause === undefined) return info;
  const record = info as Record<string, unknown>;
  const ours = (record[ECS_LOG_NAMESPACE] ?? {}) as Record<string, unknown>;
  record[ECS_LOG_NAMESPACE] = { ...ours, error_cause: error.cause };
  delete error.cause;
  return info;
});

const MESSAGE = Symbol.for('message');

const journalPrefix = winston.format((info) => {
  const record = info as Record<string | symbol, unknown>;
  record[MESSAGE] = `${priorityPrefix(info.level)}${String(record[MESSAGE])}`;
  return info;
});

function ecsLineFormat(journal: boolean, serviceVersion: string | undefined): winston.Logform.Format {
  const fields = ecsFields({
    convertErr: true,
    apmIntegration: false,
    serviceName: 'zeek-anomalyd',
    ...(serviceVersion === undefined ? {} : { serviceVersion }),
    eventDataset: ECS_LOG_DATASET,
  });
  const steps = [nestCallerFields(), fields, moveErrorCause(), ecsStringify()];
  return winston.format.combine(...steps, ...(journal ? [journalPrefix()] : []));
}

/** The winston format of one `[logging] format`. */
export function lineFormat(format: LogFormat, journal: boolean, serviceVersion?: string): winston.Logform.Format {
  switch (format) {
    case 'text':
      return textFormat(journal);
    case 'json':
      return jsonFormat(journal);
    case 'ecs':
      return ecsLineFormat(journal, serviceVersion);
  }
}

/**
 * A logger writing `<priority>message key=value…` lines (journald) or `LEVEL message…` (a
 * terminal) in the text format, or JSON / ECS lines (see the module comment).
 */
export function createLogger(level: LogLevel, stream: NodeJS.WritableStream = process.stdout, options: LoggerOptions = {}): DaemonLogger {
  const journal = options.journal ?? (process.env.JOURNAL_STREAM !== undefined || process.env.INVOCATION_ID !== undefined);
  const transport = new winston.transports.Stream({ stream });
  const logger = winston.createLogger({ level, levels: LEVELS, format: lineFormat(options.format ?? 'text', journal, options.serviceVersion), transports: [transport] });
  const at =
    (lvl: LogLevel) =>
    (message: string, meta?: Record<string, unknown>): void => {
      logger.log(lvl, message, meta ?? {});
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    setLevel(newLevel) {
      logger.level = newLevel;
    },
    setFormat(newFormat) {
      logger.format = lineFormat(newFormat, journal, options.serviceVersion);
    },
    flush() {
      return new Promise((resolve) => {
        if (stream.write('')) resolve();
        else stream.once('drain', () => resolve());
      });
    },
  };
}
