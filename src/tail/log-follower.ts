/**
 * Follows Zeek logs across rotation, truncation and restarts, delivering each line exactly once
 * (at least once across a crash, from the last saved checkpoint).
 *
 * Program flow: every poll (at most `pollIntervalMs`, which is ≤ 1 s) the follower expands the
 * patterns, stat()s each path (following symlinks afresh, so a re-pointed `logs/current` is seen)
 * and fstat()s the file it holds open, then asks `decide()` what happened:
 * - the same file grew: read it, in bounded batches, awaiting the handler before reading on;
 * - the path names another file or nothing (Zeek renames, then creates the next file only when
 *   the next record comes): read the held file to its end (its inode lives while we hold the fd,
 *   even after archive-log removes it), then open whatever is at the path from 0;
 * - the held file shrank or its first record changed: read it again from 0 (after finishing a
 *   copy of it beside it, for copytruncate).
 * chokidar, when enabled, only wakes the loop early; stat() is the source of truth.
 *
 * On start, saved checkpoints are honoured: the same (dev, ino, fingerprint) at the path resumes
 * at the saved offset (after replaying the `#` header lines so a decoder knows the schema); a file
 * rotated while we were down is found beside the path by (dev, ino) and finished first.
 */
import { EventEmitter } from 'node:events';
import type { BigIntStats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { DaemonError } from '../errors.js';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from '../zeek/line-splitter.js';
import { canResume, decide, type OpenFileView, type PathObservation } from './decide.js';
import { EMPTY_FINGERPRINT, fingerprintFromHead } from './fingerprint.js';
import { expandPattern, hasGlobSyntax } from './glob.js';
import type { FileCheckpoint, FileIdentity, LineBatch, TailedLine } from './types.js';

/** Options of a LogFollower. */
export interface LogFollowerOptions {
  /** Paths or glob patterns (`*`, `?`, `[...]` per segment) of the logs to follow. */
  patterns: string[];
  /** Longest wait between two stat polls, 1 to 1000 ms. @default 1000 */
  pollIntervalMs?: number;
  /** Longest line delivered; longer ones are counted and skipped. @default 1048576 */
  maxLineBytes?: number;
  /** Positions saved by a previous run (from `checkpoints()`), to resume from. @default [] */
  checkpoints?: FileCheckpoint[];
  /** Let chokidar file events wake the poll loop early. @default false */
  wakeWithChokidar?: boolean;
  /** Bytes read per read() call. @default 65536 */
  readChunkBytes?: number;
  /** Bytes read before a batch is handed over (bounds memory per batch). @default 262144 */
  maxBatchBytes?: number;
}

/** Why the file at a path was left for another. */
export type RotationReason =
  /** The path now names a different file (renamed away, deleted and recreated, symlink moved). */
  | 'replaced'
  /** The path names nothing (renamed away and not yet recreated, directory moved). */
  | 'removed'
  /** A restart found another file at the path; the saved one was not beside it. */
  | 'replaced-while-stopped'
  /** A restart found the saved file renamed beside the path and finished it. */
  | 'finished-rotated-sibling'
  /**
   * A file that was created and rotated away between two polls (never seen at the path) was
   * found beside it, by creation time, and read whole.
   */
  | 'finished-missed-rotation';

/** Payload of 'rotated'. */
export interface RotationEvent {
  path: string;
  /** The file that was finished (or, for 'replaced-while-stopped', the one saved). */
  from: FileIdentity;
  reason: RotationReason;
}

/** Payload of 'truncated'. */
export interface TruncationEvent {
  path: string;
  file: FileIdentity;
  /** Offset handled before the truncation. */
  previousOffset: number;
  /** Size found. */
  size: number;
  reason: 'shrunk' | 'content-changed' | 'replaced-while-stopped';
  /** The copy (copytruncate) from which unread lines were recovered, if one was found. */
  recoveredFrom?: string;
}

/** Payload of 'overlong'. */
export interface OverlongEvent {
  path: string;
  line: number;
  offset: number;
  lengthBytes: number;
}

/** Events of a LogFollower. None is 'error': expected churn is reported and retried. */
export interface FollowerEventMap {
  'file-added': [file: FileIdentity];
  'file-missing': [event: { path: string }];
  rotated: [event: RotationEvent];
  truncated: [event: TruncationEvent];
  overlong: [event: OverlongEvent];
  /** A recoverable problem (EACCES, EIO…); the follower retries on the next poll. */
  'tail-error': [error: DaemonError];
  /** The handler failed (or an unexpected bug): the follower has stopped. */
  fatal: [error: DaemonError];
  /** The loop has ended and every file is closed. */
  stopped: [];
}

/** Receives each batch; nothing more is read until the returned promise settles. */
export type BatchHandler = (batch: LineBatch) => Promise<void>;

/** Unread bytes of one followed path. */
export interface FileLag {
  path: string;
  bytes: number;
}

interface OpenFile {
  identity: FileIdentity;
  handle: FileHandle;
  splitter: LineSplitter;
  /** Next byte to read (past any held partial line). */
  readPosition: number;
  sizeNow: number;
  fileStart: boolean;
  /** Creation time (statx birth time), 0n where the filesystem does not record it. */
  birthNs: bigint;
}

/**
 * The last file finished at a path: the lower bound when looking for missed rotations. Birth
 * times are coarse (one clock tick, a few ms, on ext4), so every finished file born in the same
 * tick is remembered by inode.
 */
interface FinishedFile {
  dev: string;
  birthNs: bigint;
  inos: string[];
}

interface TrackedPath {
  path: string;
  open: OpenFile | null;
  resume: FileCheckpoint | undefined;
  /** Whether the saved file was already looked for beside a missing path. */
  resumeSearched: boolean;
  checkpoint: FileCheckpoint | null;
  lastFinished: FinishedFile | null;
  /** Directory mtime at the last look for missed rotations while the path was missing. */
  scannedDirMtimeNs: bigint;
  missingReported: boolean;
  lastErrorCode: string | null;
}

class HandlerFailure extends Error {}

const HEAD_PROBE_BYTES = 4096;
/** How far before start() a file's birth may lie and still count as born after it. */
const START_MARGIN_MS = 50;
const HEAD_MAX_BYTES = 64 * 1024;
/** Batches read from one file per pass before the other files get their turn. */
const BATCHES_PER_TURN = 4;

/** Follows one or more Zeek logs with rotation-safe, checkpointed, back-pressured delivery. */
export class LogFollower extends EventEmitter<FollowerEventMap> {
  readonly #patterns: string[];
  #startedAtNs = 0n;
  readonly #pollIntervalMs: number;
  readonly #maxLineBytes: number;
  readonly #readChunkBytes: number;
  readonly #maxBatchBytes: number;
  readonly #wakeWithChokidar: boolean;
  readonly #tracked = new Map<string, TrackedPath>();
  readonly #resumeByPath = new Map<string, FileCheckpoint>();
  #handler: BatchHandler | null = null;
  #running: Promise<void> | null = null;
  #stopRequested = false;
  #wakePending = false;
  #wake: (() => void) | null = null;
  #lastExpansion = -Infinity;
  #watcher: FSWatcher | null = null;

  constructor(options: LogFollowerOptions) {
    super();
    if (options.patterns.length === 0) {
      throw new DaemonError('ERR_CONFIG_INVALID', 'tail: no paths to follow');
    }
    const pollIntervalMs = options.pollIntervalMs ?? 1000;
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 1 || pollIntervalMs > 1000) {
      throw new DaemonError('ERR_CONFIG_INVALID', 'tail: pollIntervalMs must be 1 to 1000', {
        meta: { got: pollIntervalMs },
      });
    }
    this.#patterns = [...options.patterns];
    this.#pollIntervalMs = pollIntervalMs;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#readChunkBytes = options.readChunkBytes ?? 64 * 1024;
    this.#maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.#wakeWithChokidar = options.wakeWithChokidar ?? false;
    for (const checkpoint of options.checkpoints ?? []) {
      this.#resumeByPath.set(checkpoint.path, { ...checkpoint });
    }
  }

  /** Starts following; `handler` is awaited for each batch before more is read. */
  start(handler: BatchHandler): void {
    if (this.#running !== null) throw new DaemonError('ERR_TAIL', 'tail: already started');
    // Files born from here on are ours, even one created and rotated away before the first poll.
    // Birth times are coarse (a clock tick), hence the margin.
    this.#startedAtNs = BigInt(Date.now() - START_MARGIN_MS) * 1_000_000n;
    this.#handler = handler;
    this.#running = this.#run();
  }

  /** Stops reading; resolves once the in-flight batch is handled and every file is closed. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    this.#wakeNow();
    await this.#running;
  }

  /**
   * Positions of everything handled so far, one per followed path (plus saved positions of paths
   * not seen yet). Persist them only after the output derived from those lines is durable.
   * Inside the handler, the batch being handled is not counted yet; pass it as `handled` to
   * count it (the handler has made its output durable and now saves).
   */
  checkpoints(handled?: LineBatch): FileCheckpoint[] {
    const result = new Map<string, FileCheckpoint>();
    for (const [path, checkpoint] of this.#resumeByPath) result.set(path, { ...checkpoint });
    for (const tracked of this.#tracked.values()) {
      const checkpoint = tracked.checkpoint ?? tracked.resume;
      if (checkpoint !== undefined) result.set(tracked.path, { ...checkpoint });
    }
    if (handled !== undefined) result.set(handled.resumeAt.path, { ...handled.resumeAt });
    return [...result.values()];
  }

  /** Bytes written but not yet handled, per open file (size at the last poll − handled offset). */
  lag(): FileLag[] {
    const result: FileLag[] = [];
    for (const tracked of this.#tracked.values()) {
      const file = tracked.open;
      if (file === null) continue;
      result.push({
        path: tracked.path,
        bytes: Math.max(0, file.sizeNow - file.splitter.committedOffset),
      });
    }
    return result;
  }

  async #run(): Promise<void> {
    try {
      if (this.#wakeWithChokidar) await this.#startWatcher();
      while (!this.#stopRequested) {
        const busy = await this.#pass();
        if (!busy && !this.#stopRequested) await this.#sleep();
      }
    } catch (error) {
      const cause = error instanceof HandlerFailure ? error.cause : error;
      this.emit(
        'fatal',
        new DaemonError(
          'ERR_TAIL',
          error instanceof HandlerFailure
            ? 'tail: the batch handler failed; following stopped'
            : 'tail: unexpected failure; following stopped',
          { cause },
        ),
      );
    } finally {
      await this.#closeAll();
      this.emit('stopped');
    }
  }

  async #pass(): Promise<boolean> {
    const now = performance.now();
    if (now - this.#lastExpansion >= this.#pollIntervalMs) {
      this.#lastExpansion = now;
      await this.#refreshPaths();
    }
    let busy = false;
    for (const tracked of this.#tracked.values()) {
      if (this.#stopRequested) break;
      try {
        if (await this.#step(tracked)) busy = true;
      } catch (error) {
        if (error instanceof HandlerFailure) throw error;
        // A read failing mid-rotation (EIO, ESTALE on NFS…): report and retry on the next poll
        // from the last position handled in this file.
        this.#reportError(tracked.path, error, `tail: cannot read ${tracked.path}`);
      }
    }
    return busy;
  }

  async #refreshPaths(): Promise<void> {
    for (const pattern of this.#patterns) {
      let paths: string[];
      try {
        paths = await expandPattern(pattern);
      } catch (error) {
        this.#reportError(pattern, error, `tail: cannot expand ${pattern}`);
        continue;
      }
      for (const path of paths) {
        if (this.#tracked.has(path)) continue;
        const resume = this.#resumeByPath.get(path);
        this.#resumeByPath.delete(path);
        this.#tracked.set(path, {
          path,
          open: null,
          resume,
          resumeSearched: false,
          checkpoint: null,
          lastFinished: null,
          scannedDirMtimeNs: -1n,
          missingReported: false,
          lastErrorCode: null,
        });
        this.#watcher?.add(dirname(path));
      }
    }
  }

  /** One poll of one path; returns whether anything was read or changed. */
  async #step(tracked: TrackedPath): Promise<boolean> {
    const observed = await this.#observe(tracked);
    const file = tracked.open;
    let view: OpenFileView | null = null;
    if (file !== null) {
      try {
        file.sizeNow = Number((await file.handle.stat({ bigint: true })).size);
        view = {
          dev: file.identity.dev,
          ino: file.identity.ino,
          fingerprint: file.identity.fingerprint,
          fingerprintNow: await readFingerprint(file.handle),
          readPosition: file.readPosition,
          sizeNow: file.sizeNow,
        };
      } catch (error) {
        this.#reportError(tracked.path, error, `tail: cannot stat open ${tracked.path}`);
        return false;
      }
    }
    const decision = decide(view, observed);
    switch (decision) {
      case 'idle':
        if (tracked.resume !== undefined && !tracked.resumeSearched) {
          // Saved file renamed away and the next not created yet: finish it now. If it is not
          // beside the path either, keep the saved position in case it comes back.
          tracked.resumeSearched = true;
          if (await this.#finishRotatedSibling(tracked, tracked.resume)) tracked.resume = undefined;
        }
        if (!tracked.missingReported) {
          tracked.missingReported = true;
          this.emit('file-missing', { path: tracked.path });
        }
        if (tracked.lastFinished === null) {
          // Nothing read here yet: files born from now on are ours even if they come and go
          // between two polls; older rotated files beside the path are not.
          tracked.lastFinished = await directoryBaseline(tracked.path, this.#startedAtNs);
        }
        if (tracked.lastFinished !== null && (await this.#directoryChanged(tracked))) {
          // Files may have come and gone at the path since the last one finished.
          await this.#finishMissedRotations(tracked, tracked.lastFinished, null);
        }
        return false;
      case 'open':
        tracked.missingReported = false;
        await this.#openAtPath(tracked);
        return true;
      case 'read':
      case 'caught-up': {
        if (file === null || view === null) return false;
        if (file.identity.fingerprint === EMPTY_FINGERPRINT) {
          file.identity.fingerprint = view.fingerprintNow;
        }
        if (decision === 'caught-up') return false;
        return this.#readBatches(tracked, file, BATCHES_PER_TURN);
      }
      case 'truncated':
        if (file === null || view === null) return false;
        await this.#restartTruncated(tracked, file, view);
        return true;
      case 'rotated':
        if (file === null) return false;
        await this.#drain(tracked, file);
        if (this.#stopRequested) return false;
        await closeQuietly(file.handle);
        tracked.open = null;
        tracked.lastFinished = advanceFinished(tracked.lastFinished, file);
        this.emit('rotated', {
          path: tracked.path,
          from: { ...file.identity },
          reason: observed.kind === 'missing' ? 'removed' : 'replaced',
        });
        return true;
    }
  }

  async #observe(tracked: TrackedPath): Promise<PathObservation> {
    try {
      const info = await stat(tracked.path, { bigint: true });
      if (!info.isFile()) {
        throw Object.assign(new Error(`${tracked.path} is not a regular file`), {
          code: 'ENOTFILE',
        });
      }
      tracked.lastErrorCode = null;
      return { kind: 'present', dev: String(info.dev), ino: String(info.ino), size: Number(info.size) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        tracked.lastErrorCode = null;
        return { kind: 'missing' };
      }
      this.#reportError(tracked.path, error, `tail: cannot stat ${tracked.path}`);
      return { kind: 'unknown', errorCode: code };
    }
  }

  /** Opens the file now at the path: from the saved offset if it is the saved file, else from 0. */
  async #openAtPath(tracked: TrackedPath): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(tracked.path, 'r');
    } catch (error) {
      // Gone again between stat and open (rotation in progress): the next poll sorts it out.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#reportError(tracked.path, error, `tail: cannot open ${tracked.path}`);
      return;
    }
    let identity: FileIdentity;
    let size: number;
    let birthNs: bigint;
    try {
      // Identity of what was actually opened, not of what stat() saw a moment earlier.
      const info = await handle.stat({ bigint: true });
      size = Number(info.size);
      birthNs = info.birthtimeNs;
      identity = {
        path: tracked.path,
        dev: String(info.dev),
        ino: String(info.ino),
        fingerprint: await readFingerprint(handle),
      };
    } catch (error) {
      await closeQuietly(handle);
      this.#reportError(tracked.path, error, `tail: cannot read ${tracked.path}`);
      return;
    }
    const resume = tracked.resume;
    tracked.resume = undefined;
    if (resume !== undefined) {
      if (canResume(resume, { ...identity, size })) {
        await this.#beginReading(tracked, handle, identity, size, birthNs, resume.offset, resume.line);
        return;
      }
      const finished = await this.#finishRotatedSibling(tracked, resume);
      if (!finished) {
        if (resume.dev === identity.dev && resume.ino === identity.ino) {
          this.emit('truncated', {
            path: tracked.path,
            file: { ...identity },
            previousOffset: resume.offset,
            size,
            reason: 'replaced-while-stopped',
          });
        } else {
          this.emit('rotated', {
            path: tracked.path,
            from: identityOf(resume),
            reason: 'replaced-while-stopped',
          });
        }
      }
    }
    if (tracked.lastFinished !== null && !this.#stopRequested) {
      await this.#finishMissedRotations(tracked, tracked.lastFinished, birthNs, identity.ino);
    }
    if (this.#stopRequested) {
      // The checkpoint must keep pointing into the older file that was being finished.
      await closeQuietly(handle);
      return;
    }
    this.emit('file-added', { ...identity });
    await this.#beginReading(tracked, handle, identity, size, birthNs, 0, 1);
  }

  /** Whether the path's directory changed (a rename into it) since the last call. */
  async #directoryChanged(tracked: TrackedPath): Promise<boolean> {
    try {
      const mtimeNs = (await stat(dirname(tracked.path), { bigint: true })).mtimeNs;
      if (mtimeNs === tracked.scannedDirMtimeNs) return false;
      tracked.scannedDirMtimeNs = mtimeNs;
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw error;
    }
  }

  /**
   * Files created after `finished` and before the file now at the path, renamed beside it
   * (`dce_rpc.<date>.log`) without ever being seen at the path: a rotation faster than the poll.
   * Every file read at a path becomes its `lastFinished`, in creation order, so a rotated file
   * born later was never read. They are read whole, oldest first. Needs birth times (statx); without them this is a no-op.
   */
  async #finishMissedRotations(
    tracked: TrackedPath,
    finished: FinishedFile,
    beforeBirthNs: bigint | null,
    /** The file just opened at the path: renamed away before the listing, it is not a missed one. */
    openedIno: string | null = null,
  ): Promise<void> {
    if (finished.birthNs === 0n || beforeBirthNs === 0n) return;
    const dir = dirname(tracked.path);
    const base = basename(tracked.path);
    const extension = extname(base);
    const stem = base.slice(0, base.length - extension.length);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      this.#reportError(tracked.path, error, `tail: cannot list ${dir}`);
      return;
    }
    const missed: { path: string; birthNs: bigint; ino: bigint }[] = [];
    for (const name of names) {
      // Zeek's `dce_rpc.<date>.log` and the supervisor's `dce_rpc__<from>__<to>__.log`.
      if (!(name.startsWith(`${stem}.`) || name.startsWith(`${stem}__`))) continue;
      if (name === base || !name.endsWith(extension)) continue;
      if (this.#tracked.has(join(dir, name))) continue; // another followed live file
      try {
        const info = await stat(join(dir, name), { bigint: true });
        if (!info.isFile() || String(info.dev) !== finished.dev) continue;
        const birthNs = info.birthtimeNs;
        if (birthNs < finished.birthNs) continue;
        if (birthNs === finished.birthNs && finished.inos.includes(String(info.ino))) continue;
        if (openedIno !== null && String(info.ino) === openedIno) continue;
        // Born in the same tick as the file now at the path still means born before it: that
        // file is only created once the previous one is renamed away.
        if (beforeBirthNs !== null && birthNs > beforeBirthNs) continue;
        missed.push({ path: join(dir, name), birthNs, ino: info.ino });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.#reportError(tracked.path, error, `tail: cannot inspect ${join(dir, name)}`);
      }
    }
    // Oldest first; within one tick, inode order (allocated increasingly on ext4, a best guess).
    missed.sort((a, b) => compareBigInt(a.birthNs, b.birthNs) || compareBigInt(a.ino, b.ino));
    for (const candidate of missed) {
      if (this.#stopRequested) return;
      let handle: FileHandle;
      try {
        handle = await open(candidate.path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.#reportError(tracked.path, error, `tail: cannot open ${candidate.path}`);
        continue;
      }
      let info: BigIntStats;
      let identity: FileIdentity;
      try {
        info = await handle.stat({ bigint: true });
        identity = {
          path: candidate.path,
          dev: String(info.dev),
          ino: String(info.ino),
          fingerprint: await readFingerprint(handle),
        };
      } catch (error) {
        await closeQuietly(handle);
        this.#reportError(tracked.path, error, `tail: cannot read ${candidate.path}`);
        continue;
      }
      const file = await this.#beginReading(
        tracked,
        handle,
        identity,
        Number(info.size),
        info.birthtimeNs,
        0,
        1,
      );
      await this.#drain(tracked, file);
      await closeQuietly(handle);
      tracked.open = null;
      if (this.#stopRequested) return;
      tracked.lastFinished = advanceFinished(tracked.lastFinished, file);
      this.emit('rotated', { path: tracked.path, from: { ...identity }, reason: 'finished-missed-rotation' });
    }
  }

  async #beginReading(
    tracked: TrackedPath,
    handle: FileHandle,
    identity: FileIdentity,
    size: number,
    birthNs: bigint,
    offset: number,
    line: number,
  ): Promise<OpenFile> {
    const file: OpenFile = {
      identity,
      handle,
      splitter: new LineSplitter({
        maxLineBytes: this.#maxLineBytes,
        startOffset: offset,
        startLine: line,
      }),
      readPosition: offset,
      sizeNow: size,
      fileStart: true,
      birthNs,
    };
    tracked.open = file;
    // The checkpoint names the followed path even while a rotated sibling is being finished: a
    // restart looks up the saved file from the path it follows, never from the sibling's name.
    tracked.checkpoint = { ...identity, path: tracked.path, offset, line };
    if (offset > 0) await this.#replayHeader(tracked, file, offset);
    return file;
  }

  /** Re-delivers the leading `#` lines before a resume offset, so a decoder knows the schema. */
  async #replayHeader(tracked: TrackedPath, file: OpenFile, offset: number): Promise<void> {
    const head = Buffer.alloc(Math.min(offset, HEAD_MAX_BYTES));
    const { bytesRead } = await file.handle.read(head, 0, head.length, 0);
    const lines: TailedLine[] = [];
    let inHeader = true;
    new LineSplitter({ maxLineBytes: this.#maxLineBytes }).push(
      head.subarray(0, bytesRead),
      (bytes, line, start, end) => {
        if (!inHeader || bytes[0] !== 0x23 || end > offset) {
          inHeader = false;
          return;
        }
        lines.push({ bytes, line, offset: start, end });
      },
      () => {
        inHeader = false;
      },
    );
    if (lines.length === 0) return;
    await this.#deliver(tracked, file, lines, 0, true);
  }

  /**
   * A restart found another file (or nothing) at the path: if the saved file was renamed beside
   * it (Zeek's dce_rpc.YYYY-MM-DD-HH-MM-SS.log), finish it from the saved offset.
   */
  async #finishRotatedSibling(tracked: TrackedPath, resume: FileCheckpoint): Promise<boolean> {
    const sibling = await this.#findSibling(tracked.path, (candidate) =>
      candidate.dev === resume.dev && candidate.ino === resume.ino,
    );
    if (sibling === null) return false;
    if (!canResume(resume, sibling)) {
      await closeQuietly(sibling.handle);
      return false;
    }
    const file = await this.#beginReading(
      tracked,
      sibling.handle,
      { path: sibling.path, dev: sibling.dev, ino: sibling.ino, fingerprint: sibling.fingerprint },
      sibling.size,
      sibling.birthNs,
      resume.offset,
      resume.line,
    );
    await this.#drain(tracked, file);
    await closeQuietly(sibling.handle);
    tracked.open = null;
    if (!this.#stopRequested) {
      tracked.lastFinished = advanceFinished(tracked.lastFinished, file);
      this.emit('rotated', {
        path: tracked.path,
        from: { ...file.identity },
        reason: 'finished-rotated-sibling',
      });
    }
    return true;
  }

  /** The held file shrank or changed its first record: recover a copytruncate copy, then 0. */
  async #restartTruncated(tracked: TrackedPath, file: OpenFile, view: OpenFileView): Promise<void> {
    const previousOffset = file.splitter.committedOffset;
    let recoveredFrom: string | undefined;
    if (file.identity.fingerprint !== EMPTY_FINGERPRINT) {
      const copy = await this.#findSibling(
        tracked.path,
        (candidate) =>
          !(candidate.dev === file.identity.dev && candidate.ino === file.identity.ino) &&
          candidate.size >= file.readPosition,
        file.identity.fingerprint,
      );
      if (copy !== null) {
        // The copy holds the same bytes up to where we were: continue in it with the same
        // splitter so a held partial line is completed from the copy.
        const copyFile: OpenFile = {
          identity: { path: copy.path, dev: copy.dev, ino: copy.ino, fingerprint: copy.fingerprint },
          handle: copy.handle,
          splitter: file.splitter,
          readPosition: file.readPosition,
          sizeNow: copy.size,
          fileStart: false,
          birthNs: copy.birthNs,
        };
        await this.#drain(tracked, copyFile);
        await closeQuietly(copy.handle);
        if (this.#stopRequested) return;
        recoveredFrom = copy.path;
      }
    }
    const event: TruncationEvent = {
      path: tracked.path,
      file: { ...file.identity },
      previousOffset,
      size: view.sizeNow,
      reason: view.sizeNow < view.readPosition ? 'shrunk' : 'content-changed',
    };
    if (recoveredFrom !== undefined) event.recoveredFrom = recoveredFrom;
    this.emit('truncated', event);
    file.identity.fingerprint = view.fingerprintNow;
    file.splitter = new LineSplitter({ maxLineBytes: this.#maxLineBytes });
    file.readPosition = 0;
    file.fileStart = true;
    tracked.checkpoint = { ...file.identity, offset: 0, line: 1 };
  }

  /** First file beside `path` accepted by `accept` (and with `fingerprint`, if given), opened. */
  async #findSibling(
    path: string,
    accept: (candidate: { dev: string; ino: string; size: number }) => boolean,
    fingerprint?: string,
  ): Promise<(SiblingFile & { handle: FileHandle }) | null> {
    const dir = dirname(path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#reportError(path, error, `tail: cannot list ${dir}`);
      }
      return null;
    }
    for (const name of names.sort()) {
      if (name === basename(path) || name.startsWith('.')) continue;
      const candidatePath = join(dir, name);
      try {
        const info = await stat(candidatePath, { bigint: true });
        if (!info.isFile()) continue;
        const candidate = {
          dev: String(info.dev),
          ino: String(info.ino),
          size: Number(info.size),
          birthNs: info.birthtimeNs,
        };
        if (!accept(candidate)) continue;
        const handle = await open(candidatePath, 'r');
        const found = { ...candidate, path: candidatePath, handle, fingerprint: '' };
        found.fingerprint = await readFingerprint(handle).catch(async (error: unknown) => {
          await closeQuietly(handle);
          throw error;
        });
        if (fingerprint === undefined || found.fingerprint === fingerprint) return found;
        await closeQuietly(handle);
      } catch (error) {
        // Files come and go in a spool directory; one that vanished is simply not the one.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        this.#reportError(path, error, `tail: cannot inspect ${candidatePath}`);
      }
    }
    return null;
  }

  /** Reads the file to its current end (it will not grow: it was rotated away), then flushes. */
  async #drain(tracked: TrackedPath, file: OpenFile): Promise<void> {
    while (!this.#stopRequested) {
      if (!(await this.#readBatches(tracked, file, BATCHES_PER_TURN))) break;
    }
    if (this.#stopRequested) return;
    // Nothing will ever complete an unterminated last line of a finished file.
    const lines: TailedLine[] = [];
    let overlong = 0;
    const flushed = file.splitter.finish(
      (bytes, line, offset, end) => lines.push({ bytes: Buffer.from(bytes), line, offset, end }),
      (line, offset, _end, lengthBytes) => {
        overlong += 1;
        this.emit('overlong', { path: file.identity.path, line, offset, lengthBytes });
      },
    );
    if (flushed) await this.#deliver(tracked, file, lines, overlong, false);
  }

  /** Reads and delivers up to `maxBatches` batches; returns whether any byte was read. */
  async #readBatches(tracked: TrackedPath, file: OpenFile, maxBatches: number): Promise<boolean> {
    let readAny = false;
    for (let batch = 0; batch < maxBatches && !this.#stopRequested; batch += 1) {
      const lines: TailedLine[] = [];
      let overlong = 0;
      let batchBytes = 0;
      let atEnd = false;
      const offsetBefore = file.splitter.committedOffset;
      while (batchBytes < this.#maxBatchBytes) {
        // A fresh buffer per read: delivered lines are views into it, valid until handled.
        const buffer = Buffer.allocUnsafe(this.#readChunkBytes);
        const { bytesRead } = await file.handle.read(buffer, 0, buffer.length, file.readPosition);
        if (bytesRead === 0) {
          atEnd = true;
          break;
        }
        readAny = true;
        file.readPosition += bytesRead;
        batchBytes += bytesRead;
        file.splitter.push(
          buffer.subarray(0, bytesRead),
          (bytes, line, offset, end) => lines.push({ bytes, line, offset, end }),
          (line, offset, _end, lengthBytes) => {
            overlong += 1;
            this.emit('overlong', { path: file.identity.path, line, offset, lengthBytes });
          },
        );
        if (bytesRead < buffer.length) {
          atEnd = true;
          break;
        }
      }
      if (file.splitter.committedOffset !== offsetBefore) {
        await this.#deliver(tracked, file, lines, overlong, false);
      }
      if (atEnd) break;
    }
    return readAny;
  }

  async #deliver(
    tracked: TrackedPath,
    file: OpenFile,
    lines: TailedLine[],
    overlong: number,
    headerReplay: boolean,
  ): Promise<void> {
    if (file.identity.fingerprint === EMPTY_FINGERPRINT && !headerReplay) {
      file.identity.fingerprint = await readFingerprint(file.handle);
    }
    const resumeAt: FileCheckpoint = {
      ...file.identity,
      path: tracked.path,
      offset: file.splitter.committedOffset,
      line: file.splitter.nextLineNumber,
    };
    const batch: LineBatch = {
      file: { ...file.identity },
      lines,
      headerReplay,
      fileStart: file.fileStart,
      overlong,
      endOffset: resumeAt.offset,
      resumeAt,
    };
    file.fileStart = false;
    const handler = this.#handler;
    if (handler === null) throw new Error('tail: no handler');
    try {
      await handler(batch);
    } catch (error) {
      throw new HandlerFailure('handler failed', { cause: error });
    }
    tracked.checkpoint = { ...resumeAt };
  }

  #reportError(path: string, error: unknown, message: string): void {
    const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    const tracked = this.#tracked.get(path);
    // Report a persisting condition once, not every poll.
    if (tracked !== undefined) {
      if (tracked.lastErrorCode === code) return;
      tracked.lastErrorCode = code;
    }
    this.emit('tail-error', new DaemonError('ERR_TAIL', message, { cause: error, meta: { path, code } }));
  }

  #sleep(): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, this.#pollIntervalMs);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  #wakeNow(): void {
    if (this.#wake !== null) this.#wake();
    else this.#wakePending = true;
  }

  async #startWatcher(): Promise<void> {
    const { watch } = await import('chokidar');
    const dirs = new Set<string>();
    for (const pattern of this.#patterns) dirs.add(literalPrefixDir(pattern));
    const watcher = watch([...dirs], { ignoreInitial: true, depth: 2, persistent: true });
    watcher.on('all', () => this.#wakeNow());
    watcher.on('error', (error) => {
      this.emit(
        'tail-error',
        new DaemonError('ERR_TAIL', 'tail: file watcher failed; polling continues', { cause: error }),
      );
    });
    this.#watcher = watcher;
  }

  async #closeAll(): Promise<void> {
    for (const tracked of this.#tracked.values()) {
      if (tracked.open !== null) await closeQuietly(tracked.open.handle);
      tracked.open = null;
    }
    if (this.#watcher !== null) await this.#watcher.close();
    this.#watcher = null;
  }
}

interface SiblingFile {
  path: string;
  dev: string;
  ino: string;
  size: number;
  birthNs: bigint;
  fingerprint: string;
}

/**
 * A lower bound for missed rotations when nothing was read at a path yet: the directory's mtime
 * now, from the same filesystem clock as the birth times it is compared with.
 */
async function directoryBaseline(path: string, startedAtNs: bigint): Promise<FinishedFile | null> {
  try {
    const info = await stat(dirname(path), { bigint: true });
    return { dev: String(info.dev), birthNs: info.mtimeNs < startedAtNs ? info.mtimeNs : startedAtNs, inos: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

function advanceFinished(previous: FinishedFile | null, file: OpenFile): FinishedFile {
  const { dev, ino } = file.identity;
  if (previous !== null && previous.dev === dev && previous.birthNs === file.birthNs) {
    return { dev, birthNs: file.birthNs, inos: [...previous.inos, ino] };
  }
  return { dev, birthNs: file.birthNs, inos: [ino] };
}

function compareBigInt(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fingerprint of an open file, from its first bytes (more only for an unusually long header). */
async function readFingerprint(handle: FileHandle): Promise<string> {
  const probe = Buffer.alloc(HEAD_PROBE_BYTES);
  const first = await handle.read(probe, 0, probe.length, 0);
  const fingerprint = fingerprintFromHead(probe.subarray(0, first.bytesRead));
  if (fingerprint !== EMPTY_FINGERPRINT || first.bytesRead < probe.length) return fingerprint;
  const head = Buffer.alloc(HEAD_MAX_BYTES);
  const second = await handle.read(head, 0, head.length, 0);
  return fingerprintFromHead(head.subarray(0, second.bytesRead));
}

async function closeQuietly(handle: FileHandle): Promise<void> {
  // Closing a read-only fd cannot lose data; a failure here (EBADF after a bug) must not mask
  // the outcome the caller is reporting.
  await handle.close().catch(() => undefined);
}

function identityOf(checkpoint: FileCheckpoint): FileIdentity {
  return {
    path: checkpoint.path,
    dev: checkpoint.dev,
    ino: checkpoint.ino,
    fingerprint: checkpoint.fingerprint,
  };
}

/** Deepest directory of a pattern without glob syntax (what chokidar can watch). */
function literalPrefixDir(pattern: string): string {
  const segments = pattern.split(sep);
  const firstGlob = segments.findIndex((segment) => hasGlobSyntax(segment));
  const literal = firstGlob === -1 ? segments.slice(0, -1) : segments.slice(0, firstGlob);
  const dir = literal.join(sep);
  return dir === '' ? (pattern.startsWith(sep) ? sep : '.') : dir;
}
