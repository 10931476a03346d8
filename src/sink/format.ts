/**
 * Turns anomaly rows into the bytes of anomalies.log: Zeek TSV (header, records, `#close`) or
 * Zeek JSON lines, optionally with ECS field names. Pure; the writer owns the file.
 */
import { formatJsonRecord, formatTsvClose, formatTsvHeader, formatTsvRecord } from '../zeek/index.js';
import type { JsonWriteOptions, ZeekSchema, ZeekValue } from '../zeek/index.js';
import { ecsView } from './ecs.js';

/** The output formats of `[output] format`. */
export type AnomalyLogFormat = 'zeek' | 'json';

/** Settings of an AnomalyFormatter. */
export interface AnomalyFormatterOptions {
  format: AnomalyLogFormat;
  /** Column layout of one anomaly; `schema.path` becomes `#path` (normally `anomalies`). */
  schema: ZeekSchema;
  /** `ecs` renames JSON keys (see ecs.ts); TSV always keeps Zeek names. @default 'zeek' */
  fieldNames?: 'zeek' | 'ecs';
  /** JSON writer options; with ECS names `timestamps` defaults to `iso8601`. */
  json?: JsonWriteOptions;
}

/** Formats anomaly rows for one output format. */
export interface AnomalyFormatter {
  readonly format: AnomalyLogFormat;
  /** Header lines for a new file (`''` for JSON). */
  header(openTimeMs: number): string;
  /** One record line ending in `\n`; `values` aligned with the schema given at creation. */
  record(values: readonly ZeekValue[]): string;
  /** The closing line for a rotated file (`''` for JSON). */
  close(closeTimeMs: number): string;
  /**
   * Whether an existing file's first bytes carry a header we can keep appending under: every
   * header line except `#open` equal to ours. Always true for JSON (it has no header).
   */
  headerMatches(head: string): boolean;
}

const HEADER_LINES = 8;

/** Builds the formatter for `[output] format` / `field_names`. */
export function createAnomalyFormatter(options: AnomalyFormatterOptions): AnomalyFormatter {
  if (options.format === 'json') {
    const ecs = options.fieldNames === 'ecs' ? ecsView(options.schema) : null;
    if (ecs === null) {
      const json = options.json ?? {};
      return {
        format: 'json',
        header: () => '',
        record: (values) => formatJsonRecord(options.schema, values, json),
        close: () => '',
        headerMatches: () => true,
      };
    }
    const json: JsonWriteOptions = { timestamps: 'iso8601', ...options.json };
    return {
      format: 'json',
      header: () => '',
      record: (values) => formatJsonRecord(ecs.schema, ecs.project(values), json),
      close: () => '',
      headerMatches: () => true,
    };
  }
  const schema = options.schema;
  const expected = withoutOpenLine(formatTsvHeader(schema, 0).split('\n').slice(0, HEADER_LINES));
  return {
    format: 'zeek',
    header: (openTimeMs) => formatTsvHeader(schema, openTimeMs),
    record: (values) => formatTsvRecord(schema, values),
    close: (closeTimeMs) => formatTsvClose(closeTimeMs),
    headerMatches(head) {
      const lines = head.split('\n');
      // A header is only trusted when all of it (with its final newline) is there.
      if (lines.length <= HEADER_LINES) return false;
      const present = withoutOpenLine(lines.slice(0, HEADER_LINES));
      return present.length === expected.length && present.every((line, i) => line === expected[i]);
    },
  };
}

function withoutOpenLine(lines: string[]): string[] {
  return lines.filter((line) => !line.startsWith('#open\t'));
}

/** Parses a `#open`/`#close` value (`YYYY-MM-DD-HH-MM-SS`, local time) to epoch ms, or null. */
export function parseZeekLocalTime(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isNaN(time) ? null : time;
}

/** The `#open` time in a TSV head, or null when there is none. */
export function tsvOpenTime(head: string): number | null {
  const match = /^#open\t([^\n]*)$/m.exec(head);
  return match?.[1] === undefined ? null : parseZeekLocalTime(match[1]);
}
