/**
 * One log file on disk, plain or gzipped (told by its magic bytes, not its name): what it is
 * (identity, content fingerprint, where it sits among the other files of the same log) and a
 * sequential reader of its uncompressed bytes from any offset. Shared by the follower's catch-up
 * and by offline commands that walk archive trees.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isRecordTime } from '../zeek/dce-rpc-record.js';
import { hasGzipMagic, inflateGzip, type GzipProblem } from '../zeek/gzip.js';
import { EMPTY_FINGERPRINT, fingerprintFromHead, headDigestOf } from './fingerprint.js';

/** Where a file sits in the order of one log's files (see compareLogOrder). */
export interface LogOrderKey {
  /** Zeek's `#open` value when it has Zeek's `YYYY-MM-DD-HH-MM-SS` form (file creation time). */
  openStamp: string | null;
  /** `ts` of the first line that carries a record time (epoch seconds), TSV or JSON. */
  firstTs: number | null;
}

/** What a look at a file's head shows. */
export interface LogFileInfo extends LogOrderKey {
  path: string;
  dev: string;
  ino: string;
  /** Size on disk (compressed size for a gzip file). */
  sizeOnDisk: number;
  mtimeMs: number;
  compressed: boolean;
  /** See fingerprint.ts; '' while the first record line is incomplete. */
  fingerprint: string;
  /** See headDigestOf (fingerprint.ts); '' while the file is shorter. */
  headDigest?: string;
}

/** Uncompressed bytes of the head looked at: enough for any sane header plus a first record. */
export const HEAD_BYTES = 64 * 1024;

const ZEEK_STAMP = /^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/;

/** Order key facts from a file's first bytes. */
export function orderKeyFromHead(head: Buffer): LogOrderKey {
  let openStamp: string | null = null;
  let position = 0;
  while (position < head.length) {
    const newline = head.indexOf(0x0a, position);
    if (newline === -1) break;
    const line = head.toString('utf8', position, newline);
    position = newline + 1;
    if (line.startsWith('#')) {
      if (line.startsWith('#open\t')) {
        const value = line.slice(6).trim();
        if (ZEEK_STAMP.test(value)) openStamp = value;
      }
      continue;
    }
    // A first line that is no record (garbage, an impossible time such as 9000000000000) must
    // not place the file: it would sort after every later file, and catch-up after a restart
    // would skip those files as "earlier" than the checkpoint.
    const ts = tsOfRecordLine(line);
    if (ts !== null && isRecordTime(ts)) return { openStamp, firstTs: ts };
  }
  return { openStamp, firstTs: null };
}

function tsOfRecordLine(line: string): number | null {
  if (line.startsWith('{')) {
    try {
      const ts = (JSON.parse(line) as { ts?: unknown }).ts;
      if (typeof ts === 'number') return ts;
      if (typeof ts === 'string') {
        const ms = Date.parse(ts);
        return Number.isNaN(ms) ? null : ms / 1000;
      }
    } catch {
      // A first line that is not JSON gives no order key; the caller falls back to mtime.
    }
    return null;
  }
  const tab = line.indexOf('\t');
  const ts = Number(tab === -1 ? line : line.slice(0, tab));
  return Number.isFinite(ts) ? ts : null;
}

/**
 * Orders two files of one log, oldest first: by Zeek's `#open` (the creation time Zeek writes;
 * never reordered by renames or archiving), else by the first record's ts, else by mtime, then
 * path. 0 only for the same key and path.
 */
export function compareLogOrder(
  a: LogOrderKey & { mtimeMs?: number; path?: string },
  b: LogOrderKey & { mtimeMs?: number; path?: string },
): number {
  if (a.openStamp !== null && b.openStamp !== null && a.openStamp !== b.openStamp) {
    return a.openStamp < b.openStamp ? -1 : 1;
  }
  if (a.firstTs !== null && b.firstTs !== null && a.firstTs !== b.firstTs) return a.firstTs - b.firstTs;
  if (a.mtimeMs !== undefined && b.mtimeMs !== undefined && a.mtimeMs !== b.mtimeMs) return a.mtimeMs - b.mtimeMs;
  const pa = a.path ?? '';
  const pb = b.path ?? '';
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/** Whether `handle`'s file starts with the gzip magic bytes. */
async function isGzip(handle: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await handle.read(magic, 0, 2, 0);
  return bytesRead === 2 && hasGzipMagic(magic);
}

/**
 * A sequential reader of a file's uncompressed bytes. For a plain file reads are positional (the
 * file may still grow); for gzip they continue where the last one stopped.
 */
export interface LogReader {
  readonly compressed: boolean;
  /** Reads into `buffer` from uncompressed `position` (must be where the last read ended for gzip). */
  read(buffer: Buffer, position: number): Promise<number>;
  /** The first `max` uncompressed bytes (for fingerprints and header replays). */
  head(max: number): Promise<Buffer>;
  /** Releases the inflater (the caller closes the handle). */
  dispose(): void;
  /** Bytes after the gzip data that are not gzip, found at the end (all data before was read). */
  readonly trailingGarbage?: GzipProblem | null;
}

/** A log file held open (its inode lives on while held, even if renamed or removed). */
export interface OpenedLog {
  handle: FileHandle;
  info: LogFileInfo;
  reader: LogReader;
}

/** Opens `path` and describes it; null when it vanished first (rotation and archiving race us). */
export async function openLog(path: string): Promise<OpenedLog | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stat = await handle.stat({ bigint: true });
    const compressed = await isGzip(handle);
    const reader = compressed ? new GzipReader(handle) : new PlainReader(handle);
    const head = await reader.head(HEAD_BYTES);
    const info: LogFileInfo = {
      path,
      dev: String(stat.dev),
      ino: String(stat.ino),
      sizeOnDisk: Number(stat.size),
      mtimeMs: Number(stat.mtimeMs),
      compressed,
      fingerprint: fingerprintFromHead(head),
      headDigest: headDigestOf(head),
      ...orderKeyFromHead(head),
    };
    return { handle, info, reader };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Describes `path` without keeping it open; null when it vanished. */
export async function describeLogFile(path: string): Promise<LogFileInfo | null> {
  const opened = await openLog(path);
  if (opened === null) return null;
  await opened.handle.close().catch(() => undefined);
  return opened.info;
}

class PlainReader implements LogReader {
  readonly compressed = false;
  readonly #handle: FileHandle;
  constructor(handle: FileHandle) {
    this.#handle = handle;
  }
  async read(buffer: Buffer, position: number): Promise<number> {
    return (await this.#handle.read(buffer, 0, buffer.length, position)).bytesRead;
  }
  async head(max: number): Promise<Buffer> {
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await this.#handle.read(buffer, 0, max, 0);
    return buffer.subarray(0, bytesRead);
  }
  dispose(): void {
    // Nothing beyond the handle, which the caller closes.
  }
}

/**
 * Inflates a gzip file as a stream from its start (member by member, as zcat does: see
 * zeek/gzip.ts). `read` skips forward to `position` (a resume offset in uncompressed bytes) and
 * then continues sequentially. A cut or corrupt member (an archive still being written) first
 * returns every byte before it, then fails (code Z_BUF_ERROR or Z_DATA_ERROR), so the caller
 * retries later instead of taking a prefix for the whole file. Garbage after the last member ends
 * the data normally and is kept in `trailingGarbage`.
 */
class GzipReader implements LogReader {
  readonly compressed = true;
  readonly #handle: FileHandle;
  #iterator: AsyncGenerator<Buffer, void, undefined> | null = null;
  #pending: Buffer = Buffer.alloc(0);
  #position = 0;
  #ended = false;
  #problem: GzipProblem | null = null;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  get trailingGarbage(): GzipProblem | null {
    return this.#problem?.kind === 'trailing-garbage' ? this.#problem : null;
  }

  async head(max: number): Promise<Buffer> {
    // A separate inflater, so the head can be looked at without disturbing the main read.
    let problem: GzipProblem | null = null;
    const inflated = inflateGzip(compressedChunks(this.#handle), (found) => (problem = found));
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of inflated) {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= max) break;
      }
    } finally {
      await inflated.return(undefined);
    }
    // A truncated archive still shows its head; only reading it whole must fail.
    if (length === 0 && problem !== null) throw gzipFailure(problem);
    return Buffer.concat(chunks).subarray(0, max);
  }

  async read(buffer: Buffer, position: number): Promise<number> {
    if (position < this.#position) throw new Error(`gzip reader: cannot go back from ${this.#position} to ${position}`);
    while (this.#position < position) {
      const skipped = await this.#pull(Math.min(position - this.#position, 1 << 20), null, 0);
      if (skipped === 0) return this.#endOfData();
    }
    let filled = 0;
    while (filled < buffer.length) {
      const n = await this.#pull(buffer.length - filled, buffer, filled);
      if (n === 0) break;
      filled += n;
    }
    return filled > 0 ? filled : this.#endOfData();
  }

  dispose(): void {
    void this.#iterator?.return(undefined);
    this.#iterator = null;
  }

  /** 0 at a clean end (or after trailing garbage); the failure once a cut member's bytes are all read. */
  #endOfData(): number {
    if (this.#problem !== null && this.#problem.kind !== 'trailing-garbage') throw gzipFailure(this.#problem);
    return 0;
  }

  async #pull(max: number, into: Buffer | null, at: number): Promise<number> {
    if (this.#pending.length === 0) {
      if (this.#ended) return 0;
      this.#iterator ??= inflateGzip(compressedChunks(this.#handle), (found) => (this.#problem = found));
      const next = await this.#iterator.next();
      if (next.done === true) {
        this.#ended = true;
        return 0;
      }
      this.#pending = next.value;
    }
    const n = Math.min(max, this.#pending.length);
    if (into !== null) this.#pending.copy(into, at, 0, n);
    this.#pending = this.#pending.subarray(n);
    this.#position += n;
    return n;
  }
}

/**
 * The file's bytes from its start, read positionally: a stream over the handle would close it
 * when the inflater is done with it, and the handle outlives every inflater.
 */
async function* compressedChunks(handle: FileHandle): AsyncGenerator<Buffer, void, undefined> {
  let position = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** A gzip problem as the error the follower reports (its code tells a cut member from corruption). */
function gzipFailure(problem: GzipProblem): Error {
  return Object.assign(new Error(problem.detail), { code: problem.kind === 'truncated' ? 'Z_BUF_ERROR' : 'Z_DATA_ERROR', gzipProblem: problem });
}

export { EMPTY_FINGERPRINT };
