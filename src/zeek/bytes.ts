/**
 * Zeek strings are byte strings. We carry them as JS strings without loss: valid UTF-8 decodes
 * normally and each byte of invalid UTF-8 becomes a lone low surrogate U+DC80..U+DCFF (Python's
 * "surrogateescape"). `encodeZeekString` reverses it exactly, and the writers escape those bytes
 * as `\xNN`, as Zeek does for the original bytes.
 */
import { isUtf8 } from 'node:buffer';

const ESCAPE_BASE = 0xdc00;

/** Decodes bytes to a string, mapping every byte of invalid UTF-8 to U+DC80..U+DCFF. */
export function decodeZeekBytes(bytes: Uint8Array): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (isUtf8(buffer)) return buffer.toString('utf8');
  let out = '';
  let runStart = 0;
  let i = 0;
  const n = buffer.length;
  while (i < n) {
    const length = validSequenceLength(buffer, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (runStart < i) out += buffer.toString('utf8', runStart, i);
    out += String.fromCharCode(ESCAPE_BASE + (buffer[i] ?? 0));
    i += 1;
    runStart = i;
  }
  if (runStart < n) out += buffer.toString('utf8', runStart, n);
  return out;
}

/** Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629), or 0 if there is none. */
function validSequenceLength(b: Buffer, i: number): number {
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return 1;
  const n = b.length;
  const cont = (k: number): boolean => k < n && ((b[k] ?? 0) & 0xc0) === 0x80;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = b[i + 1] ?? 0;
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // UTF-16 surrogate
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = b[i + 1] ?? 0;
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // beyond U+10FFFF
    return 4;
  }
  return 0;
}

/** True when `code` at `index` of `s` is a lone surrogate standing for one raw byte. */
export function isEscapedByte(s: string, index: number): boolean {
  const code = s.charCodeAt(index);
  if (code < 0xdc80 || code > 0xdcff) return false;
  const before = index > 0 ? s.charCodeAt(index - 1) : 0;
  return !(before >= 0xd800 && before <= 0xdbff);
}

const HAS_LOW_SURROGATE = /[\udc80-\udcff]/;

/** Exact inverse of `decodeZeekBytes`: the original bytes. */
export function encodeZeekString(s: string): Buffer {
  if (!HAS_LOW_SURROGATE.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    if (!isEscapedByte(s, i)) continue;
    if (runStart < i) parts.push(Buffer.from(s.slice(runStart, i), 'utf8'));
    parts.push(Buffer.of(s.charCodeAt(i) - ESCAPE_BASE));
    runStart = i + 1;
  }
  if (runStart < s.length) parts.push(Buffer.from(s.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}

/** The bytes of one code unit/point of `s` starting at `index`, and how many UTF-16 units it used. */
export function charBytes(s: string, index: number): { bytes: number[]; units: number } {
  const code = s.charCodeAt(index);
  if (isEscapedByte(s, index)) return { bytes: [code - ESCAPE_BASE], units: 1 };
  const point = s.codePointAt(index) ?? code;
  const units = point > 0xffff ? 2 : 1;
  return { bytes: [...Buffer.from(s.slice(index, index + units), 'utf8')], units };
}

const HEX = '0123456789abcdef';

/** `\xNN` with lowercase hex, as Zeek writes an escaped byte. */
export function hexEscape(byte: number): string {
  return '\\x' + (HEX[byte >> 4] ?? '0') + (HEX[byte & 15] ?? '0');
}

/**
 * Unescapes Zeek TSV text: `\\` → `\` and `\xNN` → byte, left to right; any other backslash is
 * kept literally. The bytes are then decoded with `decodeZeekBytes`, so `\xc3\xa9` is `é`.
 */
export function unescapeTsv(text: string): string {
  if (text.indexOf('\\') === -1) return text;
  if (text.indexOf('\\x') === -1 && text.indexOf('\\X') === -1) return text.replaceAll('\\\\', '\\');
  return unescapeBytes(text, true);
}

/**
 * Unescapes the `\xNN` text that Zeek's JSON writer (HEX policy) puts in for control bytes and
 * invalid UTF-8. A backslash is not itself escaped in that policy, so `\\` is left alone.
 */
export function unescapeJsonHex(text: string): string {
  if (text.indexOf('\\x') === -1) return text;
  return unescapeBytes(text, false);
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

function unescapeBytes(text: string, backslashEscaped: boolean): string {
  const source = encodeZeekString(text);
  const out = Buffer.allocUnsafe(source.length);
  let o = 0;
  for (let i = 0; i < source.length; i++) {
    const byte = source[i] ?? 0;
    if (byte === 0x5c) {
      const next = source[i + 1] ?? 0;
      if (backslashEscaped && next === 0x5c) {
        out[o++] = 0x5c;
        i += 1;
        continue;
      }
      if (next === 0x78 || (backslashEscaped && next === 0x58)) {
        const high = hexValue(source[i + 2] ?? 0);
        const low = hexValue(source[i + 3] ?? 0);
        if (high >= 0 && low >= 0 && i + 3 < source.length) {
          out[o++] = high * 16 + low;
          i += 3;
          continue;
        }
      }
    }
    out[o++] = byte;
  }
  return decodeZeekBytes(out.subarray(0, o));
}
