/**
 * Text → value parsing for single Zeek values (TSV columns and JSON members). Each parser returns
 * the value or `INVALID`, never throws, so a bad field becomes a parse error for its line only.
 */
import { isIPv6 } from 'node:net';
import type { ValueKind } from './schema.js';
import { isIPv4Text, scanDecimal, scanned } from './scan.js';

/** Returned by the parsers when the text is not a valid value of the kind. */
export const INVALID: unique symbol = Symbol('zeek.invalid');

const FLOAT_RE = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const UNSIGNED_RE = /^\d+$/;
const SIGNED_RE = /^-?\d+$/;

/** Room for a sign, 15 digits, a point and a few leading zeros: longer text is not a fast case. */
const DECIMAL_SCRATCH = new Uint8Array(24);

/** Copies an ASCII string without tabs into `into`; false when it is not one. */
function copyAscii(text: string, into: Uint8Array): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 9 || code >= 0x80) return false;
    into[i] = code;
  }
  return true;
}

/**
 * A TSV float: fixed or exponent notation, or Zeek's `nan`, `inf`, `-inf`. Plain decimals take
 * the decoders' exact scan (`scanDecimal`); the rest goes to `Number`.
 */
export function parseFloatText(text: string): number | typeof INVALID {
  const n = text.length;
  if (n <= DECIMAL_SCRATCH.length && copyAscii(text, DECIMAL_SCRATCH) && scanDecimal(DECIMAL_SCRATCH, 0, n, true, true) === n) {
    return scanned.value;
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
