/**
 * dce_rpc.log lines straight to `DceRpcRecord`s: the product's hot path (the daemon, `score`,
 * `train`, `eval`, bootstrap). It gives exactly what `ZeekLineDecoder` + `toDceRpcRecord` give,
 * record for record and error for error, because it only decodes a line itself when it is sure:
 *
 * - a plain TSV data line under a header block with Zeek's default markers (tab, `,`, `(empty)`,
 *   `-`), ASCII only (no NUL), with the header's column count;
 * - each dce_rpc column of the type Zeek writes (mapped by name, so Corelight's leading columns
 *   and Zeek 8's `id.ctx.*` are skipped), each value in the simple form Zeek writes: plain
 *   decimals, ports up to 65535, IPv4 or IPv6 text, strings;
 *
 * and leaves everything else (header lines, JSON, other markers, non-ASCII bytes, exponents,
 * `nan`, a value it does not know to be valid, a bad line of any kind) to the generic decoder,
 * whose answer it passes on. The work per line is one pass over its bytes: no string for the
 * whole line, no values array, no intermediate `ZeekRecord`, and no new string for a value a
 * column has seen before.
 */
import { isRecordTime, type DceRpcRecord } from './dce-rpc-record.js';
import { toDceRpcRecord } from './dce-rpc.js';
import { unescapeTsv } from './bytes.js';
import { ZeekLineDecoder } from './decoder.js';
import { lineBytes } from './line-splitter.js';
import type { TsvLayout, ZeekHeaderEvent, ZeekLineDecoderOptions, ZeekParseError } from './decoded.js';
import { typeShape, type ValueKind } from './schema.js';
import { isAddrText } from './values.js';
import { fastSlices, POWERS_OF_TEN, scanAsciiText, scanIPv4 } from './scan.js';

/** What one line decodes to; `null` for lines that carry nothing (blank, comments, #open, #close). */
export type DceRpcDecodeResult = DceRpcRecord | ZeekHeaderEvent | ZeekParseError | null;

// Per column, what the fast path does with it. Numeric roles first (`role <= R_PORT`), float
// roles before the other signed one, so the tests below are plain comparisons.
const R_TS = 0;
const R_RTT = 1;
/** A wanted non-dce_rpc time/interval/double column: checked, not kept. */
const R_FLOAT = 2;
const R_INT = 3;
const R_COUNT = 4;
const R_ORIG_P = 5;
const R_RESP_P = 6;
const R_PORT = 7;
const R_ADDR = 8;
const R_BOOL = 9;
const R_UID = 10;
/** Not decoded (not wanted, or a string that is always valid): only scanned for its end. */
const R_SKIP = 11;
// Interned columns last: `role >= R_ORIG_H`, the addresses first (`role <= R_RESP_H`).
const R_ORIG_H = 12;
const R_RESP_H = 13;
const R_PIPE = 14;
const R_ENDPOINT = 15;
const R_OPERATION = 16;

/** The role of any other column by its scalar kind; null: the fast path does not check it. */
const KIND_ROLES: Readonly<Record<Exclude<ValueKind, 'string'>, number | null>> = {
  time: R_FLOAT, interval: R_FLOAT, double: R_FLOAT, int: R_INT, count: R_COUNT, port: R_PORT, addr: R_ADDR, bool: R_BOOL, subnet: null,
};

/** The dce_rpc columns' roles and the Zeek type each must have for the fast path. */
const DCE_ROLES: ReadonlyMap<string, { role: number; type: string }> = new Map([
  ['ts', { role: R_TS, type: 'time' }],
  ['uid', { role: R_UID, type: 'string' }],
  ['id.orig_h', { role: R_ORIG_H, type: 'addr' }],
  ['id.orig_p', { role: R_ORIG_P, type: 'port' }],
  ['id.resp_h', { role: R_RESP_H, type: 'addr' }],
  ['id.resp_p', { role: R_RESP_P, type: 'port' }],
  ['rtt', { role: R_RTT, type: 'interval' }],
  ['named_pipe', { role: R_PIPE, type: 'string' }],
  ['endpoint', { role: R_ENDPOINT, type: 'string' }],
  ['operation', { role: R_OPERATION, type: 'string' }],
]);

/** Interned values no longer than this (bytes); longer ones are sliced every time. */
const MAX_INTERNED = 64;
/**
 * Buckets a column: hundreds of distinct hosts and dozens of pipes are a sensor's working set
 * (the hunt bench's week: 237 responders, 61 pipe spellings), and a value that misses costs a
 * string, its check and (pipes) its unescaping.
 */
const INTERNER_BUCKETS = 256;
const INTERNER_WAYS = 4;

/**
 * Strings that repeat from line to line (hosts, pipes, endpoints, operations), one column each.
 * A bucket, chosen by a hash of the field's bytes, holds the raw bytes and decoded values of the
 * last few distinct texts seen there. A line's field is matched against them before it is
 * scanned, so a hit costs a hashing and a comparison pass and no string: the remembered bytes
 * were checked (ASCII, no NUL or tab) when they were first decoded.
 */
class Interner {
  /**
   * The remembered texts' bytes, MAX_INTERNED a slot, in one array: remembering copies into it
   * and allocates nothing (a copy per miss was a Buffer a record where a column churns).
   */
  readonly #bytes = new Uint8Array(INTERNER_BUCKETS * INTERNER_WAYS * MAX_INTERNED);
  /** Each slot's text length; -1 for an empty slot. */
  readonly length = new Int16Array(INTERNER_BUCKETS * INTERNER_WAYS).fill(-1);
  readonly value: (string | null)[] = new Array<string | null>(INTERNER_BUCKETS * INTERNER_WAYS).fill(null);
  /** The bucket of the field the last `find` looked up (-1: too long to remember). */
  #missedBase = -1;

  /**
   * The slot whose text is exactly the field starting at `start` (ending at a tab or `n`), or -1.
   * Hashed over the whole field, not its first bytes: addresses of one network (`10.…`) and pipe
   * names (`\\pipe\\…`) share their first bytes, and a bucket by those held 4 of them, so nearly
   * every responder and pipe missed.
   */
  find(bytes: Buffer, start: number, n: number): number {
    const limit = Math.min(n, start + MAX_INTERNED + 1);
    let hash = 0;
    let end = start;
    for (; end < limit; end++) {
      const code = bytes[end] as number;
      if (code === 9) break;
      hash = (Math.imul(hash, 31) + code) | 0;
    }
    const length = end - start;
    // Longer than any remembered text.
    if (length > MAX_INTERNED) {
      this.#missedBase = -1;
      return -1;
    }
    const base = bucketOf(hash);
    this.#missedBase = base;
    const raw = this.#bytes;
    for (let slot = base; slot < base + INTERNER_WAYS; slot++) {
      const known = this.length[slot] as number;
      if (known < 0) return -1;
      if (known !== length) continue;
      const at = slot * MAX_INTERNED;
      let k = 0;
      while (k < length && bytes[start + k] === raw[at + k]) k++;
      if (k === length) return slot;
    }
    return -1;
  }

  /**
   * Remembers the checked bytes and value of the field the last `find` missed, newest first in
   * the bucket that `find` hashed it to (so a miss hashes the field once).
   */
  rememberMiss(bytes: Buffer, start: number, end: number, value: string | null): void {
    const base = this.#missedBase;
    if (base < 0 || end - start > MAX_INTERNED) return;
    const raw = this.#bytes;
    // The older entries move down one way; the oldest is dropped.
    raw.copyWithin((base + 1) * MAX_INTERNED, base * MAX_INTERNED, (base + INTERNER_WAYS - 1) * MAX_INTERNED);
    for (let slot = base + INTERNER_WAYS - 1; slot > base; slot--) {
      this.length[slot] = this.length[slot - 1] as number;
      this.value[slot] = this.value[slot - 1] ?? null;
    }
    // A copy: the caller's read buffer is reused for later chunks.
    const at = base * MAX_INTERNED;
    for (let k = 0; k < end - start; k++) raw[at + k] = bytes[start + k] as number;
    this.length[base] = end - start;
    this.value[base] = value;
  }
}

/** A field's first slot, from the hash of its bytes (the high bits mixed in: `31^k` spreads them). */
function bucketOf(hash: number): number {
  return ((hash ^ (hash >>> 11) ^ (hash >>> 22)) & (INTERNER_BUCKETS - 1)) * INTERNER_WAYS;
}

/**
 * Builds the per-column roles for a layout, or null when the fast path cannot take it (other
 * markers, a dce_rpc column of another type, no `ts`, a wanted column of a kind it cannot check).
 * `wanted` mirrors `ZeekLineDecoder`'s `columns` option: wanted columns are validated there, so
 * they are checked here too; the others are not looked at beyond their bytes.
 */
function buildPlan(layout: TsvLayout, columns: ReadonlySet<string> | null): Uint8Array | null {
  const { format, schema } = layout;
  if (format.separator !== '\t' || format.setSeparator !== ',' || format.emptyField !== '(empty)' || format.unsetField !== '-') {
    return null;
  }
  const plan = new Uint8Array(schema.fields.length);
  const seen = new Set<string>();
  for (let i = 0; i < schema.fields.length; i++) {
    const field = schema.fields[i];
    if (field === undefined) return null;
    const wanted = columns === null || columns.has(field.name);
    const dce = DCE_ROLES.get(field.name);
    if (dce !== undefined && !seen.has(field.name)) {
      // toDceRpcRecord takes the first column of a name.
      seen.add(field.name);
      if (!wanted) {
        plan[i] = R_SKIP;
        continue;
      }
      if (field.type !== dce.type) return null;
      plan[i] = dce.role;
      continue;
    }
    if (!wanted) {
      plan[i] = R_SKIP;
      continue;
    }
    const shape = typeShape(field.type);
    if (shape.kind === 'string') {
      // Strings, and containers of strings, are always valid.
      plan[i] = R_SKIP;
      continue;
    }
    if (shape.container !== null) return null;
    const role = KIND_ROLES[shape.kind];
    if (role === null) return null;
    plan[i] = role;
  }
  // Without a (wanted) ts every record is an error: the generic path words it.
  if (!seen.has('ts') || (columns !== null && !columns.has('ts'))) return null;
  return plan;
}

/** A sentinel for "not sure": the line goes to the generic decoder. */
const SLOW: unique symbol = Symbol('dce-rpc.slow');

/**
 * Decodes dce_rpc.log lines to `DceRpcRecord`s (see the module comment). Takes the options of
 * `ZeekLineDecoder`, meaning the same: with `columns: DCE_RPC_COLUMNS` (the daemon) the other
 * columns are not validated, without it (`score`, `train`) every column is, as there.
 */
export class DceRpcLineDecoder {
  readonly file: string;
  /** The generic decoder: it reads every header and every line the fast path leaves to it. */
  readonly generic: ZeekLineDecoder;
  readonly #columns: ReadonlySet<string> | null;
  #layout: TsvLayout | null = null;
  #plan: Uint8Array | null = null;
  /**
   * One per interned column, indexed by `role - R_ORIG_H`. Originators too: a sensor's clients
   * are a few hundred hosts, and a hit makes no string (one a record, sliced afresh, was an eighth
   * of a hunt worker's allocation).
   */
  readonly #interners = [new Interner(), new Interner(), new Interner(), new Interner(), new Interner()];
  /** Interned fields decoded afresh (not found in their column's Interner): a cost counter. */
  internMisses = 0;

  constructor(options: ZeekLineDecoderOptions) {
    this.file = options.file;
    this.generic = new ZeekLineDecoder(options);
    this.#columns = options.columns === undefined ? null : new Set(options.columns);
  }

  /** Decodes one line (without its newline). Never throws. */
  decode(line: Buffer, lineNumber: number, offset: number): DceRpcDecodeResult {
    return this.decodeIn(line, 0, line.length, lineNumber, offset);
  }

  /**
   * Decodes the line `bytes[start, end)`: the fast path reads it in place, so a reader need not
   * make a Buffer view of every line (one a line was a third of a hunt worker's allocation).
   */
  decodeIn(bytes: Buffer, start: number, end: number, lineNumber: number, offset: number): DceRpcDecodeResult {
    const layout = this.generic.tsvLayout;
    if (layout !== null && (start === end || bytes[start] !== 0x23)) {
      if (layout !== this.#layout) {
        this.#layout = layout;
        this.#plan = buildPlan(layout, this.#columns);
      }
      const plan = this.#plan;
      if (plan !== null) {
        const record = this.#decodeFast(bytes, start, end, plan);
        if (record !== SLOW) return record;
      }
    }
    const event = this.generic.decode(lineBytes(bytes, start, end), lineNumber, offset);
    if (event === null || event.kind !== 'record') return event;
    return toDceRpcRecord(event);
  }

  /** The fast path proper, on `bytes[from, to)`: a record, or SLOW whenever it is not sure. */
  #decodeFast(bytes: Buffer, from: number, to: number, plan: Uint8Array): DceRpcRecord | typeof SLOW {
    let n = to;
    if (n > from && bytes[n - 1] === 0x0d) n -= 1;
    if (n === from) return SLOW;
    let ts = 0;
    let uid: string | null = null;
    let origHost: string | null = null;
    let origPort: number | null = null;
    let respHost: string | null = null;
    let respPort: number | null = null;
    let rtt: number | null = null;
    let namedPipe: string | null = null;
    let endpoint: string | null = null;
    let operation: string | null = null;
    const last = plan.length - 1;
    let p = from;
    for (let column = 0; column <= last; column++) {
      const role = plan[column] ?? R_SKIP;
      const start = p;
      if (role <= R_PORT) {
        // A deliberate copy of scan.ts's scanDecimal, kept inline: the call cost this path 4-6 %
        // (same-process A/B on CPU time, 2026-12-06). Change both together; the decoder tests
        // compare this path with the generic decoder's record for record.
        const negative = role <= R_INT && bytes[p] === 0x2d;
        if (negative) p += 1;
        let mantissa = 0;
        let digits = 0;
        let fraction = -1;
        let code = 0;
        for (; p < n; p++) {
          code = bytes[p] as number;
          if (code >= 0x30 && code <= 0x39) {
            mantissa = mantissa * 10 + (code - 0x30);
            digits += 1;
            if (fraction >= 0) fraction += 1;
          } else if (code === 0x2e && fraction === -1 && role <= R_FLOAT) {
            fraction = 0;
          } else break;
        }
        let value: number | null;
        if ((p === n || code === 9) && digits > 0 && mantissa <= Number.MAX_SAFE_INTEGER && fraction <= 22) {
          const magnitude = fraction > 0 ? mantissa / (POWERS_OF_TEN[fraction] as number) : mantissa;
          if (role >= R_ORIG_P && magnitude > 65535) return SLOW;
          value = negative ? -magnitude : magnitude;
        } else if (bytes[start] === 0x2d && (start + 1 === n || bytes[start + 1] === 9)) {
          if (role === R_TS) return SLOW;
          p = start + 1;
          value = null;
        } else {
          return SLOW;
        }
        if (role === R_TS) {
          // Out of range: the slow path reports it as a parse error.
          if (value === null || !isRecordTime(value)) return SLOW;
          ts = value;
        }
        else if (role === R_ORIG_P) origPort = value;
        else if (role === R_RESP_P) respPort = value;
        else if (role === R_RTT) rtt = value;
      } else if (role >= R_ORIG_H) {
        const interner = this.#interners[role - R_ORIG_H] as Interner;
        let value: string | null;
        const slot = interner.find(bytes, start, n);
        if (slot !== -1) {
          p = start + (interner.length[slot] as number);
          value = interner.value[slot] ?? null;
        } else {
          this.internMisses += 1;
          const field = scanAsciiText(bytes, start, n);
          if (field === -1) return SLOW;
          p = field >> 1;
          const decoded = role <= R_RESP_H ? addressValue(bytes, start, p) : stringValue(bytes, start, p, (field & 1) === 1);
          if (decoded === SLOW) return SLOW;
          // Only valid values are remembered, so a hit needs no check.
          interner.rememberMiss(bytes, start, p, decoded);
          value = decoded;
        }
        if (role === R_ORIG_H) origHost = value;
        else if (role === R_RESP_H) respHost = value;
        else if (role === R_PIPE) namedPipe = value;
        else if (role === R_ENDPOINT) endpoint = value;
        else operation = value;
      } else if (role === R_ADDR) {
        // Checked, not kept. The common case, a dotted quad, is checked while its end is found.
        p = scanIPv4(bytes, start, n);
        if (p === -1) {
          const field = scanAsciiText(bytes, start, n);
          if (field === -1) return SLOW;
          p = field >> 1;
          if (addressValue(bytes, start, p) === SLOW) return SLOW;
        }
      } else {
        const field = scanAsciiText(bytes, start, n);
        if (field === -1) return SLOW;
        p = field >> 1;
        if (role === R_UID) {
          uid = stringValue(bytes, start, p, (field & 1) === 1);
        } else if (role === R_BOOL) {
          const code = bytes[start];
          if (p !== start + 1 || (code !== 0x54 && code !== 0x46 && code !== 0x2d)) return SLOW;
        }
      }
      if (column === last) {
        if (p !== n) return SLOW;
      } else {
        if (p === n) return SLOW;
        p += 1;
      }
    }
    return { ts, uid, origHost, origPort, respHost, respPort, rtt, namedPipe, endpoint, operation };
  }
}

/** A string column's value, as the generic decoder gives it (unset, empty, unescaped). */
function stringValue(bytes: Buffer, start: number, end: number, backslash: boolean): string | null {
  if (end - start === 1 && bytes[start] === 0x2d) return null;
  const raw = fastSlices(bytes).latin1Slice(start, end);
  if (raw === '(empty)') return '';
  return backslash ? unescapeTsv(raw) : raw;
}

/** An addr column's value: unset, or the text when it is a valid address; SLOW otherwise. */
function addressValue(bytes: Buffer, start: number, end: number): string | null | typeof SLOW {
  if (end - start === 1 && bytes[start] === 0x2d) return null;
  if (scanIPv4(bytes, start, end) === end) return fastSlices(bytes).latin1Slice(start, end);
  const raw = fastSlices(bytes).latin1Slice(start, end);
  return raw.indexOf(':') !== -1 && isAddrText(raw) ? raw : SLOW;
}
