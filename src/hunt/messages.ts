/**
 * What the hunt's main thread and its workers say to each other, and the compact form in which
 * decoded records cross between them (columns of typed arrays and one string table per batch,
 * so a batch is a few transferable buffers rather than thousands of cloned objects).
 */
import type { Config } from '../config/index.js';
import type { KModesModel } from '../model/index.js';
import type { SampleMode } from '../features/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import type { TimeRange } from './archive.js';

/** What a worker does with each file. */
export type HuntTask =
  /**
   * Decode, score and format: the worker posts anomaly text. The configuration and the model
   * are the main thread's (cloned: both are plain data), so every worker scores with what the
   * run started with, even if the files are replaced meanwhile.
   */
  | { kind: 'score'; config: Config; model: KModesModel; format: 'zeek' | 'json' }
  /** Decode only: the worker posts the records, for the main thread to consume in order. */
  | { kind: 'records' }
  /**
   * Training: the worker takes each file's sample itself (a sampler stream per file, keyed by
   * the file's place in the archive, so the sample does not depend on which worker reads it or
   * when) and posts the sampled records plus the file's routine/vetting observations with
   * repeats folded (see worker.ts), so the main thread's work per record shrinks.
   */
  | { kind: 'train'; sample: TrainSample };

/** The training sampler's settings (TrainingSampler's, less the stream). */
export interface TrainSample {
  every: number;
  mode: SampleMode;
  seed: number;
}

/**
 * What a hunt worker is set up with, in its first message (`setup`), not its `workerData`: a
 * worker can then be started, and load its modules, before the task is known (see StartedWorkers).
 */
export interface HuntWorkerData {
  task: HuntTask;
  range: TimeRange;
  /** Chunks a worker may have posted and not yet seen acknowledged before it waits. */
  maxInflight: number;
  /** Records (`records` task) collected before a chunk is posted. */
  chunkRecords: number;
  /** Whether a file may be split between workers (`score` only: see pool.ts). */
  splittable: boolean;
  /** Least uncompressed bytes a split may hand over. */
  minSplitBytes: number;
  /** A fixed re-read cost for splits (see split-point.ts), instead of the measured one. */
  skipCost?: number;
  /** Warm the JIT on the built-in log before the first file (`score`: warm-up.ts). */
  warmUp: boolean;
}

/**
 * A unit of work: a file, or a part of one (uncompressed bytes [from, to), see ReadRange),
 * `index` its place in the pool's units, `file` the file's place in the archive's order.
 */
export interface UnitJob {
  kind: 'file';
  index: number;
  file: number;
  path: string;
  from: number;
  to: number;
  /** The file's uncompressed size as far as known (gzip's ISIZE), for halving what is left. */
  size: number;
}

export type ToWorker =
  /** The first message, and only once. */
  | { kind: 'setup'; data: HuntWorkerData }
  | UnitJob
  /** A chunk of unit `index` was consumed. */
  | { kind: 'ack'; index: number }
  | { kind: 'end' }
  /**
   * Hand part of what is left of unit `index` to another worker, if it is still reading it and
   * that pays (split-point.ts); `skipNsPerByte`: what re-reading a file's head cost the workers
   * that did, per byte, when any did.
   */
  | { kind: 'split'; index: number; skipNsPerByte?: number };

/** A piece of one file's result, in file order. Counts are deltas since the previous chunk. */
export interface ChunkMessage {
  kind: 'chunk';
  index: number;
  /** Records decoded (inside the time range). */
  records: number;
  /** Records decoded but outside --since/--until. */
  outside: number;
  /** `FILE:LINE: reason` for each bad line, in line order. */
  errors: string[];
  /** Uncompressed offset up to which the unit's lines are handled (progress, for splitting). */
  position?: number;
  /** Once, for a part that starts past a file's head: the head's bytes and the ns it took to read past them. */
  skipped?: { bytes: number; ns: number };
  /** `score`: formatted anomalies. */
  text?: string;
  anomalies?: number;
  suppressed?: number;
  /** `records`: the decoded records. */
  batch?: RecordBatch;
  /** `train`: the sampled records, in line order. */
  sampled?: RecordBatch;
  /**
   * `train`: one record per distinct (orig host, UTC day, endpoint, operation) among this
   * chunk's records with an orig host, in order of first appearance, carrying the earliest ts.
   */
  observed?: RecordBatch;
}

export type FromWorker =
  | { kind: 'ready' }
  | ChunkMessage
  | { kind: 'done'; index: number }
  /** The file could not be opened at all (gone since discovery, permissions). */
  | { kind: 'unreadable'; index: number; message: string }
  /**
   * The answer to a split: unit `index` now ends at `at`, the rest is a new unit; null = not
   * split, for good when `final` (JSON, no header, too little left, done), else not yet (its
   * head is not read yet).
   */
  | { kind: 'split'; index: number; at: number | null; final: boolean };

/** Records as columns; string fields index `strings` (-1 = unset), numbers use `nulls` bits. */
export interface RecordBatch {
  count: number;
  ts: Float64Array;
  rtt: Float64Array;
  /** Two per record: orig, resp; -1 = unset. */
  ports: Int32Array;
  /** Six per record: uid, origHost, respHost, namedPipe, endpoint, operation. */
  refs: Int32Array;
  lines: Int32Array;
  /** 1 where rtt is unset. */
  rttUnset: Uint8Array;
  strings: string[];
}

const STRING_FIELDS = 6;

/** Builds RecordBatches, deduplicating strings within a batch. */
export class RecordBatchBuilder {
  readonly #capacity: number;
  /** `observation`: only ts, orig and resp host, endpoint and operation are kept (the rest unset). */
  readonly #fields: 'all' | 'observation';
  #batch: RecordBatch;
  /** Room in the current arrays: grows past `#capacity` when a chunk brings more records. */
  #room: number;
  #ids = new Map<string, number>();

  constructor(capacity: number, fields: 'all' | 'observation' = 'all') {
    this.#capacity = capacity;
    this.#fields = fields;
    this.#room = capacity;
    this.#batch = emptyBatch(capacity);
  }

  get count(): number {
    return this.#batch.count;
  }

  get full(): boolean {
    return this.#batch.count >= this.#capacity;
  }

  /** Adds `record`; returns its place in the batch. */
  add(record: DceRpcRecord, line: number): number {
    if (this.#batch.count === this.#room) this.#grow();
    const batch = this.#batch;
    const i = batch.count++;
    const all = this.#fields === 'all';
    batch.ts[i] = record.ts;
    batch.rtt[i] = all ? (record.rtt ?? 0) : 0;
    batch.rttUnset[i] = all && record.rtt !== null ? 0 : 1;
    batch.ports[i * 2] = all ? (record.origPort ?? -1) : -1;
    batch.ports[i * 2 + 1] = all ? (record.respPort ?? -1) : -1;
    batch.lines[i] = line;
    const refs = batch.refs;
    const base = i * STRING_FIELDS;
    refs[base] = all ? this.#id(record.uid) : -1;
    refs[base + 1] = this.#id(record.origHost);
    refs[base + 2] = this.#id(record.respHost);
    refs[base + 3] = all ? this.#id(record.namedPipe) : -1;
    refs[base + 4] = this.#id(record.endpoint);
    refs[base + 5] = this.#id(record.operation);
    return i;
  }

  /** Lowers the ts of the record at `i` (added since the last take()) to `ts` if earlier. */
  lowerTs(i: number, ts: number): void {
    if (ts < (this.#batch.ts[i] as number)) this.#batch.ts[i] = ts;
  }

  /** The batch so far (trimmed), and a fresh one started. */
  take(): RecordBatch {
    const batch = this.#batch;
    const n = batch.count;
    this.#batch = emptyBatch(this.#capacity);
    this.#room = this.#capacity;
    this.#ids = new Map();
    return {
      count: n,
      ts: batch.ts.slice(0, n),
      rtt: batch.rtt.slice(0, n),
      ports: batch.ports.slice(0, n * 2),
      refs: batch.refs.slice(0, n * STRING_FIELDS),
      lines: batch.lines.slice(0, n),
      rttUnset: batch.rttUnset.slice(0, n),
      strings: batch.strings,
    };
  }

  #grow(): void {
    const old = this.#batch;
    this.#room *= 2;
    const next = emptyBatch(this.#room);
    next.count = old.count;
    next.ts.set(old.ts);
    next.rtt.set(old.rtt);
    next.ports.set(old.ports);
    next.refs.set(old.refs);
    next.lines.set(old.lines);
    next.rttUnset.set(old.rttUnset);
    next.strings = old.strings;
    this.#batch = next;
  }

  #id(value: string | null): number {
    if (value === null) return -1;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#batch.strings.length;
      this.#batch.strings.push(value);
      this.#ids.set(value, id);
    }
    return id;
  }
}

function emptyBatch(capacity: number): RecordBatch {
  return {
    count: 0,
    ts: new Float64Array(capacity),
    rtt: new Float64Array(capacity),
    ports: new Int32Array(capacity * 2),
    refs: new Int32Array(capacity * STRING_FIELDS),
    lines: new Int32Array(capacity),
    rttUnset: new Uint8Array(capacity),
    strings: [],
  };
}

/** The buffers of a batch, to transfer instead of copy. */
export function batchTransferList(batch: RecordBatch): ArrayBuffer[] {
  return [batch.ts, batch.rtt, batch.ports, batch.refs, batch.lines, batch.rttUnset].map((a) => a.buffer as ArrayBuffer);
}

/** Calls `onRecord` with each record of `batch`, a new object each (consumers may keep them). */
export function forEachRecord(batch: RecordBatch, onRecord: (record: DceRpcRecord, line: number) => void): void {
  const { strings, refs, ports } = batch;
  const text = (ref: number): string | null => (ref < 0 ? null : (strings[ref] as string));
  const port = (value: number): number | null => (value < 0 ? null : value);
  for (let i = 0; i < batch.count; i++) {
    const base = i * STRING_FIELDS;
    const record: DceRpcRecord = {
      ts: batch.ts[i] as number,
      uid: text(refs[base] as number),
      origHost: text(refs[base + 1] as number),
      origPort: port(ports[i * 2] as number),
      respHost: text(refs[base + 2] as number),
      respPort: port(ports[i * 2 + 1] as number),
      rtt: batch.rttUnset[i] === 1 ? null : (batch.rtt[i] as number),
      namedPipe: text(refs[base + 3] as number),
      endpoint: text(refs[base + 4] as number),
      operation: text(refs[base + 5] as number),
    };
    onRecord(record, batch.lines[i] as number);
  }
}
