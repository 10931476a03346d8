/**
 * The daemon's own log: winston to stdout, one line per event. Under systemd stdout is the journal,
 * which stamps the time itself and reads a leading `<N>` as the syslog priority
 * (SyslogLevelPrefix=yes), so lines carry that prefix instead of a timestamp.
 */
import winston from 'winston';
import type { Logger } from '../scheduler/index.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

function renderMeta(meta: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${key}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
}

export interface DaemonLogger extends Logger {
  setLevel(level: LogLevel): void;
  /** Resolves once everything logged so far is written. */
  flush(): Promise<void>;
}

/** A logger writing `<priority>message key=value…` lines (journald) or `LEVEL message…` (a terminal). */
export function createLogger(level: LogLevel, stream: NodeJS.WritableStream = process.stdout): DaemonLogger {
  const journal = process.env.JOURNAL_STREAM !== undefined || process.env.INVOCATION_ID !== undefined;
  const line = winston.format.printf((info) => {
    const { level: lvl, message, ...rest } = info;
    const meta = renderMeta(rest);
    return journal ? `<${PRIORITY[lvl] ?? 6}>${String(message)}${meta}` : `${lvl.toUpperCase().padEnd(5)} ${String(message)}${meta}`;
  });
  const transport = new winston.transports.Stream({ stream });
  const logger = winston.createLogger({ level, levels: { error: 0, warn: 1, info: 2, debug: 3 }, format: line, transports: [transport] });
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
    flush() {
      return new Promise((resolve) => {
        if (stream.write('')) resolve();
        else stream.once('drain', () => resolve());
      });
    },
  };
}
