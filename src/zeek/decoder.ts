/**
 * Incremental, synchronous decoding of Zeek log lines (TSV or JSON) into records. The caller
 * splits lines (LineSplitter) and passes each with its line number and byte offset, so a live
 * tailer can resume mid-file: prime the decoder with the file's header block first
 * (`primeDecoderFromFile` in reader.ts), then feed lines from the checkpoint on.
 *
 * Nothing here throws on bad input: every bad line comes back as a `ZeekParseError`.
 */
import { isUtf8 } from 'node:buffer';
import { unescapeJsonHex, unescapeTsv } from './bytes.js';
import { DCE_RPC_SCHEMA, typeShape } from './schema.js';
import type { TypeShape, ZeekField, ZeekSchema, ZeekValue } from './schema.js';
import { INVALID, parseTsvScalar } from './values.js';
import { fastSlices, scanAsciiText, scanDecimal, scanIPv4, scanned } from './scan.js';
import { DEFAULT_TSV_FORMAT, shown, type DecodeResult, type ParseErrorCode, type TsvFormat, type TsvLayout, type ZeekHeaderEvent, type ZeekLineDecoderOptions, type ZeekParseError } from './decoded.js';
import { jsonLookup, jsonValue, type JsonLookup } from './json-values.js';
import { messageOf } from '../errors.js';

const BTEST_LINE = '### BTest baseline data';
const BTEST_MASKED_TIME = 'XXXXXXXXXX.XXXXXX';

interface ActiveTsv {
  schema: ZeekSchema;
  format: TsvFormat;
  shapes: TypeShape[];
  wanted: boolean[];
  /** Per column, how the tab fast path handles it (COLUMN_* codes). */
  plan: Uint8Array;
  lastRaw: (string | null)[];
  lastBytes: (Buffer | undefined)[];
  lastBytesValue: ZeekValue[];
  lastValue: ZeekValue[];
}

/** A header block being read. */
interface PendingHeader {
  format: TsvFormat;
  path: string;
  names: string[] | null;
}

/** Reads a header value: Zeek escapes it with `\xNN` (a backslash stays raw). */
function headerValue(text: string): string {
  return text.indexOf('\\x') === -1 ? text : unescapeJsonHex(text);
}

/**
 * Decodes one line at a time. TSV vs JSON is detected from the first non-empty line (`{` is
 * JSON, anything else TSV); a TSV header block anywhere switches the schema.
 */
export class ZeekLineDecoder {
  readonly file: string;
  #format: 'unknown' | 'tsv' | 'json' = 'unknown';
  #btest = false;
  #metaPrefix = '#';
  #metaFirst = 0x23;
  #pending: PendingHeader | null = null;
  #active: ActiveTsv | null = null;
  readonly #columns: ReadonlySet<string> | null;
  readonly #jsonSchema: ZeekSchema;
  readonly #jsonShapes: TypeShape[];
  readonly #jsonLookups: JsonLookup[];
  readonly #jsonHex: boolean;

  constructor(options: ZeekLineDecoderOptions) {
    this.file = options.file;
    this.#columns = options.columns === undefined ? null : new Set(options.columns);
    this.#jsonSchema = options.jsonSchema ?? DCE_RPC_SCHEMA;
    this.#jsonShapes = this.#jsonSchema.fields.map((f) => typeShape(f.type));
    this.#jsonLookups = this.#jsonSchema.fields.map((f) => jsonLookup(f.name));
    this.#jsonHex = options.jsonHexEscapes ?? true;
    if (options.headerlessTsv !== undefined) {
      const format = { ...DEFAULT_TSV_FORMAT, ...options.headerlessTsv.format };
      this.#active = this.#activate(options.headerlessTsv.schema, format);
    }
  }

  /** 'tsv' or 'json' once detected. */
  get format(): 'unknown' | 'tsv' | 'json' {
    return this.#format;
  }

  /** The schema records currently follow (TSV: the last header block; JSON: the configured one). */
  get schema(): ZeekSchema | null {
    return this.#format === 'json' ? this.#jsonSchema : (this.#active?.schema ?? null);
  }

  /**
   * The schema and format TSV data lines are decoded with right now, for a specialised decoder
   * (`DceRpcLineDecoder`) that takes the common case itself and hands everything else back here.
   * Null unless the input is TSV with `#` meta lines (not a btest baseline), a header block is in
   * force and no new one is being read: only then does a data line leave this decoder's state
   * unchanged, so it may be decoded elsewhere. A new header block gives a new object.
   */
  get tsvLayout(): TsvLayout | null {
    if (this.#format !== 'tsv' || this.#pending !== null || this.#btest || this.#metaFirst !== 0x23) return null;
    return this.#active;
  }

  /** Decodes one line (without its newline). Never throws. */
  decode(line: Buffer, lineNumber: number, offset: number): DecodeResult {
    let end = line.length;
    if (end > 0 && line[end - 1] === 0x0d) end -= 1;
    if (end === 0) return null;
    // One native call: utf8Slice decodes ASCII as fast as latin1Slice. Invalid UTF-8 shows up as
    // U+FFFD, which is then told apart from a genuine U+FFFD by the exact check.
    const text = fastSlices(line).utf8Slice(0, end);
    // An ASCII line has one character per byte, so the hot path can scan the bytes themselves
    // (and NUL bytes are caught by those scans).
    // A lone invalid byte decodes to one U+FFFD and keeps the lengths equal: not ASCII after all.
    if (text.length === end && text.indexOf('\ufffd') === -1) return this.#decodeChecked(text, line, lineNumber, offset);
    if (text.indexOf('\ufffd') !== -1 && !isUtf8(line.subarray(0, end))) {
      return this.#error('binary', lineNumber, offset, 'raw invalid UTF-8 bytes (Zeek escapes these)');
    }
    return this.#decodeChecked(text, null, lineNumber, offset);
  }

  /** As `decode`, for a line already decoded to text (CR stripped). */
  decodeText(text: string, lineNumber: number, offset: number): DecodeResult {
    return this.#decodeChecked(text, null, lineNumber, offset);
  }

  #decodeChecked(text: string, ascii: Buffer | null, lineNumber: number, offset: number): DecodeResult {
    const first = text.charCodeAt(0);
    if (this.#format === 'tsv' && first !== this.#metaFirst) {
      const active = this.#active;
      if (ascii !== null && active !== null && this.#pending === null && active.format.separator === '\t') {
        return this.#decodeTabbed(text, ascii, lineNumber, offset, active);
      }
    }
    if (text.indexOf('\0') !== -1) return this.#error('binary', lineNumber, offset, 'NUL byte in line');
    if (this.#format === 'tsv' && first !== this.#metaFirst) return this.#decodeTsv(text, lineNumber, offset);
    if (this.#format === 'unknown') {
      if (text.startsWith(BTEST_LINE)) {
        this.#btest = true;
        return null;
      }
      if (first === 0x7b) this.#format = 'json';
      else {
        this.#format = 'tsv';
        const prefix = /^(.{1,16}?)separator /.exec(text);
        if (prefix?.[1] !== undefined) this.#metaPrefix = prefix[1];
        this.#metaFirst = this.#metaPrefix.charCodeAt(0);
      }
    }
    if (this.#format === 'json') {
      if (first === 0x23 && text.startsWith(BTEST_LINE)) return null;
      return this.#decodeJson(text, lineNumber, offset);
    }
    if (text.startsWith(this.#metaPrefix)) return this.#decodeMeta(text, lineNumber, offset);
    return this.#decodeTsv(text, lineNumber, offset);
  }

  #error(code: ParseErrorCode, line: number, offset: number, reason: string): ZeekParseError {
    return { kind: 'error', code, file: this.file, line, offset, reason };
  }

  #activate(schema: ZeekSchema, format: TsvFormat): ActiveTsv {
    const columns = this.#columns;
    return {
      schema,
      format,
      shapes: schema.fields.map((f) => typeShape(f.type)),
      wanted: schema.fields.map((f) => columns === null || columns.has(f.name)),
      plan: Uint8Array.from(schema.fields, (f) => columnPlan(typeShape(f.type), columns === null || columns.has(f.name))),
      lastRaw: schema.fields.map(() => null),
      lastBytes: schema.fields.map(() => undefined),
      lastBytesValue: schema.fields.map(() => null),
      lastValue: schema.fields.map(() => null),
    };
  }

  #decodeMeta(text: string, lineNumber: number, offset: number): DecodeResult {
    const body = text.slice(this.#metaPrefix.length);
    if (body.startsWith('separator ')) {
      const separator = headerValue(body.slice('separator '.length));
      if (separator.length === 0) return this.#error('bad-header', lineNumber, offset, 'empty #separator');
      this.#pending = {
        format: { ...DEFAULT_TSV_FORMAT, separator, metaPrefix: this.#metaPrefix },
        path: '',
        names: null,
      };
      return null;
    }
    const pending = this.#pending ?? this.#startImplicitBlock();
    const sep = pending.format.separator;
    const cut = body.indexOf(sep);
    const key = cut === -1 ? body : body.slice(0, cut);
    const rest = cut === -1 ? '' : body.slice(cut + sep.length);
    switch (key) {
      case 'set_separator':
        pending.format.setSeparator = headerValue(rest);
        return null;
      case 'empty_field':
        pending.format.emptyField = headerValue(rest);
        return null;
      case 'unset_field':
        pending.format.unsetField = headerValue(rest);
        return null;
      case 'path':
        pending.path = headerValue(rest);
        return null;
      case 'fields':
        pending.names = rest.split(sep);
        return null;
      case 'types': {
        if (pending.names === null) {
          return this.#error('bad-header', lineNumber, offset, '#types without #fields before it');
        }
        const types = rest.split(sep);
        if (types.length !== pending.names.length) {
          return this.#error(
            'bad-header',
            lineNumber,
            offset,
            `#types has ${types.length} entries for ${pending.names.length} #fields`,
          );
        }
        return this.#complete(pending, types, lineNumber, offset);
      }
      default:
        // #open, #close, btest comments and unknown meta lines carry nothing we need.
        return null;
    }
  }

  #startImplicitBlock(): PendingHeader {
    // A header block without #separator (hand-made files): keep the current format.
    const base = this.#active?.format ?? { ...DEFAULT_TSV_FORMAT, metaPrefix: this.#metaPrefix };
    this.#pending = { format: { ...base }, path: this.#active?.schema.path ?? '', names: null };
    return this.#pending;
  }

  #complete(pending: PendingHeader, types: string[], line: number, offset: number): ZeekHeaderEvent {
    const names = pending.names ?? [];
    const fields: ZeekField[] = names.map((name, i) => ({ name, type: types[i] ?? 'string' }));
    const schema: ZeekSchema = { path: pending.path, fields };
    this.#active = this.#activate(schema, pending.format);
    this.#pending = null;
    return { kind: 'header', file: this.file, line, offset, schema, format: pending.format };
  }

  #decodeTsv(text: string, lineNumber: number, offset: number): DecodeResult {
    if (this.#pending?.names != null) {
      // #fields without #types: columns are read as strings.
      this.#complete(this.#pending, [], lineNumber, offset);
    }
    const active = this.#active;
    if (active === null) {
      return this.#error('no-header', lineNumber, offset, 'data line before any #fields header');
    }
    const { format, shapes, wanted } = active;
    const sep = format.separator;
    const count = shapes.length;
    const values: ZeekValue[] = new Array<ZeekValue>(count);
    let start = 0;
    for (let i = 0; i < count; i++) {
      let end = text.indexOf(sep, start);
      if (i === count - 1) {
        if (end !== -1) return this.#columnCount(text, sep, count, lineNumber, offset);
        end = text.length;
      } else if (end === -1) {
        return this.#columnCount(text, sep, count, lineNumber, offset);
      }
      if (wanted[i] === true) {
        const raw = text.slice(start, end);
        const shape = shapes[i] as TypeShape;
        let value: ZeekValue | typeof INVALID;
        if (shape.container === null && shape.kind === 'string') {
          // Strings repeat from line to line (pipes, endpoints), so each column remembers its last.
          if (raw === active.lastRaw[i]) value = active.lastValue[i] ?? null;
          else {
            value = raw === format.unsetField ? null : raw === format.emptyField ? '' : unescapeTsv(raw);
            active.lastRaw[i] = raw;
            active.lastValue[i] = value;
          }
        } else {
          value = this.#tsvValue(raw, shape, format);
        }
        if (value === INVALID) return this.#badValue(active.schema.fields[i] as ZeekField, shown(raw), lineNumber, offset);
        values[i] = value;
      } else {
        values[i] = null;
      }
      start = end + sep.length;
    }
    return { kind: 'record', file: this.file, line: lineNumber, offset, schema: active.schema, values };
  }

  /**
   * The hot path for tab-separated lines. Numbers and IPv4 addresses are parsed in the same pass
   * that finds their end; other columns end at a native `indexOf`. Strings are sliced once and
   * unescaped only when they hold a backslash.
   */
  #decodeTabbed(text: string, bytes: Buffer, lineNumber: number, offset: number, active: ActiveTsv): DecodeResult {
    const { format, shapes, plan } = active;
    const count = shapes.length;
    const n = text.length;
    const unset = format.unsetField;
    const unsetCode = unset.length === 1 ? unset.charCodeAt(0) : -1;
    const values: ZeekValue[] = new Array<ZeekValue>(count);
    let start = 0;
    for (let i = 0; i < count; i++) {
      const how = plan[i] ?? COLUMN_OTHER;
      const fieldStart = start;
      let end = -1;
      let value: ZeekValue | undefined;
      if (how <= COLUMN_PORT) {
        const p = scanDecimal(bytes, start, n, how <= COLUMN_INT, how === COLUMN_FLOAT);
        if (p !== -1) {
          if (how !== COLUMN_PORT || scanned.value <= 65535) value = scanned.value;
          end = p;
        }
      } else if (how === COLUMN_ADDR) {
        const p = scanIPv4(bytes, start, n);
        if (p !== -1) {
          end = p;
          value = text.slice(fieldStart, end);
        }
      }
      let backslash = true;
      if (end === -1) {
        if (how === COLUMN_STRING || how === COLUMN_SKIP_STRING) {
          // Byte scan: finds the tab and notes a backslash in one pass over a short field. The line
          // is ASCII, so the only byte it can refuse is a NUL.
          const scannedText = scanAsciiText(bytes, start, n);
          if (scannedText === -1) return this.#error('binary', lineNumber, offset, 'NUL byte in line');
          end = scannedText >> 1;
          backslash = (scannedText & 1) === 1;
        } else {
          end = text.indexOf('\t', start);
          if (end === -1) end = n;
          // Containers and other kinds are sliced and parsed; make sure no NUL slips into them.
          const nul = text.indexOf('\0', start);
          if (nul !== -1 && nul < end) return this.#error('binary', lineNumber, offset, 'NUL byte in line');
        }
      }
      if (i === count - 1 ? end !== n : end === n) return this.#columnCount(text, '\t', count, lineNumber, offset);
      start = end + 1;
      if (how >= COLUMN_SKIP_STRING) {
        values[i] = null;
        continue;
      }
      if (value !== undefined) {
        values[i] = value;
        continue;
      }
      if (end - fieldStart === 1 && bytes[fieldStart] === unsetCode) {
        values[i] = null;
        continue;
      }
      const shape = shapes[i] as TypeShape;
      if (backslash && how === COLUMN_STRING) {
        // Escaped strings (SMB pipes) repeat from line to line: each column remembers its last
        // one by its bytes, so a repeat costs neither a slice nor an unescape.
        const last = active.lastBytes[i];
        if (last !== undefined && sameBytes(bytes, fieldStart, end, last)) {
          values[i] = active.lastBytesValue[i] ?? null;
          continue;
        }
      }
      const raw = text.slice(fieldStart, end);
      let decoded: ZeekValue | typeof INVALID;
      if (how === COLUMN_STRING) {
        if (!backslash) decoded = raw === format.emptyField ? '' : raw;
        else {
          decoded = raw === format.emptyField ? '' : unescapeTsv(raw);
          active.lastBytes[i] = Buffer.from(bytes.subarray(fieldStart, end));
          active.lastBytesValue[i] = decoded;
        }
      } else {
        decoded = this.#tsvValue(raw, shape, format);
      }
      if (decoded === INVALID) return this.#badValue(active.schema.fields[i] as ZeekField, shown(raw), lineNumber, offset);
      values[i] = decoded;
    }
    return { kind: 'record', file: this.file, line: lineNumber, offset, schema: active.schema, values };
  }

  /** A column whose text is not a value of its type (`shownText` quotes it). */
  #badValue(field: ZeekField, shownText: string, line: number, offset: number): ZeekParseError {
    return this.#error('bad-value', line, offset, `bad ${field.type} in ${field.name}: ${shownText}`);
  }

  #columnCount(text: string, sep: string, expected: number, line: number, offset: number): ZeekParseError {
    const actual = text.split(sep).length;
    return this.#error('column-count', line, offset, `${actual} columns, header has ${expected}`);
  }

  #tsvValue(raw: string, shape: TypeShape, format: TsvFormat): ZeekValue | typeof INVALID {
    if (raw === format.unsetField) return null;
    if (shape.container === null) return this.#tsvScalar(raw, shape, format);
    if (raw === format.emptyField) return [];
    const parts = raw.split(format.setSeparator);
    const out: ZeekValue[] = [];
    for (const part of parts) {
      if (part === format.unsetField) {
        out.push(null);
        continue;
      }
      const value = this.#tsvScalar(part, shape, format);
      if (value === INVALID) return INVALID;
      out.push(value);
    }
    return out;
  }

  #tsvScalar(raw: string, shape: TypeShape, format: TsvFormat): ZeekValue | typeof INVALID {
    if (shape.kind === 'string') return raw === format.emptyField ? '' : unescapeTsv(raw);
    if (this.#btest && shape.kind === 'time' && raw === BTEST_MASKED_TIME) return NaN;
    return parseTsvScalar(raw, shape.kind);
  }

  #decodeJson(text: string, lineNumber: number, offset: number): DecodeResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const detail = messageOf(error);
      return this.#error('invalid-json', lineNumber, offset, `invalid JSON: ${detail}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return this.#error('invalid-json', lineNumber, offset, 'JSON line is not an object');
    }
    const object = parsed as Record<string, unknown>;
    const fields = this.#jsonSchema.fields;
    const values: ZeekValue[] = new Array<ZeekValue>(fields.length);
    let present = 0;
    for (let i = 0; i < fields.length; i++) {
      const member = (this.#jsonLookups[i] as JsonLookup)(object);
      if (member === undefined || member === null) {
        values[i] = null;
        continue;
      }
      present += 1;
      const field = fields[i] as ZeekField;
      if (this.#columns !== null && !this.#columns.has(field.name)) {
        values[i] = null;
        continue;
      }
      const value = jsonValue(member, this.#jsonShapes[i] as TypeShape, this.#jsonHex);
      if (value === INVALID) return this.#badValue(field, shown(JSON.stringify(member)), lineNumber, offset);
      values[i] = value;
    }
    if (present === 0) {
      return this.#error('not-a-record', lineNumber, offset, `JSON object has none of the ${this.#jsonSchema.path || 'schema'} fields`);
    }
    return { kind: 'record', file: this.file, line: lineNumber, offset, schema: this.#jsonSchema, values };
  }

}

// How the tab fast path treats a column. Numeric codes first: `how <= COLUMN_PORT` is "numeric".
const COLUMN_FLOAT = 0;
const COLUMN_INT = 1;
const COLUMN_COUNT = 2;
const COLUMN_PORT = 3;
const COLUMN_ADDR = 4;
const COLUMN_STRING = 5;
const COLUMN_OTHER = 6;
/** Not requested: skipped (a string-typed one is still scanned, which finds its end). */
const COLUMN_SKIP_STRING = 7;
const COLUMN_SKIP = 8;

function columnPlan(shape: TypeShape, wanted: boolean): number {
  if (!wanted) return shape.kind === 'string' && shape.container === null ? COLUMN_SKIP_STRING : COLUMN_SKIP;
  if (shape.container !== null) return COLUMN_OTHER;
  switch (shape.kind) {
    case 'time':
    case 'interval':
    case 'double':
      return COLUMN_FLOAT;
    case 'int':
      return COLUMN_INT;
    case 'count':
      return COLUMN_COUNT;
    case 'port':
      return COLUMN_PORT;
    case 'addr':
      return COLUMN_ADDR;
    case 'string':
      return COLUMN_STRING;
    case 'bool':
    case 'subnet':
      return COLUMN_OTHER;
  }
}

/** Whether `bytes[start..end)` equals `other`. */
function sameBytes(bytes: Buffer, start: number, end: number, other: Buffer): boolean {
  if (end - start !== other.length) return false;
  for (let k = 0; k < other.length; k++) if (bytes[start + k] !== other[k]) return false;
  return true;
}
