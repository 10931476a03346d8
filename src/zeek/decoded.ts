/**
 * What the line decoder gives back (records, header events, parse errors) and the options and
 * TSV markers it works with; apart from decoder.ts so that the reader, the writer and the
 * dce_rpc fast path share the types without the decoder itself.
 */
import type { ZeekSchema, ZeekValue } from './schema.js';

/** Stable reasons for a bad line; tests and callers match on these, not on message text. */
export type ParseErrorCode =
  | 'column-count'
  | 'bad-value'
  | 'invalid-json'
  | 'not-a-record'
  | 'line-too-long'
  | 'binary'
  | 'no-header'
  | 'bad-header'
  | 'truncated-input'
  | 'trailing-garbage';

/** One bad line (or a bad end of input), with where it was and why. */
export interface ZeekParseError {
  kind: 'error';
  code: ParseErrorCode;
  file: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  reason: string;
}

/** A header block completed: records from here on follow `schema` (TSV only). */
export interface ZeekHeaderEvent {
  kind: 'header';
  file: string;
  line: number;
  offset: number;
  schema: ZeekSchema;
  /** The block's markers and separators, as read. */
  format: TsvFormat;
}

/** One data line. `values` is aligned to `schema.fields`; `null` is unset. */
export interface ZeekRecord {
  kind: 'record';
  file: string;
  line: number;
  offset: number;
  schema: ZeekSchema;
  values: ZeekValue[];
}

/** What one line decodes to; `null` for lines that carry nothing (blank, comments, #open, #close). */
export type DecodeResult = ZeekRecord | ZeekHeaderEvent | ZeekParseError | null;

/** Separators and markers of a TSV header block. */
export interface TsvFormat {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  metaPrefix: string;
}

/** What `ZeekLineDecoder.tsvLayout` exposes: the active schema and its markers. */
export interface TsvLayout {
  readonly schema: ZeekSchema;
  readonly format: Readonly<TsvFormat>;
}

/** The defaults of Zeek's ASCII writer (`LogAscii::*`). */
export const DEFAULT_TSV_FORMAT: Readonly<TsvFormat> = Object.freeze({
  separator: '\t',
  setSeparator: ',',
  emptyField: '(empty)',
  unsetField: '-',
  metaPrefix: '#',
});

/** Options for `ZeekLineDecoder`. */
export interface ZeekLineDecoderOptions {
  /** File name reported in records and errors. */
  file: string;
  /**
   * Decode only these columns (by Zeek name); the others stay `null` and are not validated. The
   * column count is still checked. @default all columns
   */
  columns?: readonly string[];
  /** Schema for JSON lines (which carry no header). @default DCE_RPC_SCHEMA */
  jsonSchema?: ZeekSchema;
  /**
   * Schema and format for TSV without any header (`LogAscii::include_meta=F`); without it such a
   * file is reported line by line as `no-header`. @default none
   */
  headerlessTsv?: { schema: ZeekSchema; format?: Partial<TsvFormat> };
  /**
   * JSON strings: undo the `\xNN` text that Zeek's default HEX policy writes for control bytes
   * and invalid UTF-8. That policy writes a literal backslash unescaped, so a string holding the
   * text `\x41` cannot be told apart; `false` keeps every string literally. @default true
   */
  jsonHexEscapes?: boolean;
}

const MAX_SHOWN = 60;

/** A bad value as quoted in a parse error's reason: JSON-quoted, cut at 60 characters. */
export function shown(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(cut);
}
