/**
 * The training window: a bounded (rows and age) ring of sampled dce_rpc records, kept as raw
 * fields so that any feature (which depends on config such as IP groups) can be recomputed at
 * retrain time, and persisted in the state directory so a restart keeps weeks of learning.
 *
 * Memory: typed-array columns (window-columns.ts): IPv4 addresses as numbers, other strings
 * dictionary-encoded (values repeat heavily), so a row costs 33 bytes plus its share of the
 * dictionaries, which are bounded per column (DEFAULT_MAX_VALUES_PER_COLUMN).
 *
 * Persistence (window-store.ts, bytes in window-file.ts): `persist()` appends the rows added
 * since the last one to a journal, `compact()` writes a snapshot. A corrupt snapshot makes
 * `load()` throw ERR_STATE; `openOrReset()` then sets it aside and starts empty, reporting why.
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
import { rename } from 'node:fs/promises';
import { DaemonError, errnoOf } from '../errors.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { parseIpv4 } from '../features/ip-address.js';
import { allocateColumns, columnList, Dictionary, encodePort, HOST_COLUMNS, HostTexts, NULL_PORT, rebuildDictionaries, WINDOW_STRING_COLUMNS, type Columns, type WindowStringColumn } from './window-columns.js';
import { stateError, type DecodedSnapshot, type RingRows, type SnapshotHeader } from './window-file.js';
import { WindowStore, type JournalEntry, type JournalRow, type StoredWindow } from './window-store.js';

export { WINDOW_STRING_COLUMNS, type WindowStringColumn } from './window-columns.js';

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

const INITIAL_CAPACITY = 1024;

/** A bounded, dictionary-encoded, persistable window of training rows. */
export class TrainingWindow implements StoredWindow {
  readonly #maxRows: number;
  readonly #maxAgeMs: number;
  readonly #store: WindowStore | null;
  #columns: Columns;
  #capacity: number;
  readonly #hostTexts = new HostTexts();
  #dictionaries: Dictionary[];
  readonly #maxValues: number[];
  #head = 0;
  #size = 0;
  /** Sequence number (count of rows ever added before it) of the row at `#head`. */
  #headSeq = 0;
  readonly #thinWhenFull: boolean;
  /** `offer()` keeps the records whose offer index is a multiple of this. */
  #stride = 1;
  /** Records given to `offer()` so far. */
  #offered = 0;
  /** A thinning removed rows from the middle: the next persist() must write a snapshot. */
  #thinned = false;

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
    const compactAfter = options.compactAfterJournalRows ?? Math.max(50_000, Math.floor(options.maxRows / 4));
    this.#store = options.directory === undefined ? null : new WindowStore(options.directory, options.fileStem ?? 'training-window', compactAfter);
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
      const address = c < HOST_COLUMNS && value !== null ? parseIpv4(value) : -1;
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
    await this.#store?.persist(this);
  }

  /**
   * Writes a new snapshot of the whole window (atomically) and starts an empty journal. Also
   * rebuilds the dictionaries so values only evicted rows used are forgotten.
   */
  async compact(): Promise<void> {
    await this.#store?.compact(this);
  }

  /** Closes the journal file (persist first to keep recent rows). */
  async close(): Promise<void> {
    await this.#store?.close();
  }

  // StoredWindow, for window-store.ts.

  get headSeq(): number {
    return this.#headSeq;
  }

  get thinned(): boolean {
    return this.#thinned;
  }

  journalRows(first: number): JournalRow[] {
    const rows: JournalRow[] = [];
    for (let seq = Math.max(first, this.#headSeq); seq < this.#headSeq + this.#size; seq++) {
      const r = this.row(seq - this.#headSeq);
      rows.push([r.ts, r.origHost, r.respHost, r.respPort, r.namedPipe, r.endpoint, r.operation]);
    }
    return rows;
  }

  snapshotContents(): { header: Omit<SnapshotHeader, 'generation'>; columns: Columns; ring: RingRows } {
    this.#rebuild();
    return {
      header: {
        rows: this.#size,
        headSeq: this.#headSeq,
        offered: this.#offered,
        stride: this.#stride,
        columns: WINDOW_STRING_COLUMNS,
        dictionaries: this.#dictionaries.map((d) => d.values.slice(1)),
      },
      columns: this.#columns,
      ring: { head: this.#head, size: this.#size, capacity: this.#capacity },
    };
  }

  snapshotWritten(): void {
    this.#thinned = false;
  }

  /**
   * Loads the window persisted in `options.directory` (empty when nothing was saved).
   * @throws DaemonError ERR_STATE when the snapshot is corrupt or unreadable.
   */
  static async load(options: TrainingWindowOptions & { directory: string }): Promise<LoadedWindow> {
    const window = new TrainingWindow(options);
    const warnings = await (window.#store as WindowStore).load(window);
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
      const store = window.#store as WindowStore;
      for (const path of [store.snapshotPath, store.journalPath]) {
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

  dictionariesWorn(journalRows: number, compactAfterJournalRows: number): boolean {
    // Values only evicted rows used stay in a dictionary until compaction: compact when that is
    // far more than the live rows, or when a full dictionary has started folding live values.
    const limit = 2 * this.#size + 65_536;
    return this.#dictionaries.some((d) => d.size > limit || (d.folded > 0 && journalRows >= compactAfterJournalRows / 4));
  }

  /**
   * Re-encodes every string column with a dictionary of only the values live rows use, in place
   * (the columns are reallocated only to give back room the window no longer needs). Addresses a
   * version 1 snapshot kept in a dictionary become numbers.
   */
  #rebuild(): void {
    const floor = Math.min(INITIAL_CAPACITY, this.#maxRows);
    if (this.#capacity > 2 * Math.max(this.#size, floor)) this.#resize(Math.max(this.#size, floor));
    this.#dictionaries = rebuildDictionaries(this.#columns, { head: this.#head, size: this.#size, capacity: this.#capacity }, this.#dictionaries, this.#maxValues);
  }

  restoreSnapshot({ header, columns }: DecodedSnapshot, path: string): void {
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

  applyJournalEntry(entry: JournalEntry): void {
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
}
