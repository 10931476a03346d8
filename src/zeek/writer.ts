/**
 * Zeek log writers as pure string producers (file I/O belongs to the sink stage): TSV exactly as
 * Zeek's ASCII writer, JSON exactly as its JSON writer. Values are arrays aligned to the schema's
 * fields, `null` meaning unset. Every produced record is one line ending in `\n`: no value can
 * produce a second line, because every control byte is escaped.
 */
import { charBytes, hexEscape, isEscapedByte } from './bytes.js';
import { DEFAULT_TSV_FORMAT, type TsvFormat } from './decoded.js';
import { typeShape } from './schema.js';
import type { TypeShape, ZeekSchema, ZeekValue } from './schema.js';

/** Local time as `%Y-%m-%d-%H-%M-%S`, as in `#open`/`#close` (Zeek uses localtime_r). */
export function formatZeekLocalTime(time: Date | number): string {
  const d = typeof time === 'number' ? new Date(time) : time;
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}-` +
    `${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}`
  );
}

/**
 * Header value escaping (`get_escaped_string(…, false)`): whitespace, non-printable and non-ASCII
 * bytes become `\xNN`; a backslash stays raw.
 */
function escapeHeaderValue(value: string): string {
  return hexEscapeOutside(value, 0x21);
}

/** Every character outside `lowest`–0x7E written as the `\xNN` of each of its UTF-8 bytes. */
function hexEscapeOutside(text: string, lowest: number): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    if (code >= lowest && code < 0x7f) {
      out += text[i];
      i += 1;
      continue;
    }
    const { bytes, units } = charBytes(text, i);
    for (const byte of bytes) out += hexEscape(byte);
    i += units;
  }
  return out;
}

/** The eight header lines Zeek writes at the top of a log, in its order and spelling. */
export function formatTsvHeader(
  schema: ZeekSchema,
  openTime: Date | number,
  format: Partial<TsvFormat> = {},
): string {
  const f = { ...DEFAULT_TSV_FORMAT, ...format };
  const p = f.metaPrefix;
  const sep = f.separator;
  return (
    `${p}separator ${escapeHeaderValue(sep)}\n` +
    `${p}set_separator${sep}${escapeHeaderValue(f.setSeparator)}\n` +
    `${p}empty_field${sep}${escapeHeaderValue(f.emptyField)}\n` +
    `${p}unset_field${sep}${escapeHeaderValue(f.unsetField)}\n` +
    `${p}path${sep}${escapeHeaderValue(schema.path)}\n` +
    `${p}open${sep}${formatZeekLocalTime(openTime)}\n` +
    `${p}fields${sep}${schema.fields.map((x) => x.name).join(sep)}\n` +
    `${p}types${sep}${schema.fields.map((x) => x.type).join(sep)}\n`
  );
}

/** The `#close` line Zeek writes when it closes a log. */
export function formatTsvClose(closeTime: Date | number, format: Partial<TsvFormat> = {}): string {
  const f = { ...DEFAULT_TSV_FORMAT, ...format };
  return `${f.metaPrefix}close${f.separator}${formatZeekLocalTime(closeTime)}\n`;
}

/**
 * True for a UTF-16 unit (or pair) that makes Zeek's `escape_utf8` hex-escape the whole piece:
 * controls, C1 controls, private use U+E000–U+F8FF, U+FFF0–U+FFFF, and raw (invalid) bytes.
 */
function isBadAt(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  if (code < 0x20 || code === 0x7f) return true;
  if (code < 0x80) return false;
  if (code <= 0x9f) return true;
  if (code >= 0xe000 && code <= 0xf8ff) return true;
  if (code >= 0xfff0) return true;
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const before = i > 0 ? s.charCodeAt(i - 1) : 0;
    return !(before >= 0xd800 && before <= 0xdbff) || isEscapedByte(s, i);
  }
  return false;
}

/** Escapes one piece between cut points: raw if clean, else every byte outside 0x20–0x7E as `\xNN`. */
function escapePiece(piece: string): string {
  let bad = false;
  for (let i = 0; i < piece.length; i++) {
    if (isBadAt(piece, i)) {
      bad = true;
      break;
    }
  }
  return bad ? hexEscapeOutside(piece, 0x20) : piece;
}

function hexAll(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const { bytes, units } = charBytes(text, i);
    for (const byte of bytes) out += hexEscape(byte);
    i += units;
  }
  return out;
}

// Strings that need no escaping at all: printable ASCII without a backslash.
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * Zeek's `ODesc::AddBytes`: cut the text at every backslash, separator and (inside containers)
 * set separator; write those as `\\` and hex; pass each piece in between through `escapePiece`.
 */
function escapeTsvText(text: string, separator: string, setSeparator: string | null): string {
  if (PLAIN.test(text) && !text.includes(separator) && (setSeparator === null || !text.includes(setSeparator))) {
    return text;
  }
  let out = '';
  let pieceStart = 0;
  let i = 0;
  while (i < text.length) {
    let cut: string | null = null;
    if (text.charCodeAt(i) === 0x5c) cut = '\\';
    else if (text.startsWith(separator, i)) cut = separator;
    else if (setSeparator !== null && text.startsWith(setSeparator, i)) cut = setSeparator;
    if (cut === null) {
      i += 1;
      continue;
    }
    out += escapePiece(text.slice(pieceStart, i));
    out += cut === '\\' ? '\\\\' : hexAll(cut);
    i += cut.length;
    pieceStart = i;
  }
  return out + escapePiece(text.slice(pieceStart));
}

/** A string value: empty marker for '', first byte escaped when it equals a marker. */
function formatTsvString(text: string, f: TsvFormat, inContainer: boolean): string {
  if (text.length === 0) return f.emptyField;
  const setSep = inContainer ? f.setSeparator : null;
  if (text === f.unsetField || text === f.emptyField) {
    const { bytes, units } = charBytes(text, 0);
    return bytes.map(hexEscape).join('') + escapeTsvText(text.slice(units), f.separator, setSep);
  }
  return escapeTsvText(text, f.separator, setSep);
}

/** `time`/`interval`: fixed notation with exactly six decimals (`std::to_chars(fixed, 6)`). */
export function formatZeekTime(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Object.is(value, -0)) return '-0.000000';
  if (Math.abs(value) < 1e21) return value.toFixed(6);
  return `${BigInt(value).toString()}.000000`;
}

/**
 * `double` as Zeek's TSV writer renders it: six decimals, trailing zeros trimmed, `.0` kept only
 * when the value is within 1e-9 of an integer, never an exponent.
 */
export function formatZeekDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return '0.0';
  let text = Math.abs(value) < 1e21 ? value.toFixed(6) : `${BigInt(value).toString()}.000000`;
  text = text.replace(/\.?0+$/, '');
  if (Math.abs(value - Math.round(value)) < 1e-9) text += '.0';
  return text;
}

function formatTsvScalar(value: ZeekValue, shape: TypeShape, f: TsvFormat, inContainer: boolean): string {
  if (value === null || Array.isArray(value)) return f.unsetField;
  if (typeof value === 'string') return formatTsvString(value, f, inContainer);
  if (typeof value === 'boolean') return value ? 'T' : 'F';
  if (shape.kind === 'time' || shape.kind === 'interval') return formatZeekTime(value);
  if (shape.kind === 'double') return formatZeekDouble(value);
  return String(Math.trunc(value));
}

const shapeCache = new WeakMap<ZeekSchema, TypeShape[]>();

/** Type shapes of a schema, computed once per schema object. */
export function schemaShapes(schema: ZeekSchema): TypeShape[] {
  let shapes = shapeCache.get(schema);
  if (shapes === undefined) {
    shapes = schema.fields.map((field) => typeShape(field.type));
    shapeCache.set(schema, shapes);
  }
  return shapes;
}

/** One data line (with `\n`) as Zeek's ASCII writer writes it. */
export function formatTsvRecord(
  schema: ZeekSchema,
  values: readonly ZeekValue[],
  format: Partial<TsvFormat> = DEFAULT_TSV_FORMAT,
): string {
  const f = format === DEFAULT_TSV_FORMAT ? DEFAULT_TSV_FORMAT : { ...DEFAULT_TSV_FORMAT, ...format };
  const shapes = schemaShapes(schema);
  let line = '';
  for (let i = 0; i < shapes.length; i++) {
    const shape = shapes[i] as TypeShape;
    const value = values[i] ?? null;
    if (i > 0) line += f.separator;
    if (shape.container !== null && Array.isArray(value)) {
      if (value.length === 0) {
        line += f.emptyField;
        continue;
      }
      line += value.map((element) => formatTsvScalar(element, shape, f, true)).join(f.setSeparator);
    } else {
      line += formatTsvScalar(Array.isArray(value) ? null : value, shape, f, false);
    }
  }
  if (f.metaPrefix.length > 0 && line.startsWith(f.metaPrefix)) {
    line = hexEscape(line.charCodeAt(0)) + line.slice(1);
  }
  return line + '\n';
}

/** JSON writer options. */
export interface JsonWriteOptions {
  /** How `time` columns are written (`LogAscii::json_timestamps`). @default 'epoch' */
  timestamps?: 'epoch' | 'iso8601' | 'millis';
  /** Write unset fields as `null` instead of leaving them out. @default false */
  includeUnset?: boolean;
}

/**
 * A double as rapidjson writes it: JS shortest form with `.0` on integral values, no `+` in the
 * exponent, `-0.0`, and `null` for NaN/infinities. (rapidjson's Grisu2 occasionally prints one
 * more digit than the shortest form; both parse to the same double.)
 */
export function formatJsonDouble(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  if (text.includes('e')) return text.replace('e+', 'e');
  return Number.isInteger(value) ? `${text}.0` : text;
}

/** Zeek's `TS_ISO8601`: UTC seconds, then `%06.0f` of the positive fraction × 1e6, then `Z`. */
export function formatIsoTime(value: number): string {
  const seconds = Math.floor(value);
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  const micros = Math.round((value - seconds) * 1e6);
  return `${iso}.${String(micros).padStart(6, '0')}Z`;
}

const JSON_SHORT: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/**
 * A JSON string as Zeek's default HEX policy writes it: `\b \f \n \r \t` as JSON escapes, other
 * controls and invalid bytes as the text `\xNN`, and, when any of those occur, every non-ASCII
 * byte of the string as `\xNN` too (all-or-nothing, like the TSV escaper).
 */
export function formatJsonString(text: string): string {
  let bad = false;
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f) {
      if (code === 0x22 || code === 0x5c) plain = false;
      continue;
    }
    if (JSON_SHORT[code] !== undefined) {
      plain = false;
      continue;
    }
    if (isBadAt(text, i)) {
      bad = true;
      break;
    }
  }
  // Whole runs of text that needs no escape are copied as slices, never a character at a time:
  // `out += text[i]` made a new string per character (about 30 bytes of garbage each), which
  // under a flood of anomalies was most of what the daemon allocated.
  if (!bad) return plain ? `"${text}"` : `"${escapeJsonRuns(text)}"`;
  let out = '"';
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (JSON_SHORT[code] !== undefined) out += JSON_SHORT[code];
    else if (code >= 0x20 && code < 0x7f) out += text[i];
    else {
      const { bytes, units } = charBytes(text, i);
      for (const byte of bytes) out += '\\' + hexEscape(byte);
      i += units;
      continue;
    }
    i += 1;
  }
  return out + '"';
}

/** `text` with quotes, backslashes and the short controls escaped, everything else as it is. */
function escapeJsonRuns(text: string): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const escape = code === 0x22 ? '\\"' : code === 0x5c ? '\\\\' : JSON_SHORT[code];
    if (escape === undefined) continue;
    out += text.slice(runStart, i) + escape;
    runStart = i + 1;
  }
  return out + text.slice(runStart);
}

function formatJsonScalar(value: ZeekValue, shape: TypeShape, options: JsonWriteOptions): string {
  if (value === null || Array.isArray(value)) return 'null';
  if (typeof value === 'string') return formatJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (shape.kind === 'time') {
    if (options.timestamps === 'iso8601') return `"${formatIsoTime(value)}"`;
    if (options.timestamps === 'millis') return Number.isFinite(value) ? String(Math.trunc(value * 1000)) : 'null';
    return formatJsonDouble(value);
  }
  if (shape.kind === 'interval' || shape.kind === 'double') return formatJsonDouble(value);
  return Number.isFinite(value) ? String(Math.trunc(value)) : 'null';
}

/** Reused by formatJsonRecord (not re-entrant: formatJsonScalar never calls back into it). */
const jsonParts: string[] = [];

const keyCache = new WeakMap<ZeekSchema, { first: string[]; next: string[] }>();

/** `"name":` (first in a line) and `,"name":` per field, made once per schema object, not per record. */
function jsonKeys(schema: ZeekSchema): { first: string[]; next: string[] } {
  let keys = keyCache.get(schema);
  if (keys === undefined) {
    const first = schema.fields.map((field) => `${formatJsonString(field.name)}:`);
    keys = { first, next: first.map((key) => `,${key}`) };
    keyCache.set(schema, keys);
  }
  return keys;
}

/** One JSON line (with `\n`) as Zeek's JSON writer writes it: flat dotted keys, unset left out. */
export function formatJsonRecord(
  schema: ZeekSchema,
  values: readonly ZeekValue[],
  options: JsonWriteOptions = {},
): string {
  const shapes = schemaShapes(schema);
  const keys = jsonKeys(schema);
  // The pieces are joined once into one flat string: `+=` over ~40 pieces left a rope of as
  // many nodes per line, held until the batch is written (and flattened again by the join there).
  // Written by index into a reused array (emptying it with `length = 0` would free its storage).
  const parts = jsonParts;
  let count = 0;
  parts[count++] = '{';
  for (let i = 0; i < shapes.length; i++) {
    const value = values[i] ?? null;
    if (value === null && options.includeUnset !== true) continue;
    const shape = shapes[i] as TypeShape;
    const key = (count === 1 ? keys.first[i] : keys.next[i]) as string;
    parts[count++] = key;
    if (Array.isArray(value)) {
      parts[count++] = '[';
      for (let e = 0; e < value.length; e++) {
        if (e > 0) parts[count++] = ',';
        parts[count++] = formatJsonScalar(value[e] as ZeekValue, shape, options);
      }
      parts[count++] = ']';
    } else {
      parts[count++] = formatJsonScalar(value, shape, options);
    }
  }
  parts[count++] = '}\n';
  parts.length = count;
  return parts.join('');
}
