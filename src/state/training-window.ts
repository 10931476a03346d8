/**
 * The training window: a bounded (rows and age) ring of sampled dce_rpc records, kept as raw
 * fields so that any feature (which depends on config such as IP groups) can be recomputed at
 * retrain time, and persisted in the state directory so a restart keeps weeks of learning.
 *
 * Memory: typed-array columns (window-columns.ts): IPv4 addresses as numbers, other strings
 * dictionary-encoded (values repeat heavily), so a row costs 33 bytes plus its share of the
 * dictionaries, which are bounded per column (DEFAULT_MAX_VALUES_PER_COLUMN).
 *
 * Persistence (`<stem>.snapshot` + `<stem>.journal` in the state directory; bytes in
 * window-file.ts):
 * - The snapshot is binary: a JSON header (generation, row count, sequence number of the oldest
 *   row, the dictionaries) and the columns, with a CRC-32 trailer. It is replaced atomically
 *   (temp + fsync + rename) at compaction, which also rebuilds the dictionaries from the live
 *   rows so that values no longer referenced are dropped; it is written from the columns in
 *   place, not from a copy.
 * - The journal is append-only text, one line per `persist()`: `<crc32 hex> <json>`. The first
 *   line names the snapshot generation it extends; each entry holds the rows added since the last
 *   persist and the sequence number of the oldest live row, so replay reproduces evictions
 *   exactly. A torn last line (crash mid-append) is ignored with a warning; a journal from another
 *   generation (crash between snapshot and journal replacement) is ignored, its rows being in the
 *   snapshot already.
 * - A corrupt snapshot makes `load()` throw ERR_STATE; `openOrReset()` then sets it aside and
 *   starts empty, reporting why.
 *
 * Age eviction drops rows from the oldest end while they are older than the limit. Zeek logs are
 * not strictly ts-ordered, so a row slightly older than the limit can outlive it while a newer row
 * sits before it; it goes with the next eviction past that row.
 *
 * Fitting the site (`whenFull: 'thin'`, fed by `offer()`): every record is kept until the window
 * is full; then every other row goes and from then on one record in 2 is kept, then 1 in 4, ...
 * so the rows stay spread evenly over the time the window covers, a small site trains on all of
 * its records and a large one on at most `maxRows`. The stride and the count of records offered
 * are part of the snapshot and of every journal entry; a thinning rewrites the snapshot at the
 * next `persist()` (rows leave from the middle, which the journal cannot express).
 */
import { open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError, errnoOf } from '../errors.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { allocateColumns, columnList, Dictionary, encodePort, HOST_COLUMNS, HostTexts, NULL_CODE, NULL_PORT, parseIPv4, type Columns } from './window-columns.js';
import { decodeSnapshot, journalLine, parseJournalLine, readOptional, snapshotChunks, stateError } from './window-file.js';

/** The raw string fields the window keeps, in storage order. */
export const WINDOW_STRING_COLUMNS = ['origHost', 'respHost', 'namedPipe', 'endpoint', 'operation'] as const;

/** One of WINDOW_STRING_COLUMNS. */
export type WindowStringColumn = (typeof WINDOW_STRING_COLUMNS)[number];

/** The fields a window row keeps (the rest of a DceRpcRecord is not needed by any feature). */
export type WindowRow = Pick<DceRpcRecord, 'ts' | 'respPort' | WindowStringColumn>;

/** Settings of a TrainingWindow. */
export interface TrainingWindowOptions {
  /** Maximum rows kept; the oldest go first. */
  maxRows: number;
  /** Maximum age in ms relative to the `now` given to `evict()`; 0 = no age limit. */
  maxAgeMs: number;
  /** State directory for persistence; omit for a memory-only window. */
  directory?: string;
  /** File name stem in the state directory. @default 'training-window' */
  fileStem?: string;
  /**
   * Compact (new snapshot, empty journal) once the journal holds this many rows.
   * @default max(50_000, maxRows / 4)
   */
  compactAfterJournalRows?: number;
  /** Distinct values kept per string column before further new ones fold into RARE_VALUE. */
  maxValuesPerColumn?: Partial<Record<WindowStringColumn, number>>;
  /**
   * What `offer()` does when the window is full: `drop-oldest` (a fixed 1-in-N sample, the
   * notebook's) or `thin` (halve the rows evenly and keep half as many records from then on).
   * `add()` always drops the oldest. @default 'drop-oldest'
   */
  whenFull?: 'drop-oldest' | 'thin';
}

/**
 * The bound on every dictionary the window keeps (see Dictionary): a column's values past it are
 * kept as RARE_VALUE. IPv4 addresses are numbers and use no dictionary, so these bound only IPv6
 * and other host text (which the IP-group feature maps like an address that does not parse
 * once folded) and the names. Names are bounded as the model's vocabulary is
 * (DEFAULT_MAX_VALUES_PER_FEATURE): values past it could not reach a model anyway. At these
 * bounds the dictionaries hold at most about 10 MB (about 100 bytes a value).
 */
export const DEFAULT_MAX_VALUES_PER_COLUMN: Readonly<Record<WindowStringColumn, number>> = {
  origHost: 32_768,
  respHost: 32_768,
  namedPipe: 16_384,
  endpoint: 16_384,
  operation: 16_384,
};

/** What `load()` returns: the window and anything worth a warning in the log. */
export interface LoadedWindow {
  window: TrainingWindow;
  warnings: DaemonError[];
}

/** What `openOrReset()` returns: as LoadedWindow, plus the error when the snapshot was unusable. */
export interface OpenedWindow extends LoadedWindow {
  /** Set when the saved window could not be used and an empty one was started. */
  reset?: DaemonError;
}

/** Oldest and newest `ts` in the window (epoch seconds). */
export interface TimeSpan {
  oldest: number;
  newest: number;
}

const JOURNAL_VERSION = 1;
const INITIAL_CAPACITY = 1024;

interface JournalEntry {
  /** Sequence number of the first row in `rows`. */
  first: number;
  /** Sequence number of the oldest live row after this persist. */
  head: number;
  /** Records offered and the stride after this persist (absent in journals before thinning). */
  offered?: number;
  stride?: number;
  rows: [number, string | null, string | null, number | null, string | null, string | null, string | null][];
}

/** A bounded, dictionary-encoded, persistable window of training rows. */
export class TrainingWindow {
  readonly #maxRows: number;
  readonly #maxAgeMs: number;
  readonly #directory: string | null;
  readonly #snapshotPath: string | null;
  readonly #journalPath: string | null;
  readonly #compactAfterJournalRows: number;
  #columns: Columns;
  #capacity: number;
  readonly #hostTexts = new HostTexts();
  #dictionaries: Dictionary[];
  readonly #maxValues: number[];
  #head = 0;
  #size = 0;
  /** Sequence number (count of rows ever added before it) of the row at `#head`. */
  #headSeq = 0;
  /** Rows with a sequence number below this are in the snapshot or journal. */
  #persistedSeq = 0;
  /** The `#headSeq` last written to the journal. */
  #persistedHeadSeq = 0;
  #generation = 0;
  #journal: JournalFile | null = null;
  #journalRows = 0;
  readonly #thinWhenFull: boolean;
  /** `offer()` keeps the records whose offer index is a multiple of this. */
  #stride = 1;
  /** Records given to `offer()` so far. */
  #offered = 0;
  /** A thinning removed rows from the middle: the next persist() must write a snapshot. */
  #thinned = false;
  /** The offer count and stride last made durable. */
  #persistedOffered = 0;
  #persistedStride = 1;

  /** A new, empty window (use `load()`/`openOrReset()` to resume a persisted one). */
  constructor(options: TrainingWindowOptions) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1) {
      throw new RangeError(`training window: maxRows must be an integer >= 1, got ${options.maxRows}`);
    }
    if (!(options.maxAgeMs >= 0)) {
      throw new RangeError(`training window: maxAgeMs must be >= 0, got ${options.maxAgeMs}`);
    }
    this.#maxRows = options.maxRows;
    this.#maxAgeMs = options.maxAgeMs;
    this.#directory = options.directory ?? null;
    const stem = options.fileStem ?? 'training-window';
    this.#snapshotPath = this.#directory === null ? null : join(this.#directory, `${stem}.snapshot`);
    this.#journalPath = this.#directory === null ? null : join(this.#directory, `${stem}.journal`);
    this.#compactAfterJournalRows = options.compactAfterJournalRows ?? Math.max(50_000, Math.floor(options.maxRows / 4));
    this.#capacity = Math.min(INITIAL_CAPACITY, this.#maxRows);
    this.#columns = allocateColumns(this.#capacity, WINDOW_STRING_COLUMNS.length);
    this.#maxValues = WINDOW_STRING_COLUMNS.map((name) => options.maxValuesPerColumn?.[name] ?? DEFAULT_MAX_VALUES_PER_COLUMN[name]);
    this.#dictionaries = this.#maxValues.map((max) => new Dictionary(max));
    this.#thinWhenFull = options.whenFull === 'thin';
  }

  /** `offer()` keeps one record in this many (1 until the window first filled up). */
  get stride(): number {
    return this.#stride;
  }

  /** Records given to `offer()` so far, kept or not. */
  get offered(): number {
    return this.#offered;
  }

  /**
   * Offers one record: kept when its offer index is a multiple of the stride. A full window
   * thins first (`whenFull: 'thin'`) or drops its oldest row. Returns whether it was kept.
   */
  offer(record: WindowRow): boolean {
    const index = this.#offered++;
    if (index % this.#stride !== 0) return false;
    // A loop only for a one-row window, which thinning cannot make room in.
    while (this.#size === this.#maxRows && this.#thinWhenFull) {
      this.#thin();
      if (index % this.#stride !== 0) return false;
    }
    this.add(record);
    return true;
  }

  /** Keeps every other row (oldest first) and doubles the stride. */
  #thin(): void {
    const columns = columnList(this.#columns);
    const capacity = this.#capacity;
    let kept = 0;
    // In place: the slot written (position kept) never lies ahead of the slot read (2 * kept).
    for (let from = 0; from < this.#size; from += 2, kept++) {
      const source = (this.#head + from) % capacity;
      const target = (this.#head + kept) % capacity;
      for (const column of columns) column[target] = column[source] as number;
    }
    this.#size = kept;
    this.#stride *= 2;
    this.#thinned = true;
  }

  /** Values folded into RARE_VALUE per string column since the last compaction (dictionary full). */
  foldedValues(): Record<WindowStringColumn, number> {
    const out = {} as Record<WindowStringColumn, number>;
    WINDOW_STRING_COLUMNS.forEach((name, i) => (out[name] = (this.#dictionaries[i] as Dictionary).folded));
    return out;
  }

  /** Rows in the window. */
  get size(): number {
    return this.#size;
  }

  /** The row limit. */
  get maxRows(): number {
    return this.#maxRows;
  }

  /** Distinct values held per string column (including ones only evicted rows used). */
  dictionarySizes(): Record<WindowStringColumn, number> {
    const out = {} as Record<WindowStringColumn, number>;
    WINDOW_STRING_COLUMNS.forEach((name, i) => (out[name] = (this.#dictionaries[i] as Dictionary).size - 1));
    return out;
  }

  /** Adds one row (the oldest is dropped when the window is full). */
  add(record: WindowRow): void {
    if (this.#size === this.#maxRows) this.#dropOldest(1);
    else if (this.#size === this.#capacity) this.#resize(Math.min(this.#maxRows, this.#capacity * 2));
    const at = (this.#head + this.#size) % this.#capacity;
    const columns = this.#columns;
    columns.ts[at] = record.ts;
    columns.respPort[at] = encodePort(record.respPort);
    let hostKinds = 0;
    for (let c = 0; c < WINDOW_STRING_COLUMNS.length; c++) {
      const value = record[WINDOW_STRING_COLUMNS[c] as WindowStringColumn];
      const address = c < HOST_COLUMNS && value !== null ? parseIPv4(value) : -1;
      if (address >= 0) hostKinds |= 1 << c;
      (columns.codes[c] as Uint32Array)[at] = address >= 0 ? address : (this.#dictionaries[c] as Dictionary).encode(value);
    }
    columns.hostKinds[at] = hostKinds;
    this.#size += 1;
  }

  /** Drops rows older than the age limit at `nowEpochSeconds`; returns how many went. */
  evict(nowEpochSeconds: number): number {
    if (this.#maxAgeMs === 0) return 0;
    const cutoff = nowEpochSeconds - this.#maxAgeMs / 1000;
    let n = 0;
    while (n < this.#size && (this.#columns.ts[(this.#head + n) % this.#capacity] as number) < cutoff) n++;
    this.#dropOldest(n);
    // Traffic fell (or a big archive aged out): take denser samples again rather than train on
    // a quarter of the room. New rows then weigh twice the old ones until those age out.
    if (this.#thinWhenFull && this.#stride > 1 && this.#size < this.#maxRows / 4) this.#stride /= 2;
    return n;
  }

  /** Oldest and newest `ts` present, or null when empty. */
  timeSpan(): TimeSpan | null {
    if (this.#size === 0) return null;
    let oldest = Number.POSITIVE_INFINITY;
    let newest = Number.NEGATIVE_INFINITY;
    for (let n = 0; n < this.#size; n++) {
      const ts = this.#columns.ts[(this.#head + n) % this.#capacity] as number;
      if (ts < oldest) oldest = ts;
      if (ts > newest) newest = ts;
    }
    return { oldest, newest };
  }

  /** The row at position `index` (0 = oldest). */
  row(index: number): WindowRow {
    return this.readRow(index, { ts: 0, respPort: null, origHost: null, respHost: null, namedPipe: null, endpoint: null, operation: null });
  }

  /**
   * Fills `into` with the row at position `index` and returns it. Retraining reads a million
   * rows; one reused object instead of one per row keeps that from inflating the young heap.
   */
  readRow<T extends WindowRow>(index: number, into: T): T {
    if (!Number.isInteger(index) || index < 0 || index >= this.#size) {
      throw new RangeError(`training window: row ${index} out of range 0..${this.#size - 1}`);
    }
    const at = (this.#head + index) % this.#capacity;
    const columns = this.#columns;
    const port = columns.respPort[at] as number;
    const text = (c: number): string | null => this.#text(c, at);
    into.ts = columns.ts[at] as number;
    into.respPort = port === NULL_PORT ? null : port;
    into.origHost = text(0);
    into.respHost = text(1);
    into.namedPipe = text(2);
    into.endpoint = text(3);
    into.operation = text(4);
    return into;
  }

  /**
   * The rows oldest first, as DceRpcRecords (`uid`, `origPort` and `rtt` are not kept and are
   * null). Do not add or evict while iterating.
   */
  *records(): IterableIterator<DceRpcRecord> {
    const { ts, respPort } = this.#columns;
    const capacity = this.#capacity;
    for (let n = 0, at = this.#head; n < this.#size; n++, at = at + 1 === capacity ? 0 : at + 1) {
      const port = respPort[at] as number;
      yield {
        ts: ts[at] as number,
        uid: null,
        origHost: this.#text(0, at),
        origPort: null,
        respHost: this.#text(1, at),
        respPort: port === NULL_PORT ? null : port,
        rtt: null,
        namedPipe: this.#text(2, at),
        endpoint: this.#text(3, at),
        operation: this.#text(4, at),
      };
    }
  }

  /** String column `c` of the row in slot `at`. */
  #text(c: number, at: number): string | null {
    const code = (this.#columns.codes[c] as Uint32Array)[at] as number;
    if (c < HOST_COLUMNS && ((this.#columns.hostKinds[at] as number) & (1 << c)) !== 0) return this.#hostTexts.text(code);
    return (this.#dictionaries[c] as Dictionary).decode(code);
  }

  /**
   * Makes every row added (and every eviction) so far durable: appends one journal entry and
   * fsyncs it, compacting into a new snapshot when the journal has grown. The daemon calls it
   * right before saving checkpoints. A memory-only window does nothing.
   */
  async persist(): Promise<void> {
    if (this.#directory === null) return;
    const end = this.#headSeq + this.#size;
    const unchanged =
      this.#persistedSeq === end &&
      this.#persistedHeadSeq === this.#headSeq &&
      this.#persistedOffered === this.#offered &&
      this.#persistedStride === this.#stride;
    if (!this.#thinned && unchanged) return;
    const needsCompaction =
      this.#thinned ||
      this.#journalRows + (end - Math.max(this.#persistedSeq, this.#headSeq)) >= this.#compactAfterJournalRows ||
      this.#dictionaryGarbage();
    if (needsCompaction) {
      await this.compact();
      return;
    }
    const journal = await this.#openJournal();
    const first = Math.max(this.#persistedSeq, this.#headSeq);
    const entry: JournalEntry = { first, head: this.#headSeq, offered: this.#offered, stride: this.#stride, rows: [] };
    for (let seq = first; seq < end; seq++) {
      const r = this.row(seq - this.#headSeq);
      entry.rows.push([r.ts, r.origHost, r.respHost, r.respPort, r.namedPipe, r.endpoint, r.operation]);
    }
    try {
      const bytes = Buffer.from(journalLine(entry), 'utf8');
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await journal.handle.write(bytes, done, bytes.length - done, journal.end + done);
        done += bytesWritten;
      }
      journal.end += bytes.length;
      await journal.handle.sync();
    } catch (error) {
      throw stateError(`cannot append to ${this.#journalPath ?? ''}`, error, this.#journalPath);
    }
    this.#journalRows += entry.rows.length;
    this.#persistedSeq = end;
    this.#persistedHeadSeq = this.#headSeq;
    this.#markThinningPersisted();
  }

  #markThinningPersisted(): void {
    this.#persistedOffered = this.#offered;
    this.#persistedStride = this.#stride;
  }

  /**
   * Writes a new snapshot of the whole window (atomically) and starts an empty journal. Also
   * rebuilds the dictionaries so values only evicted rows used are forgotten.
   */
  async compact(): Promise<void> {
    if (this.#directory === null || this.#snapshotPath === null || this.#journalPath === null) return;
    this.#rebuild();
    const generation = this.#generation + 1;
    const header = {
      generation,
      rows: this.#size,
      headSeq: this.#headSeq,
      offered: this.#offered,
      stride: this.#stride,
      columns: WINDOW_STRING_COLUMNS,
      dictionaries: this.#dictionaries.map((d) => d.values.slice(1)),
    };
    await writeFileAtomic(this.#snapshotPath, snapshotChunks(header, this.#columns, { head: this.#head, size: this.#size, capacity: this.#capacity }));
    // From here a crash leaves the old journal, which load() ignores (other generation).
    await this.#closeJournal();
    await writeFileAtomic(this.#journalPath, journalLine({ journal: JOURNAL_VERSION, generation }));
    this.#generation = generation;
    this.#journalRows = 0;
    this.#thinned = false;
    this.#persistedSeq = this.#headSeq + this.#size;
    this.#persistedHeadSeq = this.#headSeq;
    this.#markThinningPersisted();
  }

  /** Closes the journal file (persist first to keep recent rows). */
  async close(): Promise<void> {
    await this.#closeJournal();
  }

  /**
   * Loads the window persisted in `options.directory` (empty when nothing was saved).
   * @throws DaemonError ERR_STATE when the snapshot is corrupt or unreadable.
   */
  static async load(options: TrainingWindowOptions & { directory: string }): Promise<LoadedWindow> {
    const window = new TrainingWindow(options);
    const warnings: DaemonError[] = [];
    const snapshotPath = window.#snapshotPath as string;
    const journalPath = window.#journalPath as string;
    const snapshot = await readOptional(snapshotPath);
    if (snapshot !== null) window.#decodeSnapshot(snapshot, snapshotPath);
    const journal = await readOptional(journalPath);
    if (snapshot !== null && (journal === null || journal.length === 0)) {
      // compact() always leaves a journal with its header line: none, or an empty one, means it
      // was deleted or truncated, and the rows sampled since the snapshot are gone.
      warnings.push(
        new DaemonError(
          'ERR_STATE',
          `state: ${journalPath} is ${journal === null ? 'missing' : 'empty'}; the training rows sampled since the last snapshot are lost (the window holds ${window.size} rows from the snapshot)`,
          { meta: { path: journalPath } },
        ),
      );
    }
    let rewrite = false;
    if (journal !== null) rewrite = window.#replayJournal(journal, journalPath, warnings);
    window.#persistedSeq = window.#headSeq + window.#size;
    window.#persistedHeadSeq = window.#headSeq;
    window.#markThinningPersisted();
    // A damaged or foreign journal must not be appended to: fold everything into a new snapshot.
    if (rewrite) await window.compact();
    return { window, warnings };
  }

  /**
   * `load()`, but a corrupt snapshot is renamed to `<name>.corrupt-<epoch ms>` and an empty
   * window is started instead; the error is returned in `reset` for the daemon to log.
   */
  static async openOrReset(options: TrainingWindowOptions & { directory: string }): Promise<OpenedWindow> {
    try {
      return await TrainingWindow.load(options);
    } catch (error) {
      if (!(error instanceof DaemonError) || error.code !== 'ERR_STATE') throw error;
      // A file that cannot be read (EACCES after a chown, EIO) is not corrupt: setting weeks of
      // learning aside for it would be wrong, so the start stops with the errno instead.
      if (errnoOf(error) !== undefined) throw error;
      const window = new TrainingWindow(options);
      const suffix = `.corrupt-${Date.now()}`;
      for (const path of [window.#snapshotPath as string, window.#journalPath as string]) {
        await rename(path, path + suffix).catch((renameError: unknown) => {
          if ((renameError as NodeJS.ErrnoException).code !== 'ENOENT') throw stateError(`cannot set aside ${path}`, renameError, path);
        });
      }
      return { window, warnings: [], reset: error };
    }
  }

  #dropOldest(n: number): void {
    if (n <= 0) return;
    this.#head = (this.#head + n) % this.#capacity;
    this.#size -= n;
    this.#headSeq += n;
  }

  /** Copies the rows (oldest first) into fresh arrays of `capacity` slots. */
  #resize(capacity: number): void {
    const next = allocateColumns(capacity, WINDOW_STRING_COLUMNS.length);
    const targets = columnList(next);
    const firstPart = Math.min(this.#size, this.#capacity - this.#head);
    columnList(this.#columns).forEach((source, i) => {
      const target = targets[i] as typeof source;
      target.set(source.subarray(this.#head, this.#head + firstPart), 0);
      target.set(source.subarray(0, this.#size - firstPart), firstPart);
    });
    this.#columns = next;
    this.#capacity = capacity;
    this.#head = 0;
  }

  #dictionaryGarbage(): boolean {
    // Values only evicted rows used stay in a dictionary until compaction: compact when that is
    // far more than the live rows, or when a full dictionary has started folding live values.
    const limit = 2 * this.#size + 65_536;
    return this.#dictionaries.some((d) => d.size > limit || (d.folded > 0 && this.#journalRows >= this.#compactAfterJournalRows / 4));
  }

  /**
   * Re-encodes every string column with a dictionary of only the values live rows use, in place
   * (the columns are reallocated only to give back room the window no longer needs). Addresses a
   * version 1 snapshot kept in a dictionary become numbers.
   */
  #rebuild(): void {
    const floor = Math.min(INITIAL_CAPACITY, this.#maxRows);
    if (this.#capacity > 2 * Math.max(this.#size, floor)) this.#resize(Math.max(this.#size, floor));
    const { codes: columns, hostKinds } = this.#columns;
    this.#dictionaries = this.#dictionaries.map((old, c) => {
      const codes = columns[c] as Uint32Array;
      const fresh = new Dictionary(this.#maxValues[c]);
      const remap = new Float64Array(old.size).fill(-1);
      remap[NULL_CODE] = NULL_CODE;
      const bit = c < HOST_COLUMNS ? 1 << c : 0;
      for (let n = 0, at = this.#head; n < this.#size; n++, at = at + 1 === this.#capacity ? 0 : at + 1) {
        if (((hostKinds[at] as number) & bit) !== 0) continue;
        const code = codes[at] as number;
        let mapped = remap[code] as number;
        if (mapped === -1) {
          const value = old.decode(code);
          const address = bit !== 0 && value !== null ? parseIPv4(value) : -1;
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

  #decodeSnapshot(data: Buffer, path: string): void {
    const { header, columns } = decodeSnapshot(data, path, WINDOW_STRING_COLUMNS);
    const rows = header.rows;
    const dictionaries = header.dictionaries.map((values, c) => Dictionary.fromValues(values as string[], this.#maxValues[c]));
    columns.codes.forEach((column, c) => {
      const limit = (dictionaries[c] as Dictionary).size;
      const bit = c < HOST_COLUMNS ? 1 << c : 0;
      for (let i = 0; i < rows; i++) {
        if ((column[i] as number) >= limit && ((columns.hostKinds[i] as number) & bit) === 0) {
          throw new DaemonError('ERR_STATE', `state: training window snapshot ${path} is corrupt (code out of range)`, { meta: { path } });
        }
      }
    });
    this.#generation = header.generation;
    this.#headSeq = header.headSeq;
    this.#restoreThinning(header.offered, header.stride);
    this.#dictionaries = dictionaries;
    // Only the newest maxRows rows fit if the limit shrank since the snapshot.
    const skip = Math.max(0, rows - this.#maxRows);
    const keep = rows - skip;
    this.#capacity = Math.max(keep, Math.min(INITIAL_CAPACITY, this.#maxRows));
    this.#columns = allocateColumns(this.#capacity, WINDOW_STRING_COLUMNS.length);
    const targets = columnList(this.#columns);
    columnList(columns).forEach((source, i) => (targets[i] as typeof source).set(source.subarray(skip)));
    this.#head = 0;
    this.#size = keep;
    this.#headSeq += skip;
  }

  /** Applies the journal; returns true when it should be rewritten (torn, damaged or foreign). */
  #replayJournal(data: Buffer, path: string, warnings: DaemonError[]): boolean {
    const text = data.toString('utf8');
    const lines = text.split('\n');
    const tornTail = lines.pop() ?? '';
    if (tornTail.length > 0) {
      warnings.push(
        new DaemonError('ERR_STATE', `state: ${path} ends with a partial entry (crash while appending); ignored it`, {
          meta: { path, bytes: Buffer.byteLength(tornTail) },
        }),
      );
    }
    const rewrite = tornTail.length > 0;
    const [first, ...entries] = lines;
    const head = first === undefined ? null : parseJournalLine(first);
    if (head === null || typeof head !== 'object' || (head as { journal?: unknown }).journal !== JOURNAL_VERSION) {
      if (first !== undefined) {
        warnings.push(new DaemonError('ERR_STATE', `state: ${path} has no valid header; ignored it`, { meta: { path } }));
      }
      return true;
    }
    const generation = (head as { generation?: unknown }).generation;
    if (generation !== this.#generation) {
      // A crash between writing a snapshot and replacing the journal: those rows are in the snapshot.
      warnings.push(
        new DaemonError('ERR_STATE', `state: ${path} belongs to snapshot generation ${String(generation)}, not ${this.#generation}; ignored it`, {
          meta: { path },
        }),
      );
      return true;
    }
    for (let i = 0; i < entries.length; i++) {
      const entry = parseJournalLine(entries[i] as string) as JournalEntry | null;
      if (entry === null || !Array.isArray(entry.rows)) {
        warnings.push(
          new DaemonError('ERR_STATE', `state: ${path} entry ${i + 1} is damaged; ignored it and the ${entries.length - i - 1} after it`, {
            meta: { path, entry: i + 1 },
          }),
        );
        return true;
      }
      this.#applyEntry(entry);
      this.#journalRows += entry.rows.length;
    }
    return rewrite;
  }

  #applyEntry(entry: JournalEntry): void {
    const end = this.#headSeq + this.#size;
    if (entry.first > end) {
      // Rows between were added and evicted before a persist: everything older went too.
      this.#dropOldest(this.#size);
      this.#headSeq = entry.first;
    }
    const alreadyHave = Math.max(0, this.#headSeq + this.#size - entry.first);
    for (let i = alreadyHave; i < entry.rows.length; i++) {
      const [ts, origHost, respHost, respPort, namedPipe, endpoint, operation] = entry.rows[i] as JournalEntry['rows'][number];
      this.add({ ts, origHost, respHost, respPort, namedPipe, endpoint, operation });
    }
    if (entry.head > this.#headSeq) this.#dropOldest(Math.min(this.#size, entry.head - this.#headSeq));
    this.#restoreThinning(entry.offered, entry.stride);
  }

  /** Takes the saved offer count and stride when they are sane (files before thinning lack them). */
  #restoreThinning(offered: unknown, stride: unknown): void {
    if (typeof offered === 'number' && Number.isSafeInteger(offered) && offered >= 0) this.#offered = offered;
    if (typeof stride === 'number' && Number.isSafeInteger(stride) && stride >= 1 && Number.isInteger(Math.log2(stride))) this.#stride = stride;
  }

  async #openJournal(): Promise<JournalFile> {
    if (this.#journal !== null) return this.#journal;
    const path = this.#journalPath as string;
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw stateError(`cannot open ${path}`, error, path);
      await writeFileAtomic(path, journalLine({ journal: JOURNAL_VERSION, generation: this.#generation }));
      handle = await open(path, 'r+');
    }
    const { size } = await handle.stat();
    this.#journal = { handle, end: size };
    return this.#journal;
  }

  async #closeJournal(): Promise<void> {
    const journal = this.#journal;
    this.#journal = null;
    if (journal !== null) await journal.handle.close();
  }
}

/** The open journal: appends go by position to the tracked end (the file was validated first). */
interface JournalFile {
  handle: FileHandle;
  end: number;
}
