/**
 * The byte scanners both TSV decoders share (`ZeekLineDecoder`'s tab path and
 * `DceRpcLineDecoder`'s fast path) and the string checks built on them: one copy of each, so the
 * two decoders cannot drift apart on what a number or an address is. Each scanner reads one field
 * starting at `start` that ends at a tab or at `n`, and returns the field's end, or -1 when the
 * field is not of the simple form it knows (the caller then takes its slow path). They are small
 * and monomorphic so that V8 inlines them into the decoders' loops (`npm run bench -- parse`).
 */

/** Node's undocumented but stable Buffer slice methods: they skip `toString`'s argument checks. */
export interface FastSlices {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

/** `bytes` with Node's fast slice methods visible to the type checker. */
export function fastSlices(bytes: Buffer): FastSlices {
  return bytes as unknown as FastSlices;
}

/** 10^0 .. 10^22: the powers of ten that are exact doubles. */
export const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Where `scanDecimal` leaves the value it read: one shared slot, so no object per field. */
export const scanned = { value: 0 };

/**
 * A plain decimal: an optional `-` when `signed`, digits, and one `.` when `fraction`. On success
 * the value is in `scanned.value` and is exactly `Number(text)`: at most 2^53 as digits and at
 * most 22 fraction digits, so the digits and 10^k are exact doubles and one correctly rounded
 * division gives the same double. Exponents, `nan`, `inf`, longer numbers and an unset `-` are
 * -1, for the caller's slow path.
 *
 * Its twin: zeek/dce-rpc-decoder.ts (#decodeFast, numeric roles) runs the same loop inline, a
 * deliberate copy because the call cost that path 4-6 %. Change both together.
 */
export function scanDecimal(bytes: Uint8Array, start: number, n: number, signed: boolean, fraction: boolean): number {
  let p = start;
  const negative = signed && bytes[p] === 0x2d;
  if (negative) p += 1;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = -1;
  let code = 0;
  for (; p < n; p++) {
    code = bytes[p] as number;
    if (code >= 0x30 && code <= 0x39) {
      mantissa = mantissa * 10 + (code - 0x30);
      digits += 1;
      if (fractionDigits >= 0) fractionDigits += 1;
    } else if (code === 0x2e && fractionDigits === -1 && fraction) {
      fractionDigits = 0;
    } else break;
  }
  if ((p !== n && code !== 9) || digits === 0 || mantissa > Number.MAX_SAFE_INTEGER || fractionDigits > 22) return -1;
  const magnitude = fractionDigits > 0 ? mantissa / (POWERS_OF_TEN[fractionDigits] as number) : mantissa;
  scanned.value = negative ? -magnitude : magnitude;
  return p;
}

/**
 * A dotted-quad IPv4 address: four parts of 1-3 digits, each 0..255, checked in the same pass
 * that finds the field's end.
 */
export function scanIPv4(bytes: Uint8Array, start: number, n: number): number {
  let parts = 0;
  let digits = 0;
  let value = 0;
  let p = start;
  for (; p < n; p++) {
    const code = bytes[p] as number;
    if (code >= 0x30 && code <= 0x39) {
      if (++digits > 3) return -1;
      value = value * 10 + (code - 0x30);
    } else if (code === 0x2e) {
      if (digits === 0 || value > 255 || ++parts > 3) return -1;
      digits = 0;
      value = 0;
    } else if (code === 9) {
      break;
    } else {
      return -1;
    }
  }
  return parts === 3 && digits > 0 && value <= 255 ? p : -1;
}

/** A scratch for `isIPv4Text`: the longest dotted quad has 15 characters. */
const IPV4_SCRATCH = new Uint8Array(15);

/** Whether `text` is exactly a dotted-quad IPv4 address (no allocation). */
export function isIPv4Text(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    // A tab would end the field early; anything beyond ASCII cannot be part of an address.
    if (code === 9 || code >= 0x80) return false;
    IPV4_SCRATCH[i] = code;
  }
  return scanIPv4(IPV4_SCRATCH, 0, n) === n;
}

/**
 * The end of a text field (a tab or `n`), checking for non-ASCII and NUL bytes and noting a
 * backslash, in one pass: -1 when it has such bytes, otherwise the end times two, plus one when
 * it holds a backslash (lines are far shorter than 2^30 bytes).
 */
export function scanAsciiText(bytes: Uint8Array, start: number, n: number): number {
  let backslash = 0;
  let p = start;
  for (; p < n; p++) {
    const code = bytes[p] as number;
    if (code === 9) break;
    if (code >= 0x80 || code === 0) return -1;
    if (code === 0x5c) backslash = 1;
  }
  return p * 2 + backslash;
}
