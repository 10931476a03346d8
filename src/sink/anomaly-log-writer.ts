/**
 * anomalies.log on disk: appends batches with one write each, never truncates, survives rotation
 * by logrotate (SIGHUP → `reopen()`), by us (`rotateIfDue()`, Zeek-style) and by someone renaming
 * or deleting the file under us (detected by a stat of the path before each batch).
 *
 * Restart rules for a file that already exists at the path:
 * - JSON: append to it (if it looks like JSON lines; otherwise it is set aside, see below).
 * - TSV with our exact header (except `#open`): append, no second header.
 * - TSV with another header, or ending in `#close` (a rotation interrupted before the rename):
 *   set aside by renaming it to its rotated name, then start a new file.
 * - A last line without a newline (a crash mid-write, a `truncate` by hand) is left alone at open:
 *   the daemon may complete it from a restart replay (`appendBatch(…, { continuesLine: true })`).
 *   Any other append first cuts that fragment off at the last newline and keeps its bytes in
 *   `anomalies.log.torn-<epoch ms>` (a name the shipper globs do not match), so a fragment is
 *   never glued to the next record into a line a strict parser would accept.
 * - A write that fails (ENOSPC, EIO) after part of a batch went out is undone: the file is cut
 *   back to where the batch started, so a retry writes the batch once and whole.
 *
 * `close()` does not write `#close`: a shutdown is not the end of the file, the next start appends.
 */
import { constants } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError } from '../errors.js';
import { syncDirectory, writeFileSynced } from '../state/index.js';
import type { AnomalyFormatter } from './format.js';
import { tsvOpenTime } from './format.js';
import { lastLineEnd, readRange, TAIL_BYTES } from './file-tail.js';
import { nextRotationAt, rotatedFileName } from './rotation.js';

/**
 * Device, inode and our idea of the size of the file we write to. Numbers, unlike the tail's
 * FileIdentity (decimal strings for 64-bit inodes): they are compared with fs.Stats of our own
 * output directory and saved in progress.json as numbers, a format kept as it is.
 */
export interface OutputFileIdentity {
  dev: number;
  ino: number;
  size: number;
}

/** Settings of an AnomalyLogWriter. */
export interface AnomalyLogWriterOptions {
  /** Our own log directory (LogsDirectory=), never Zeek's spool dir. */
  directory: string;
  formatter: AnomalyFormatter;
  /** @default 'anomalies.log' */
  fileName?: string;
  /** Built-in rotation interval; 0 = never (leave it to logrotate). @default 0 */
  rotateIntervalMs?: number;
  /** Wall clock in epoch ms, for `#open`/`#close` and rotation. @default Date.now */
  clock?: () => number;
  /** Told when a torn last line was cut off before an append (to log it). */
  onTornTail?: (torn: TornTail) => void;
}

/** What `open()` found at the path. */
export interface OpenResult {
  /** `appended`: an existing file is continued; `set-aside`: an unusable one was renamed away first. */
  existing: 'none' | 'appended' | 'set-aside';
  /** Path the unusable file was renamed to, when `existing` is `set-aside`. */
  setAsidePath?: string;
  /** False when the continued file ends mid-line: the daemon must reconcile before writing. */
  endsWithNewline: boolean;
}

// Read-write so the daemon can read back what it wrote (readTail); O_APPEND so every write lands
// at the end whatever else happened to the file.
const APPEND_EXISTING = constants.O_RDWR | constants.O_APPEND;
const APPEND_OR_CREATE = APPEND_EXISTING | constants.O_CREAT;
const HEAD_BYTES = 64 * 1024;

/** A fragment cut off the end of the file by `appendBatch` (see the module comment). */
export interface TornTail {
  /** Where the fragment's bytes were kept, or null when even that write failed. */
  savedTo: string | null;
  bytes: number;
}

/** Writes anomalies.log (see the module comment for the rules). */
export class AnomalyLogWriter {
  readonly #directory: string;
  readonly #fileName: string;
  readonly #path: string;
  readonly #formatter: AnomalyFormatter;
  readonly #rotateIntervalMs: number;
  readonly #clock: () => number;
  #handle: FileHandle | null = null;
  #dev = 0;
  #ino = 0;
  #size = 0;
  #openTimeMs = 0;
  #nextRotationMs = Number.POSITIVE_INFINITY;
  #directoryDirty = false;
  /** The file's last byte is not a newline (a torn line from before, or a failed cut). */
  #endsMidLine = false;
  #onTornTail: ((torn: TornTail) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AnomalyLogWriterOptions) {
    this.#directory = options.directory;
    this.#fileName = options.fileName ?? 'anomalies.log';
    this.#path = join(this.#directory, this.#fileName);
    this.#formatter = options.formatter;
    this.#rotateIntervalMs = options.rotateIntervalMs ?? 0;
    this.#clock = options.clock ?? Date.now;
    this.#onTornTail = options.onTornTail;
  }

  /** Absolute path of the live file. */
  get path(): string {
    return this.#path;
  }

  /** The formatter this writer was built with (to format rows into batches). */
  get formatter(): AnomalyFormatter {
    return this.#formatter;
  }

  /**
   * Creates the directory if needed and adopts an existing file (see the module comment). A new
   * file is not created here but on the first write, so a quiet sensor has no empty log.
   */
  async open(): Promise<OpenResult> {
    return this.#serial(async () => {
      await mkdir(this.#directory, { recursive: true }).catch((error: unknown) => {
        throw sinkError(`cannot create ${this.#directory}`, error, this.#directory);
      });
      return this.#adopt();
    });
  }

  /**
   * Makes sure a current file exists (creating it, with its header, if needed) and returns its
   * identity. The daemon calls it before recording a pending batch, so the recorded identity and
   * size are those the batch will be appended to.
   */
  async prepare(): Promise<OutputFileIdentity> {
    return this.#serial(async () => {
      await this.#ensureCurrent();
      return { dev: this.#dev, ino: this.#ino, size: this.#size };
    });
  }

  /**
   * Appends one batch (already formatted lines, or raw bytes) with a single write. All or
   * nothing: when the write fails the file is cut back to where it was. `continuesLine`: the
   * bytes complete a torn last line (a restart replay matched its start); otherwise a torn last
   * line is cut off first.
   */
  async appendBatch(batch: readonly string[] | Buffer, options: { continuesLine?: boolean } = {}): Promise<void> {
    const bytes = Buffer.isBuffer(batch) ? batch : Buffer.from(batch.join(''), 'utf8');
    if (bytes.length === 0) return;
    await this.#serial(async () => {
      await this.#ensureCurrent();
      if (this.#endsMidLine && options.continuesLine !== true) await this.#cutTornTail();
      await this.#writeWhole(bytes);
    });
  }

  /** fsyncs the file (and, after a file was created or renamed, its directory). */
  async sync(): Promise<void> {
    await this.#serial(async () => {
      try {
        if (this.#handle !== null) await this.#handle.sync();
        if (this.#directoryDirty) {
          await syncDirectory(this.#directory);
          this.#directoryDirty = false;
        }
      } catch (error) {
        throw sinkError(`cannot fsync ${this.#path}`, error, this.#path);
      }
    });
  }

  /** Identity of the current file, or null when none is open (after rotation, before a write). */
  identity(): OutputFileIdentity | null {
    return this.#handle === null ? null : { dev: this.#dev, ino: this.#ino, size: this.#size };
  }

  /** Bytes of the current file from `fromOffset` to its end (empty when no file is open). */
  async readTail(fromOffset: number): Promise<Buffer> {
    return this.#serial(async () => {
      const handle = this.#handle;
      if (handle === null) return Buffer.alloc(0);
      const { size } = await handle.stat();
      return readRange(handle, fromOffset, size);
    });
  }

  /**
   * SIGHUP after logrotate moved the file: close the old descriptor (without touching the moved
   * file, which logrotate may be compressing) and continue at the path, adopting a file logrotate
   * created or creating a new one with a fresh header.
   */
  async reopen(): Promise<void> {
    await this.#serial(async () => {
      await this.#closeHandle();
      await this.#adopt();
      await this.#ensureCurrent();
    });
  }

  /**
   * Built-in rotation: when the current file's rotation time has come, writes `#close` (TSV),
   * closes the file and renames it to `anomalies.<open time>.log`. The next write creates a new
   * file. Returns the rotated path, or null when nothing was due.
   */
  async rotateIfDue(nowMs: number = this.#clock()): Promise<string | null> {
    return this.#serial(async () => {
      if (this.#handle === null || nowMs < this.#nextRotationMs) return null;
      return this.#rotate(nowMs);
    });
  }

  /** Rotates now (if a file is open), whatever the schedule. Returns the rotated path or null. */
  async rotate(nowMs: number = this.#clock()): Promise<string | null> {
    return this.#serial(async () => (this.#handle === null ? null : this.#rotate(nowMs)));
  }

  /** fsyncs and closes the file without writing `#close` (the next start appends to it). */
  async close(): Promise<void> {
    await this.#serial(async () => {
      if (this.#handle !== null) {
        await this.#handle.sync().catch((error: unknown) => {
          throw sinkError(`cannot fsync ${this.#path}`, error, this.#path);
        });
      }
      if (this.#directoryDirty) await syncDirectory(this.#directory);
      this.#directoryDirty = false;
      await this.#closeHandle();
    });
  }

  // Every public operation runs one at a time: a rotation must never interleave with a write.
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #adopt(): Promise<OpenResult> {
    await this.#closeHandle();
    let handle: FileHandle;
    try {
      handle = await open(this.#path, APPEND_EXISTING);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { existing: 'none', endsWithNewline: true };
      throw sinkError(`cannot open ${this.#path}`, error, this.#path);
    }
    let keep = false;
    try {
      const info = await handle.stat();
      if (info.size === 0) {
        keep = true;
        this.#attach(handle, info.dev, info.ino, 0, this.#clock());
        await this.#writeHeader();
        return { existing: 'appended', endsWithNewline: true };
      }
      const head = (await readRange(handle, 0, Math.min(info.size, HEAD_BYTES))).toString('utf8');
      const tail = await readRange(handle, Math.max(0, info.size - TAIL_BYTES), info.size);
      const endsWithNewline = tail[tail.length - 1] === 0x0a;
      const fileOpenTime =
        (this.#formatter.format === 'zeek' ? tsvOpenTime(head) : null) ?? fileTimeMs(info.birthtimeMs, info.mtimeMs);
      if (this.#usable(head, tail)) {
        keep = true;
        this.#attach(handle, info.dev, info.ino, info.size, fileOpenTime);
        this.#endsMidLine = !endsWithNewline;
        return { existing: 'appended', endsWithNewline };
      }
      const setAsidePath = await this.#renameAside(fileOpenTime);
      return { existing: 'set-aside', setAsidePath, endsWithNewline: true };
    } finally {
      if (!keep) await handle.close();
    }
  }

  #usable(head: string, tail: Buffer): boolean {
    if (this.#formatter.format === 'json') return head.startsWith('{');
    if (!this.#formatter.headerMatches(head)) return false;
    const text = tail.toString('utf8');
    const lastLine = text.endsWith('\n') ? text.slice(text.lastIndexOf('\n', text.length - 2) + 1) : '';
    return !lastLine.startsWith('#close');
  }

  async #ensureCurrent(): Promise<void> {
    if (this.#handle !== null) {
      let onDisk: { dev: number; ino: number; size: number } | null = null;
      try {
        onDisk = await stat(this.#path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw sinkError(`cannot stat ${this.#path}`, error, this.#path);
        }
      }
      if (onDisk !== null && onDisk.dev === this.#dev && onDisk.ino === this.#ino) {
        if (onDisk.size < this.#size) {
          // Truncated in place (copytruncate): O_APPEND continues at the new end; restore the header.
          this.#size = onDisk.size;
          if (onDisk.size === 0) await this.#writeWhole(Buffer.from(this.#formatter.header(this.#clock())));
        }
        return;
      }
      // Renamed or deleted under us: leave that file alone and continue at the path.
      await this.#closeHandle();
    }
    // Something may have put a file at the path meanwhile (logrotate's `create`, a restart).
    await this.#adopt();
    if (this.#handle !== null) return;
    let handle: FileHandle;
    try {
      handle = await open(this.#path, APPEND_OR_CREATE, 0o644);
    } catch (error) {
      throw sinkError(`cannot create ${this.#path}`, error, this.#path);
    }
    const info = await handle.stat();
    this.#directoryDirty = true;
    this.#attach(handle, info.dev, info.ino, info.size, this.#clock());
    if (info.size === 0) await this.#writeHeader();
  }

  #attach(handle: FileHandle, dev: number, ino: number, size: number, openTimeMs: number): void {
    this.#handle = handle;
    this.#dev = dev;
    this.#ino = ino;
    this.#size = size;
    this.#openTimeMs = openTimeMs;
    this.#nextRotationMs = nextRotationAt(openTimeMs, this.#rotateIntervalMs);
    this.#endsMidLine = false;
  }

  /**
   * The header of an empty file. When it cannot be written the file is let go, so the next
   * append adopts the (again empty) file and writes the header first, not records without one.
   */
  async #writeHeader(): Promise<void> {
    try {
      await this.#writeWhole(Buffer.from(this.#formatter.header(this.#openTimeMs)));
    } catch (error) {
      await this.#closeHandle().catch(() => undefined);
      throw error;
    }
  }

  /** `#write`, undone on failure: the file is cut back to its size before the batch. */
  async #writeWhole(bytes: Buffer): Promise<void> {
    const handle = this.#handle;
    const before = this.#size;
    try {
      await this.#write(bytes);
    } catch (error) {
      if (handle !== null && this.#size !== before) {
        try {
          await handle.truncate(before);
          this.#size = before;
        } catch {
          // The cut failed too (EIO): the next append cuts at the last newline instead.
          this.#endsMidLine = true;
        }
      }
      throw error;
    }
    this.#endsMidLine = bytes[bytes.length - 1] !== 0x0a;
  }

  /** Cuts the file after its last newline, keeping the cut bytes in a `.torn-<ms>` file. */
  async #cutTornTail(): Promise<void> {
    const handle = this.#handle;
    if (handle === null) return;
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      throw sinkError(`cannot stat ${this.#path}`, error, this.#path);
    }
    const cutAt = await lastLineEnd(handle, size);
    if (cutAt === size) {
      this.#endsMidLine = false;
      return;
    }
    const fragment = await readRange(handle, cutAt, size);
    let savedTo: string | null = `${this.#path}.torn-${this.#clock()}`;
    try {
      await writeFileSynced(savedTo, fragment, 'wx');
    } catch {
      // Disk full, most likely: cutting the fragment matters more than keeping it (a glued
      // line is a forged record); its size is still reported.
      savedTo = null;
    }
    try {
      await handle.truncate(cutAt);
    } catch (error) {
      throw sinkError(`cannot cut the torn last line of ${this.#path}`, error, this.#path);
    }
    this.#size = cutAt;
    this.#endsMidLine = false;
    if (cutAt === 0) await this.#writeWhole(Buffer.from(this.#formatter.header(this.#clock())));
    this.#onTornTail?.({ savedTo, bytes: fragment.length });
  }

  async #write(bytes: Buffer): Promise<void> {
    const handle = this.#handle;
    if (handle === null || bytes.length === 0) return;
    try {
      // Regular files take the whole buffer in one write(2) unless the disk is full; loop anyway.
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, null);
        written += bytesWritten;
        this.#size += bytesWritten;
      }
    } catch (error) {
      throw sinkError(`cannot write ${this.#path}`, error, this.#path);
    }
  }

  async #rotate(nowMs: number): Promise<string | null> {
    const handle = this.#handle;
    if (handle === null) return null;
    await this.#writeWhole(Buffer.from(this.#formatter.close(nowMs)));
    let onDisk: { dev: number; ino: number } | null = null;
    try {
      await handle.sync();
      onDisk = await stat(this.#path).catch(() => null);
    } catch (error) {
      throw sinkError(`cannot fsync ${this.#path}`, error, this.#path);
    }
    await this.#closeHandle();
    // Only rename the file that is ours; if the path now holds another file, leave it be.
    if (onDisk === null || onDisk.dev !== this.#dev || onDisk.ino !== this.#ino) return null;
    return this.#renameAside(this.#openTimeMs);
  }

  async #renameAside(openTimeMs: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const target = join(this.#directory, rotatedFileName(this.#fileName, openTimeMs, attempt));
      const taken = await stat(target).then(
        () => true,
        () => false,
      );
      if (taken) continue;
      try {
        await rename(this.#path, target);
        await syncDirectory(this.#directory);
      } catch (error) {
        throw sinkError(`cannot rename ${this.#path} to ${target}`, error, this.#path);
      }
      return target;
    }
  }

  async #closeHandle(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.#nextRotationMs = Number.POSITIVE_INFINITY;
    if (handle !== null) {
      await handle.close().catch((error: unknown) => {
        throw sinkError(`cannot close ${this.#path}`, error, this.#path);
      });
    }
  }
}

function fileTimeMs(birthtimeMs: number, mtimeMs: number): number {
  return birthtimeMs > 0 ? birthtimeMs : mtimeMs;
}

function sinkError(message: string, cause: unknown, path: string): DaemonError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new DaemonError('ERR_SINK_WRITE', `sink: ${message}${errno === undefined ? '' : `: ${errno}`}`, {
    cause,
    meta: errno === undefined ? { path } : { path, errno },
  });
}
