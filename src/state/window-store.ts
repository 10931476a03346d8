/**
 * The training window's persistence in the state directory: `<stem>.snapshot` + `<stem>.journal`
 * (bytes in window-file.ts), what has been made durable, and how a saved window is read back.
 *
 * - The snapshot is replaced atomically (temp + fsync + rename) at compaction, which also lets
 *   the window rebuild its dictionaries from the live rows so that values no longer referenced
 *   are dropped; it is written from the window's columns in place.
 * - The journal is append-only, one line per `persist()`. Its first line names the snapshot
 *   generation it extends; each entry holds the rows added since the last persist and the
 *   sequence number of the oldest live row, so replay reproduces evictions exactly. A torn last
 *   line (crash mid-append) is ignored with a warning; a journal from another generation (crash
 *   between snapshot and journal replacement) is ignored, its rows being in the snapshot already.
 * - A thinning removed rows from the middle, which the journal cannot express: the next persist
 *   writes a snapshot.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { WINDOW_STRING_COLUMNS, type Columns } from './window-columns.js';
import { decodeSnapshot, journalLine, parseJournalLine, readOptional, snapshotChunks, stateError, type DecodedSnapshot, type RingRows, type SnapshotHeader } from './window-file.js';

const JOURNAL_VERSION = 1;

/** One window row in a journal entry: ts, origHost, respHost, respPort, namedPipe, endpoint, operation. */
export type JournalRow = [number, string | null, string | null, number | null, string | null, string | null, string | null];

export interface JournalEntry {
  /** Sequence number of the first row in `rows`. */
  first: number;
  /** Sequence number of the oldest live row after this persist. */
  head: number;
  /** Records offered and the stride after this persist (absent in journals before thinning). */
  offered?: number;
  stride?: number;
  rows: JournalRow[];
}

/** What the store needs of the window it saves (TrainingWindow implements it). */
export interface StoredWindow {
  /** Sequence number (count of rows ever added before it) of the oldest row. */
  readonly headSeq: number;
  readonly size: number;
  readonly offered: number;
  readonly stride: number;
  /** A thinning happened since the last snapshot. */
  readonly thinned: boolean;
  /** The rows with sequence numbers from `first` to the newest, as journal rows. */
  journalRows(first: number): JournalRow[];
  /** Whether the dictionaries hold enough dead or folded values to be worth a compaction. */
  dictionariesWorn(journalRows: number, compactAfterJournalRows: number): boolean;
  /** Rebuilds the dictionaries and returns what the snapshot holds (generation aside). */
  snapshotContents(): { header: Omit<SnapshotHeader, 'generation'>; columns: Columns; ring: RingRows };
  /** Clears `thinned`: a snapshot holds the thinned rows now. */
  snapshotWritten(): void;
  restoreSnapshot(snapshot: DecodedSnapshot, path: string): void;
  applyJournalEntry(entry: JournalEntry): void;
}

/** The open journal: appends go by position to the tracked end (the file was validated first). */
interface JournalFile {
  handle: FileHandle;
  end: number;
}

export class WindowStore {
  readonly snapshotPath: string;
  readonly journalPath: string;
  readonly #compactAfterJournalRows: number;
  #generation = 0;
  #journal: JournalFile | null = null;
  #journalRows = 0;
  /** Rows with a sequence number below this are in the snapshot or journal. */
  #persistedSeq = 0;
  /** The head sequence number, offer count and stride last made durable. */
  #persistedHeadSeq = 0;
  #persistedOffered = 0;
  #persistedStride = 1;

  constructor(directory: string, stem: string, compactAfterJournalRows: number) {
    this.snapshotPath = join(directory, `${stem}.snapshot`);
    this.journalPath = join(directory, `${stem}.journal`);
    this.#compactAfterJournalRows = compactAfterJournalRows;
  }

  /** See TrainingWindow.persist(). */
  async persist(window: StoredWindow): Promise<void> {
    const end = window.headSeq + window.size;
    const unchanged =
      this.#persistedSeq === end &&
      this.#persistedHeadSeq === window.headSeq &&
      this.#persistedOffered === window.offered &&
      this.#persistedStride === window.stride;
    if (!window.thinned && unchanged) return;
    const first = Math.max(this.#persistedSeq, window.headSeq);
    if (window.thinned || this.#journalRows + (end - first) >= this.#compactAfterJournalRows || window.dictionariesWorn(this.#journalRows, this.#compactAfterJournalRows)) {
      await this.compact(window);
      return;
    }
    const journal = await this.#openJournal();
    const entry: JournalEntry = { first, head: window.headSeq, offered: window.offered, stride: window.stride, rows: window.journalRows(first) };
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
      throw stateError(`cannot append to ${this.journalPath}`, error, this.journalPath);
    }
    this.#journalRows += entry.rows.length;
    this.#markPersisted(window);
  }

  /** See TrainingWindow.compact(). */
  async compact(window: StoredWindow): Promise<void> {
    const { header, columns, ring } = window.snapshotContents();
    const generation = this.#generation + 1;
    await writeFileAtomic(this.snapshotPath, snapshotChunks({ generation, ...header }, columns, ring));
    // From here a crash leaves the old journal, which load() ignores (other generation).
    await this.close();
    await writeFileAtomic(this.journalPath, journalLine({ journal: JOURNAL_VERSION, generation }));
    this.#generation = generation;
    this.#journalRows = 0;
    window.snapshotWritten();
    this.#markPersisted(window);
  }

  /**
   * Reads the saved window into `window` (an empty one); returns what is worth a warning.
   * @throws DaemonError ERR_STATE when the snapshot is corrupt or a file unreadable.
   */
  async load(window: StoredWindow): Promise<DaemonError[]> {
    const warnings: DaemonError[] = [];
    const snapshot = await readOptional(this.snapshotPath);
    if (snapshot !== null) {
      const decoded = decodeSnapshot(snapshot, this.snapshotPath, WINDOW_STRING_COLUMNS);
      this.#generation = decoded.header.generation;
      window.restoreSnapshot(decoded, this.snapshotPath);
    }
    const journal = await readOptional(this.journalPath);
    if (snapshot !== null && (journal === null || journal.length === 0)) {
      // compact() always leaves a journal with its header line: none, or an empty one, means it
      // was deleted or truncated, and the rows sampled since the snapshot are gone.
      warnings.push(
        new DaemonError(
          'ERR_STATE',
          `state: ${this.journalPath} is ${journal === null ? 'missing' : 'empty'}; the training rows sampled since the last snapshot are lost (the window holds ${window.size} rows from the snapshot)`,
          { meta: { path: this.journalPath } },
        ),
      );
    }
    const rewrite = journal !== null && this.#replayJournal(journal, window, warnings);
    this.#markPersisted(window);
    // A damaged or foreign journal must not be appended to: fold everything into a new snapshot.
    if (rewrite) await this.compact(window);
    return warnings;
  }

  async close(): Promise<void> {
    const journal = this.#journal;
    this.#journal = null;
    if (journal !== null) await journal.handle.close();
  }

  #markPersisted(window: StoredWindow): void {
    this.#persistedSeq = window.headSeq + window.size;
    this.#persistedHeadSeq = window.headSeq;
    this.#persistedOffered = window.offered;
    this.#persistedStride = window.stride;
  }

  /** Applies the journal; returns true when it should be rewritten (torn, damaged or foreign). */
  #replayJournal(data: Buffer, window: StoredWindow, warnings: DaemonError[]): boolean {
    const path = this.journalPath;
    const lines = data.toString('utf8').split('\n');
    const tornTail = lines.pop() ?? '';
    if (tornTail.length > 0) {
      warnings.push(
        new DaemonError('ERR_STATE', `state: ${path} ends with a partial entry (crash while appending); ignored it`, {
          meta: { path, bytes: Buffer.byteLength(tornTail) },
        }),
      );
    }
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
      window.applyJournalEntry(entry);
      this.#journalRows += entry.rows.length;
    }
    return tornTail.length > 0;
  }

  async #openJournal(): Promise<JournalFile> {
    if (this.#journal !== null) return this.#journal;
    const path = this.journalPath;
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
}
