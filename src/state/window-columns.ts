/**
 * How the training window stores its rows: typed-array columns, one slot per row, in a ring.
 *
 * - `ts` Float64, `respPort` Int32 (-1 = unset).
 * - One Uint32 code column per string field. For the two address columns a code is either an
 *   IPv4 address itself (the row's bit in `hostKinds` is set; only the canonical dotted-quad
 *   text, so that decoding gives back the very same string) or a dictionary code; every other
 *   column holds dictionary codes. Dictionary code 0 is unset (`null`), distinct from ''.
 *
 * Addresses are the field a flood (a scan, forged clients) makes unique per row; kept as numbers
 * they cost 4 bytes a row and nothing else, whatever their number. What remains in dictionaries
 * (names, IPv6 and non-address host text) is bounded per column (see Dictionary); a row costs 33
 * bytes plus its share of the dictionaries.
 */
import { RARE_VALUE } from '../model/encoding.js';

export const NULL_CODE = 0;
export const NULL_PORT = -1;
/** Columns of WINDOW_STRING_COLUMNS (training-window.ts) that hold addresses. */
export const HOST_COLUMNS = 2;

/** Maps strings to small integer codes; code 0 is reserved for unset. */
export class Dictionary {
  readonly values: (string | null)[] = [null];
  readonly #codes = new Map<string, number>();
  readonly #maxValues: number;
  /** Values folded into RARE_VALUE because the dictionary was full. */
  folded = 0;

  constructor(maxValues = Number.POSITIVE_INFINITY) {
    this.#maxValues = maxValues;
  }

  get size(): number {
    return this.values.length;
  }

  encode(value: string | null): number {
    if (value === null) return NULL_CODE;
    let code = this.#codes.get(value);
    if (code === undefined) {
      if (this.values.length > this.#maxValues && value !== RARE_VALUE) {
        // Full: a flood of distinct values (forged names, a scan's hosts) shares one code.
        this.folded += 1;
        return this.encode(RARE_VALUE);
      }
      code = this.values.length;
      this.values.push(value);
      this.#codes.set(value, code);
    }
    return code;
  }

  decode(code: number): string | null {
    return this.values[code] ?? null;
  }

  /** A dictionary holding `values` at codes 1.. (whatever the bound: saved rows refer to them). */
  static fromValues(values: readonly string[], maxValues?: number): Dictionary {
    const dictionary = new Dictionary(maxValues);
    for (const value of values) {
      dictionary.values.push(value);
      dictionary.#codes.set(value, dictionary.values.length - 1);
    }
    return dictionary;
  }
}

/**
 * The IPv4 address `text` spells as a number, or -1 when it is not exactly the canonical dotted
 * quad (no leading zeros, no spaces, four octets 0-255) that `formatIPv4` gives back.
 */
export function parseIPv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

const HOST_TEXT_SLOTS = 4096;

/**
 * Recently decoded addresses (direct-mapped, 4,096 slots): ordinary traffic repeats few hosts, so
 * a retrain hands the feature code the same string objects (whose hashes V8 keeps) instead of
 * formatting a million new ones.
 */
export class HostTexts {
  readonly #keys = new Float64Array(HOST_TEXT_SLOTS).fill(-1);
  readonly #texts: string[] = new Array<string>(HOST_TEXT_SLOTS).fill('');

  text(value: number): string {
    const slot = (Math.imul(value, 0x9e3779b1) >>> 20) & (HOST_TEXT_SLOTS - 1);
    if (this.#keys[slot] === value) return this.#texts[slot] as string;
    const text = formatIPv4(value);
    this.#keys[slot] = value;
    this.#texts[slot] = text;
    return text;
  }
}

export interface Columns {
  ts: Float64Array;
  respPort: Int32Array;
  codes: Uint32Array[];
  /** Bit c set: column c's code in this row is an IPv4 address, not a dictionary code. */
  hostKinds: Uint8Array;
}

export function allocateColumns(capacity: number, stringColumns: number): Columns {
  return {
    ts: new Float64Array(capacity),
    respPort: new Int32Array(capacity),
    codes: Array.from({ length: stringColumns }, () => new Uint32Array(capacity)),
    hostKinds: new Uint8Array(capacity),
  };
}

/** Every column of a Columns, for code that treats them alike (copying, saving). */
export function columnList(columns: Columns): (Float64Array | Int32Array | Uint32Array | Uint8Array)[] {
  return [columns.ts, columns.respPort, ...columns.codes, columns.hostKinds];
}

export function encodePort(port: number | null): number {
  return port !== null && Number.isInteger(port) && port >= 0 && port <= 0x7fffffff ? port : NULL_PORT;
}
