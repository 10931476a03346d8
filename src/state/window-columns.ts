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
import { formatIpv4, parseIpv4 } from '../features/ip-address.js';
import { RARE_VALUE } from '../model/encoding.js';

/** The raw string fields the window keeps, in storage order (the two addresses first). */
export const WINDOW_STRING_COLUMNS = ['origHost', 'respHost', 'namedPipe', 'endpoint', 'operation'] as const;

/** One of WINDOW_STRING_COLUMNS. */
export type WindowStringColumn = (typeof WINDOW_STRING_COLUMNS)[number];

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
    const text = formatIpv4(value);
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

/**
 * New dictionaries holding only the values the live rows (`ring` of `columns`) use, with the
 * rows' codes rewritten in place. Addresses a version 1 snapshot kept in a dictionary become
 * numbers.
 */
export function rebuildDictionaries(columns: Columns, ring: { head: number; size: number; capacity: number }, dictionaries: readonly Dictionary[], maxValues: readonly number[]): Dictionary[] {
  const { codes: codeColumns, hostKinds } = columns;
  return dictionaries.map((old, c) => {
    const codes = codeColumns[c] as Uint32Array;
    const fresh = new Dictionary(maxValues[c]);
    const remap = new Float64Array(old.size).fill(-1);
    remap[NULL_CODE] = NULL_CODE;
    const bit = c < HOST_COLUMNS ? 1 << c : 0;
    for (let n = 0, at = ring.head; n < ring.size; n++, at = at + 1 === ring.capacity ? 0 : at + 1) {
      if (((hostKinds[at] as number) & bit) !== 0) continue;
      const code = codes[at] as number;
      let mapped = remap[code] as number;
      if (mapped === -1) {
        const value = old.decode(code);
        const address = bit !== 0 && value !== null ? parseIpv4(value) : -1;
        // An address is marked as one by a code >= 2^32, which no dictionary code reaches.
        mapped = address >= 0 ? 2 ** 32 + address : fresh.encode(value);
        remap[code] = mapped;
      }
      if (mapped >= 2 ** 32) {
        codes[at] = mapped - 2 ** 32;
        hostKinds[at] = (hostKinds[at] as number) | bit;
      } else {
        codes[at] = mapped;
      }
    }
    return fresh;
  });
}
