/**
 * Text → value parsing for single Zeek values (TSV columns and JSON members). Each parser returns
 * the value or `INVALID`, never throws, so a bad field becomes a parse error for its line only.
 */
import { isIPv6 } from 'node:net';
import type { ValueKind } from './schema.js';

/** Returned by the parsers when the text is not a valid value of the kind. */
export const INVALID: unique symbol = Symbol('zeek.invalid');

const FLOAT_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const UNSIGNED_RE = /^\d+$/;
const SIGNED_RE = /^-?\d+$/;

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * A TSV float: fixed or exponent notation, or Zeek's `nan`, `inf`, `-inf`. Plain decimals of up
 * to 15 digits take a fast path that is exact: digits and 10^k are exact doubles, so one
 * correctly rounded division gives the same double as `Number(text)`.
 */
export function parseFloatText(text: string): number | typeof INVALID {
  const n = text.length;
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      mantissa = mantissa * 10 + (code - 0x30);
      digits += 1;
    } else if (code === 0x2e && fraction === -1) {
      fraction = 0;
      continue;
    } else {
      break;
    }
    if (fraction >= 0) fraction += 1;
  }
  // 10^22 is the largest exact power of ten: more fraction digits go to Number().
  if (i === n && digits > 0 && mantissa <= Number.MAX_SAFE_INTEGER && fraction <= 22) {
    const value = fraction > 0 ? mantissa / (POWERS_OF_TEN[fraction] ?? 1) : mantissa;
    return text.charCodeAt(0) === 0x2d ? -value : value;
  }
  if (FLOAT_RE.test(text)) return Number(text);
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return INVALID;
}

/** Decimal digits only, at most `maxDigits` of them; null otherwise. */
function parseSmallUnsigned(text: string, maxDigits: number): number | null {
  const n = text.length;
  if (n === 0 || n > maxDigits) return null;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return null;
    value = value * 10 + (code - 0x30);
  }
  return value;
}

/** Dotted-quad IPv4 with each part 0..255, without regex or allocation. */
export function isIPv4Text(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= n; i++) {
    const code = i === n ? 0x2e : text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts += 1;
      digits = 0;
      value = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      digits += 1;
      if (digits > 3) return false;
      value = value * 10 + (code - 0x30);
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** An address as Zeek writes it: IPv4 dotted quad or IPv6 text. */
export function isAddrText(text: string): boolean {
  return isIPv4Text(text) || (text.indexOf(':') !== -1 && isIPv6(text));
}

/** `addr/len` with len in range for the family. */
export function isSubnetText(text: string): boolean {
  const slash = text.lastIndexOf('/');
  if (slash <= 0) return false;
  const length = text.slice(slash + 1);
  if (!UNSIGNED_RE.test(length) || length.length > 3) return false;
  const address = text.slice(0, slash);
  if (isIPv4Text(address)) return Number(length) <= 32;
  return isIPv6(address) && Number(length) <= 128;
}

/**
 * Parses one TSV scalar (already compared against the unset/empty markers; strings are handled
 * by the caller because they need unescaping, not parsing).
 */
export function parseTsvScalar(text: string, kind: ValueKind): number | boolean | string | typeof INVALID {
  switch (kind) {
    case 'time':
    case 'interval':
    case 'double':
      return parseFloatText(text);
    case 'count':
      return parseSmallUnsigned(text, 15) ?? (UNSIGNED_RE.test(text) ? Number(text) : INVALID);
    case 'int':
      return SIGNED_RE.test(text) ? Number(text) : INVALID;
    case 'port': {
      const port = parseSmallUnsigned(text, 5);
      return port !== null && port <= 65535 ? port : INVALID;
    }
    case 'bool':
      return text === 'T' ? true : text === 'F' ? false : INVALID;
    case 'addr':
      return isAddrText(text) ? text : INVALID;
    case 'subnet':
      return isSubnetText(text) ? text : INVALID;
    case 'string':
      return text;
  }
}

const ISO_RE = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/;

/**
 * An ISO-8601 time (Zeek's `TS_ISO8601`, brimdata's `_write_ts`) as epoch seconds, keeping the
 * microseconds that `Date.parse` would drop. No zone means UTC, as Zeek writes `Z`.
 */
export function parseIsoTime(text: string): number | typeof INVALID {
  const m = ISO_RE.exec(text);
  if (m === null) return INVALID;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(whole)) return INVALID;
  let offsetMinutes = 0;
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const fraction = frac === undefined ? 0 : Number(`0.${frac}`);
  return whole / 1000 - offsetMinutes * 60 + fraction;
}

/**
 * Epoch values at or above this magnitude are read as milliseconds (Zeek's `TS_MILLIS`): as
 * seconds they would lie after the year 5000, as milliseconds they are after March 1973.
 */
export const MILLIS_THRESHOLD = 1e11;
