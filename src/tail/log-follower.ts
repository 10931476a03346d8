/**
 * Follows Zeek logs across rotation, archiving, truncation and restarts, delivering each line
 * exactly once (at least once across a crash, from the last saved checkpoint).
 *
 * Program flow: every poll (at most `pollIntervalMs`, which is ≤ 1 s) the follower expands the
 * patterns, stat()s each path (following symlinks afresh, so a re-pointed `logs/current` is seen)
 * and fstat()s the file it holds open, then asks `decide()` what happened:
 * - the same file grew: read it, in bounded batches, awaiting the handler before reading on;
 * - the path names another file or nothing: finish the held file (its inode lives while we hold
 *   the fd, even after archive-log removes it), then catch up;
 * - the held file shrank or its first record changed: catch up from where it stood (logrotate's
 *   copytruncate copy, plain or gzipped), then read it again from 0.
 *
 * Catching up (at start, after every rotation, on truncation, and now and then while the path is
 * missing) lists the files beside the path and in `archives`, and lets `planCatchUp()` decide by
 * content fingerprint which to read: the checkpointed file from its offset (also inside a .gz),
 * every later file whole, in order, then the live file. chokidar, when enabled, only wakes the
 * loop early; stat() is the source of truth.
 *
 * Around it: `rotated-files.ts` looks at the directories, `catch-up.ts` plans, `open-file.ts`
 * reads one file, `events.ts` is what it reports. What is left here (about 840 lines, over the
 * house's 500) is the poll loop and the catch-up driving, kept together because both change the
 * same per-path state (held file, last file read, checkpoint, progress) between awaits; a split
 * would pass that state through a second class for no gain in clarity.
 */
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { DaemonError, messageOf } from '../errors.js';
import { DEFAULT_MAX_LINE_BYTES } from '../zeek/line-splitter.js';
import { confirmGap, planCatchUp, type CatchUpFrom, type CatchUpPlan, type CatchUpStep, type LiveFile, type MissingFile } from './catch-up.js';
import { decide, type OpenFileView, type PathObservation } from './decide.js';
import type { BatchHandler, CatchUpProgress, FileLag, FollowerEventMap, TruncationEvent } from './events.js';
import { EMPTY_FINGERPRINT, fingerprintFromHead, fingerprintOfLine, fingerprintsCompatible, headDigestOf } from './fingerprint.js';
import { expandPattern, hasGlobSyntax } from './glob.js';
import { HEAD_BYTES, openLog, orderKeyFromHead, type OpenedLog } from './log-file.js';
import {
  checkpointOf,
  closeQuietly,
  finalLines,
  contentMarksOf,
  fromCheckpoint,
  headerLinesBefore,
  identityOf,
  identityOfFrom,
  openFileAt,
  readBatch,
  type OnOverlong,
  type OpenFile,
} from './open-file.js';
import { RotatedFiles } from './rotated-files.js';
import type { FileCheckpoint, LineBatch, TailedLine } from './types.js';

/** Options of a LogFollower. */
export interface LogFollowerOptions {
  /** Paths or glob patterns (`*`, `?`, `[...]` per segment) of the logs to follow. */
  patterns: string[];
  /**
   * Globs where rotated files of the followed logs end up (plain or .gz), searched besides the
   * followed file's own directory, in this order (list a pipeline's stages first to last).
   * @default []
   */
  archives?: string[];
  /** Longest wait between two stat polls, 1 to 1000 ms. @default 1000 */
  pollIntervalMs?: number;
  /** Longest line delivered; longer ones are counted and skipped. @default 1048576 */
  maxLineBytes?: number;
  /** Positions saved by a previous run (from `checkpoints()`), to resume from. @default [] */
  checkpoints?: FileCheckpoint[];
  /**
   * For a path without a checkpoint: rotated files modified since this instant (epoch ms) were
   * written after the install and are read whole before the live file. null: none.
   * @default the instant start() is called
   */
  newInstallSinceMs?: number | null;
  /**
   * When `checkpoints` were saved (epoch ms). A checkpoint without a fingerprint (saved before
   * its file's first record, by versions before 0b9caf4, or past a header) names only an inode,
   * which copytruncate keeps for every generation: files rotated since the save tell which
   * generations came after it. null: not known.
   * @default null
   */
  checkpointsSavedAtMs?: number | null;
  /** Let chokidar file events wake the poll loop early. @default false */
  wakeWithChokidar?: boolean;
  /** Bytes read per read() call. @default 65536 */
  readChunkBytes?: number;
  /** Bytes read before a batch is handed over (bounds memory per batch). @default 262144 */
  maxBatchBytes?: number;
  /** How long a gzip archive must keep failing the same way before its rest is lost (tests shorten it). @default 5000 */
  brokenArchiveAfterMs?: number;
}

interface TrackedPath {
  path: string;
  /** The file held open at the path (the live file). */
  open: OpenFile | null;
  /** The file read last and where, for catch-up; null before anything was read here. */
  last: CatchUpFrom | null;
  /** A catch-up is due before the next file at the path is taken. */
  catchUpDue: boolean;
  lastCatchUpMs: number;
  checkpoint: FileCheckpoint | null;
  progress: CatchUpProgress | null;
  /** The checkpointed file, while looks do not find it (see confirmGap). */
  missing: MissingFile | null;
  missingReported: boolean;
  lastErrorCode: string | null;
  /** errno of the last failed read of this path (a stat may succeed while every open fails). */
  lastReadErrorCode?: string | null;
  /** Consecutive failed polls of this path, and when (performance.now()) to try again. */
  readFailures: number;
  retryAtMs: number;
}

class HandlerFailure extends Error {}

/** How a catch-up ended: its plan, read to the end, or why not (see #runCatchUp). */
type CatchUpOutcome = CatchUpPlan | 'stopped' | 'live-changed' | 'look-again';

/** How often a missing path's directory and archives are looked at for files that came and went. */
const MISSING_RESCAN_MS = 2000;
/** Batches read from one file per pass before the other files get their turn. */
const BATCHES_PER_TURN = 4;
/** How far before start() a file's mtime may lie and still count as written after it. */
const START_MARGIN_MS = 50;
/** Re-plans in one catch-up when a planned file moved on (archived) before it was opened. */
const MAX_REPLANS = 5;
/** Longest wait between two tries of a path whose reads keep failing. */
const READ_RETRY_MAX_MS = 30_000;
/**
 * A gzip archive that fails at the same place, unchanged (size, mtime), on this many tries over
 * at least this long is cut or corrupt for good: its rest is declared lost and reading goes on.
 * (An archive still being written changes size; archive-log keeps the plain copy until then.)
 */
const BROKEN_ARCHIVE = { tries: 2, ms: 5000 } as const;
const NEWLINE = Buffer.from('\n');
/** Slack for coarse mtimes when comparing them with an instant of ours. */
const MTIME_SLACK_MS = 20;

/** Follows one or more Zeek logs with rotation-safe, checkpointed, back-pressured delivery. */
export class LogFollower extends EventEmitter<FollowerEventMap> {
  readonly #patterns: string[];
  readonly #pollIntervalMs: number;
  readonly #maxLineBytes: number;
  readonly #readChunkBytes: number;
  readonly #maxBatchBytes: number;
  readonly #wakeWithChokidar: boolean;
  readonly #brokenArchiveAfterMs: number;
  #newInstallSinceMs: number | null | undefined;
  readonly #checkpointsSavedAtMs: number | null;
  readonly #tracked = new Map<string, TrackedPath>();
  readonly #resumeByPath = new Map<string, FileCheckpoint>();
  readonly #rotatedFiles: RotatedFiles;
  #handler: BatchHandler | null = null;
  #running: Promise<void> | null = null;
  #stopRequested = false;
  #wakePending = false;
  #wake: (() => void) | null = null;
  #lastExpansion = -Infinity;
  /** Archives whose reading failed, by identity and state: where, since when, how often. */
  readonly #brokenArchives = new Map<string, { offset: number; firstMs: number; tries: number }>();
  /** Polls completed (see caughtUp). */
  #passes = 0;
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
    this.#rotatedFiles = new RotatedFiles([...(options.archives ?? [])]);
    this.#pollIntervalMs = pollIntervalMs;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#readChunkBytes = options.readChunkBytes ?? 64 * 1024;
    this.#maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.#wakeWithChokidar = options.wakeWithChokidar ?? false;
    this.#brokenArchiveAfterMs = options.brokenArchiveAfterMs ?? BROKEN_ARCHIVE.ms;
    this.#newInstallSinceMs = options.newInstallSinceMs;
    const savedAt = options.checkpointsSavedAtMs ?? null;
    this.#checkpointsSavedAtMs = savedAt !== null && Number.isFinite(savedAt) ? savedAt : null;
    for (const checkpoint of options.checkpoints ?? []) {
      this.#resumeByPath.set(checkpoint.path, { ...checkpoint });
    }
  }

  /** Starts following; `handler` is awaited for each batch before more is read. */
  start(handler: BatchHandler): void {
    if (this.#running !== null) throw new DaemonError('ERR_TAIL', 'tail: already started');
    // Files written from here on are ours, even one created and rotated away before the first poll.
    if (this.#newInstallSinceMs === undefined) this.#newInstallSinceMs = Date.now() - START_MARGIN_MS;
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
      if (tracked.checkpoint !== null) result.set(tracked.path, { ...tracked.checkpoint });
    }
    if (handled !== undefined) result.set(handled.resumeAt.path, { ...handled.resumeAt });
    return [...result.values()];
  }

  /** Bytes written but not yet handled, per open live file (size at the last poll − handled offset). */
  lag(): FileLag[] {
    const result: FileLag[] = [];
    for (const tracked of this.#tracked.values()) {
      const file = tracked.open;
      if (file === null) continue;
      result.push({ path: tracked.path, bytes: Math.max(0, file.sizeNow - file.splitter.committedOffset) });
    }
    return result;
  }

  /**
   * Whether everything there was to read when the last poll looked has been handled: a poll has
   * run, no catch-up is due, running or waiting on a missing file, and no live file has unread
   * bytes. Inside the handler, the batch being handled counts as read.
   */
  caughtUp(): boolean {
    if (this.#passes === 0) return false;
    for (const tracked of this.#tracked.values()) {
      if (tracked.catchUpDue || tracked.progress !== null || tracked.missing !== null) return false;
      const file = tracked.open;
      if (file !== null && file.sizeNow > file.splitter.committedOffset) return false;
    }
    return true;
  }

  /** Catch-ups in progress (files and bytes left before the live file), one per path catching up. */
  catchUpProgress(): CatchUpProgress[] {
    const result: CatchUpProgress[] = [];
    for (const tracked of this.#tracked.values()) if (tracked.progress !== null) result.push({ ...tracked.progress });
    return result;
  }

  async #run(): Promise<void> {
    try {
      if (this.#wakeWithChokidar) await this.#startWatcher();
      while (!this.#stopRequested) {
        const busy = await this.#pass();
        this.#passes += 1;
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
      if (performance.now() < tracked.retryAtMs) continue;
      try {
        if (await this.#step(tracked)) busy = true;
        if (tracked.readFailures > 0) {
          this.emit('read-recovered', { path: tracked.path, code: tracked.lastReadErrorCode ?? 'UNKNOWN', failures: tracked.readFailures });
        }
        tracked.lastReadErrorCode = null;
        tracked.readFailures = 0;
        tracked.retryAtMs = 0;
      } catch (error) {
        if (error instanceof HandlerFailure) throw error;
        // A read failing mid-rotation (EIO, ESTALE on NFS, an unreadable archive…): report once
        // and retry on the next poll (not at once: a persisting error must not spin the loop),
        // from the last position handled. The successful stat of every poll does not count as
        // a change: an unreadable file (EACCES) is reported once, not once per poll.
        const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
        if (tracked.lastReadErrorCode !== code) {
          tracked.lastReadErrorCode = code;
          tracked.lastErrorCode = null;
          this.#reportError(tracked.path, error, `tail: cannot read ${tracked.path}: ${messageOf(error)}; retrying with backoff (up to every ${READ_RETRY_MAX_MS / 1000} s) from the last position handled`);
        }
        // Back off: a file that stays unreadable must not cost an open (or a gzip inflated from
        // its start) at every poll.
        tracked.readFailures += 1;
        tracked.retryAtMs = performance.now() + Math.min(this.#pollIntervalMs * 2 ** (tracked.readFailures - 1), READ_RETRY_MAX_MS);
        await this.#dropOpen(tracked);
        tracked.catchUpDue = true;
        tracked.progress = null;
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
          last: resume === undefined ? null : { ...fromCheckpoint(resume), ...(this.#checkpointsSavedAtMs === null ? {} : { savedAtMs: this.#checkpointsSavedAtMs }) },
          catchUpDue: true,
          lastCatchUpMs: 0,
          checkpoint: resume === undefined ? null : { ...resume },
          progress: null,
          missing: null,
          missingReported: false,
          lastErrorCode: null,
          readFailures: 0,
          retryAtMs: 0,
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
    let previousSize = 0;
    let dataOffsetNow = -1;
    if (file !== null) {
      try {
        previousSize = file.sizeNow;
        file.sizeNow = Number((await file.opened.handle.stat({ bigint: true })).size);
        const marks = await contentMarksOf(file.opened.reader);
        dataOffsetNow = marks.dataOffset;
        view = {
          dev: file.identity.dev,
          ino: file.identity.ino,
          fingerprint: file.identity.fingerprint,
          fingerprintNow: marks.fingerprint,
          headDigest: file.headDigest,
          headDigestNow: marks.headDigest,
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
      case 'idle': {
        if (!tracked.missingReported) {
          tracked.missingReported = true;
          this.emit('file-missing', { path: tracked.path });
        }
        // Files may have come and gone (created and rotated between two polls, or the saved
        // file rotated while we were stopped): look now and then.
        const due = tracked.catchUpDue || Date.now() - tracked.lastCatchUpMs >= MISSING_RESCAN_MS;
        if (!due) return false;
        return this.#catchUp(tracked, null);
      }
      case 'open':
        tracked.missingReported = false;
        return this.#openAtPath(tracked);
      case 'read':
      case 'caught-up': {
        if (file === null || view === null) return false;
        if (file.identity.fingerprint === EMPTY_FINGERPRINT && view.fingerprintNow !== EMPTY_FINGERPRINT) {
          // Held with nothing of it handled (empty, or a first line not complete) and now with a
          // first record: under copytruncate a whole generation may have been written and copied
          // away since the last poll, and this record may be the next one's. The catch-up of a
          // new file looks for such a copy (from the file finished before, which the checkpoint
          // still names) before this one is read from its start.
          if (file.readFromStart && file.splitter.committedOffset === 0) {
            await this.#dropOpen(tracked);
            return this.#openAtPath(tracked);
          }
          // Only header lines handled, and a record now starts inside them: the file was
          // truncated and written again past them (copytruncate between two polls).
          if (file.readFromStart && dataOffsetNow !== -1 && dataOffsetNow < file.splitter.committedOffset) {
            await this.#restartTruncated(tracked, file, view, previousSize);
            return true;
          }
          file.identity.fingerprint = view.fingerprintNow;
          file.key = orderKeyFromHead(await file.opened.reader.head(HEAD_BYTES));
          // Only a checkpoint into this file (not the one finished before it, see #beginReading).
          const checkpoint = tracked.checkpoint;
          if (checkpoint !== null && checkpoint.fingerprint === EMPTY_FINGERPRINT && checkpoint.dev === file.identity.dev && checkpoint.ino === file.identity.ino) {
            Object.assign(checkpoint, { fingerprint: view.fingerprintNow, ...file.key });
          }
        }
        // The file reached 4 KiB: the digest tells it from a later file that starts alike.
        if (file.headDigest === '' && view.headDigestNow !== undefined && view.headDigestNow !== '' && file.identity.fingerprint === view.fingerprintNow) {
          file.headDigest = view.headDigestNow;
          const checkpoint = tracked.checkpoint;
          if (checkpoint !== null && checkpoint.dev === file.identity.dev && checkpoint.ino === file.identity.ino && checkpoint.fingerprint === file.identity.fingerprint && checkpoint.headDigest === undefined) {
            checkpoint.headDigest = file.headDigest;
          }
        }
        if (decision === 'caught-up') return false;
        return this.#readBatches(tracked, file, BATCHES_PER_TURN);
      }
      case 'truncated':
        if (file === null || view === null) return false;
        await this.#restartTruncated(tracked, file, view, previousSize);
        return true;
      case 'rotated':
        if (file === null) return false;
        // Due already while the held file is finished: files after it are known to be coming.
        tracked.catchUpDue = true;
        if (!(await this.#finishFile(tracked, file))) return false;
        this.emit('rotated', {
          path: tracked.path,
          from: { ...file.identity },
          reason: observed.kind === 'missing' ? 'removed' : 'replaced',
        });
        tracked.catchUpDue = true;
        return true;
    }
  }

  async #observe(tracked: TrackedPath): Promise<PathObservation> {
    try {
      const info = await stat(tracked.path, { bigint: true });
      if (!info.isFile()) {
        throw Object.assign(new Error(`${tracked.path} is not a regular file`), { code: 'ENOTFILE' });
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

  /** A file appeared at the path: catch up on what came before it, then read it. */
  async #openAtPath(tracked: TrackedPath): Promise<boolean> {
    const opened = await openLog(tracked.path);
    // Gone again between stat and open (rotation in progress): the next poll sorts it out.
    if (opened === null) return false;
    const live: LiveFile = { dev: opened.info.dev, ino: opened.info.ino, fingerprint: opened.info.fingerprint, size: opened.info.sizeOnDisk, headDigest: opened.info.headDigest ?? '' };
    let plan: CatchUpOutcome;
    try {
      plan = await this.#runCatchUp(tracked, live, opened);
    } catch (error) {
      await closeQuietly(opened);
      throw error;
    }
    if (typeof plan !== 'object' || this.#stopRequested) {
      // Stopped: the checkpoint must keep pointing into the older file being finished. Changed:
      // rotated or truncated while we caught up, so its content is now a rotated file we have not
      // read; the next pass plans again from the last file finished. Look again: at the next poll.
      await closeQuietly(opened);
      if (plan === 'live-changed') tracked.catchUpDue = true;
      return plan === 'live-changed';
    }
    const start = plan.live ?? { offset: 0, line: 1 };
    if (!plan.resumedLive) this.emit('file-added', identityOf(tracked.path, opened.info));
    await this.#beginReading(tracked, opened, start.offset, start.line);
    return true;
  }

  /** Whether `opened` still is the file at the path with the content the catch-up planned around. */
  async #stillLive(tracked: TrackedPath, opened: OpenedLog, planned: LiveFile): Promise<boolean> {
    const marks = await contentMarksOf(opened.reader);
    const now = marks.fingerprint;
    if (!fingerprintsCompatible(planned.fingerprint, now)) return false;
    if (planned.headDigest !== undefined && planned.headDigest !== '' && marks.headDigest !== planned.headDigest) return false;
    // Planned around an empty live file that now has a first line: under copytruncate that line
    // may belong to a later generation, the one in between having been copied away meanwhile, so
    // the plan (which did not know of that copy) must be made again.
    if (planned.fingerprint === EMPTY_FINGERPRINT && now !== EMPTY_FINGERPRINT) return false;
    const observed = await this.#observe(tracked);
    return observed.kind === 'present' && observed.dev === planned.dev && observed.ino === planned.ino;
  }

  /** Catch-up while nothing is at the path; returns whether anything was read. */
  async #catchUp(tracked: TrackedPath, live: LiveFile | null): Promise<boolean> {
    const plan = await this.#runCatchUp(tracked, live, null);
    return typeof plan === 'object' && plan.steps.length > 0;
  }

  /**
   * Plans and reads everything due before `live`: the checkpointed file's rest, then later files
   * whole. `held` is the live file, held open: if it changes while we catch up (rotated, or
   * truncated by copytruncate) the plan no longer holds and 'live-changed' is returned.
   * 'look-again': the files were moving while they were looked at, or the checkpointed file was
   * not found and may only have been missed (see confirmGap); nothing was read, and the next
   * poll looks again.
   */
  async #runCatchUp(tracked: TrackedPath, live: LiveFile | null, held: OpenedLog | null): Promise<CatchUpOutcome> {
    tracked.lastCatchUpMs = Date.now();
    for (let attempt = 0; ; attempt += 1) {
      const listing = await this.#rotatedFiles.look(tracked.path, live, (path) => this.#tracked.has(path));
      if (!listing.settled) {
        // A name listed was gone when it was looked at: what it held may now be under a name the
        // listing did not have. Look again at once (a rename is over in microseconds).
        if (attempt < MAX_REPLANS) continue;
        return this.#lookAgain(tracked, null);
      }
      // The plan puts every file found before the live file, which holds only if the live file
      // was still at the path after the look: else it may have been rotated during the look,
      // and files written after it found (a storm faster than the poll lost a whole file so).
      const stillLive = held === null || live === null ? null : () => this.#stillLive(tracked, held, live);
      if (stillLive !== null && !(await stillLive())) return 'live-changed';
      const plan = planCatchUp({
        from: tracked.last,
        candidates: listing.candidates,
        live,
        // Nothing read here yet: what was rotated since the install is ours.
        ...(tracked.last === null && this.#newInstallSinceMs !== null && this.#newInstallSinceMs !== undefined
          ? { newerThanMs: this.#newInstallSinceMs }
          : {}),
        // Archives cannot say which of several followed logs a file belongs to.
        laterFromArchives: this.#patternsFollowOneLog(),
      });
      if (plan.gap === null) tracked.missing = null;
      else {
        const { file, fromOffset } = plan.gap;
        const { declare, missing } = confirmGap(tracked.missing, plan.gap, Date.now());
        if (!declare) {
          tracked.missing = missing;
          this.emit('gap-suspected', { path: tracked.path, file: identityOfFrom(file), fromOffset, looks: missing.looks });
          return this.#lookAgain(tracked, plan);
        }
        tracked.missing = null;
        this.emit('gap', { path: tracked.path, file: identityOfFrom(file), fromOffset, fromLine: file.line });
        tracked.last = { ...file, finished: true };
        if (tracked.checkpoint !== null) tracked.checkpoint.finished = true;
      }
      const completed = await this.#readSteps(tracked, plan.steps, stillLive);
      if (completed === 'stopped' || completed === 'live-changed') return completed;
      if (completed === 'done') {
        tracked.catchUpDue = false;
        return plan;
      }
      // Files keep moving under us: never take a plan half-read for done; try again at the next
      // poll, from the last file finished.
      if (attempt >= MAX_REPLANS) return 'live-changed';
      // A planned file moved on (into the archive) before we opened it: look again. Every file
      // planned is older than the live content planned around; if that changed meanwhile, its old
      // content is a rotated file now and must be planned as one.
      if (stillLive !== null && !(await stillLive())) return 'live-changed';
    }
  }

  /**
   * A catch-up put off to the next poll. It stays visible as in progress (status, and the
   * daemon's "caught up" test): files are known to be left.
   */
  #lookAgain(tracked: TrackedPath, plan: CatchUpPlan | null): 'look-again' {
    tracked.catchUpDue = true;
    const steps = plan?.steps ?? [];
    tracked.progress = {
      path: tracked.path,
      filesLeft: steps.length + 1,
      bytesLeft: steps.reduce((sum, s) => sum + s.file.sizeOnDisk, 0),
      current: null,
    };
    return 'look-again';
  }

  async #readSteps(
    tracked: TrackedPath,
    steps: CatchUpStep[],
    stillLive: (() => Promise<boolean>) | null,
  ): Promise<'done' | 'moved' | 'stopped' | 'live-changed'> {
    if (steps.length === 0) {
      if (tracked.progress !== null) this.#progressDone(tracked);
      return 'done';
    }
    try {
      for (let index = 0; index < steps.length; index += 1) {
        const step = steps[index] as CatchUpStep;
        tracked.progress = {
          path: tracked.path,
          filesLeft: steps.length - index,
          bytesLeft: steps.slice(index).reduce((sum, s) => sum + s.file.sizeOnDisk - (s.file.compressed ? 0 : s.offset), 0),
          current: step.file.path,
        };
        this.emit('catch-up', { ...tracked.progress });
        const opened = await openLog(step.file.path);
        if (opened === null || opened.info.fingerprint !== step.file.fingerprint) {
          if (opened !== null) await closeQuietly(opened);
          return 'moved';
        }
        let file: OpenFile | null = null;
        try {
          file = await this.#beginReading(tracked, opened, step.offset, step.line, false);
          if (!(await this.#finishFile(tracked, file))) return 'stopped';
        } catch (error) {
          // (#finishFile closes the file; a failure before it, in the header replay, does not.)
          if (file === null) await closeQuietly(opened);
          if (!this.#brokenForGood(tracked, step, opened, error)) throw error;
          continue;
        }
        this.emit('rotated', {
          path: tracked.path,
          from: { ...file.identity },
          reason: step.offset > 0 ? 'finished-rotated-sibling' : 'finished-missed-rotation',
        });
      }
      // Read to here while the live file changed: its old content is a rotated file now.
      return stillLive !== null && !(await stillLive()) ? 'live-changed' : 'done';
    } finally {
      this.#progressDone(tracked);
    }
  }

  /**
   * Whether the archive `step` failed (`error`) the same way often and long enough to be cut or
   * corrupt for good (see BROKEN_ARCHIVE). If so its rest is a gap, logged and counted like a
   * deleted file, and the checkpoint moves past it: the files after it are read.
   */
  #brokenForGood(tracked: TrackedPath, step: CatchUpStep, opened: OpenedLog, error: unknown): boolean {
    if (!step.file.compressed || !isGzipFailure(error)) return false;
    const key = `${step.file.dev}:${step.file.ino}:${step.file.sizeOnDisk}:${step.file.mtimeMs}`;
    // #beginReading set the checkpoint into this file; each batch delivered moved it on.
    const at = tracked.checkpoint;
    if (at === null) return false;
    const now = Date.now();
    const known = this.#brokenArchives.get(key);
    const seen = known !== undefined && known.offset === at.offset ? { ...known, tries: known.tries + 1 } : { offset: at.offset, firstMs: now, tries: 1 };
    this.#brokenArchives.set(key, seen);
    if (seen.tries < BROKEN_ARCHIVE.tries || now - seen.firstMs < this.#brokenArchiveAfterMs) return false;
    this.#brokenArchives.delete(key);
    this.emit('gap', { path: tracked.path, file: identityOf(opened.info.path, opened.info), fromOffset: at.offset, fromLine: at.line, reason: 'unreadable', detail: messageOf(error) });
    tracked.checkpoint = { ...at, finished: true };
    tracked.last = fromCheckpoint(tracked.checkpoint);
    return true;
  }

  #progressDone(tracked: TrackedPath): void {
    tracked.progress = null;
    this.emit('catch-up', { path: tracked.path, filesLeft: 0, bytesLeft: 0, current: null });
  }

  #patternsFollowOneLog(): boolean {
    return this.#patterns.length === 1 && !hasGlobSyntax(this.#patterns[0] as string);
  }

  async #beginReading(tracked: TrackedPath, opened: OpenedLog, offset: number, line: number, live = true): Promise<OpenFile> {
    const file = openFileAt(opened, offset, line, this.#maxLineBytes);
    if (live) tracked.open = file;
    // Nothing read yet of a file whose first record is not complete: no position to save names
    // it. Its inode alone does not: logrotate's copytruncate keeps the inode for every
    // generation, so a restart would take whatever generation is live then for this one and skip
    // those rotated in between. The position before it (the file finished last) stays, and a
    // restart reads every file after that one; the first delivered batch names this one.
    if (offset === 0 && file.identity.fingerprint === EMPTY_FINGERPRINT) return file;
    // The checkpoint names the followed path even while a rotated file is being finished: a
    // restart finds the saved file from the path it follows and its fingerprint, never its name.
    tracked.checkpoint = checkpointOf(tracked.path, file, offset, line, false);
    tracked.last = fromCheckpoint(tracked.checkpoint);
    if (offset > 0) {
      // The decoder needs the schema of a file resumed past its header.
      const header = await headerLinesBefore(file, offset, this.#maxLineBytes);
      if (header.length > 0) await this.#deliver(tracked, file, header, 0, true);
    }
    return file;
  }

  /**
   * "Finish this file": it was rotated away (or is a rotated file being caught up), so it will
   * not grow: read it to its end, deliver an unterminated last line too, close it, and remember
   * it as the last file read. Returns false when stopped half-way (the checkpoint stays inside).
   */
  async #finishFile(tracked: TrackedPath, file: OpenFile): Promise<boolean> {
    try {
      while (!this.#stopRequested) {
        if (!(await this.#readBatches(tracked, file, BATCHES_PER_TURN))) break;
      }
      if (this.#stopRequested) return false;
      const last = finalLines(file, this.#onOverlong(file));
      if (last !== null) await this.#deliver(tracked, file, last.lines, last.overlong, false);
      const garbage = file.opened.reader.trailingGarbage;
      if (garbage) {
        this.emit('tail-error', new DaemonError('ERR_TAIL', `tail: ${file.identity.path}: ${garbage.detail}; every line before it (up to line ${file.splitter.nextLineNumber - 1}) was read`, { meta: { path: file.identity.path, offset: garbage.offset } }));
      }
      const checkpoint = checkpointOf(tracked.path, file, file.splitter.committedOffset, file.splitter.nextLineNumber, true);
      tracked.checkpoint = checkpoint;
      tracked.last = fromCheckpoint(checkpoint);
      return true;
    } finally {
      if (tracked.open === file) tracked.open = null;
      await closeQuietly(file.opened);
    }
  }

  /**
   * The held file shrank or changed its first record. Catch up from where it stood (logrotate's
   * copytruncate copy holds the unread rest, plain or gzipped), then read it again from 0.
   */
  async #restartTruncated(tracked: TrackedPath, file: OpenFile, view: OpenFileView, previousSize: number): Promise<void> {
    const previousOffset = file.splitter.committedOffset;
    // Nothing unread when it was truncated (Zeek restarted in place): no gap if no copy is found.
    const nothingKnownUnread = previousSize <= previousOffset;
    tracked.last = { ...fromCheckpoint(checkpointOf(tracked.path, file, previousOffset, file.splitter.nextLineNumber, false)), nothingKnownUnread };
    // Only its header was handled: no fingerprint names its copy, which is among the files copied
    // since it was opened.
    if (file.identity.fingerprint === EMPTY_FINGERPRINT) Object.assign(tracked.last, { replaced: true, savedAtMs: file.openedAtMs - MTIME_SLACK_MS });
    const live: LiveFile = { dev: file.identity.dev, ino: file.identity.ino, fingerprint: view.fingerprintNow, size: view.sizeNow, headDigest: view.headDigestNow ?? '' };
    tracked.open = null;
    let recoveredFrom: string | undefined;
    try {
      const plan = await this.#runCatchUp(tracked, live, file.opened);
      if (typeof plan !== 'object') {
        // Truncated again (or rotated) while we caught up, or the copy not found yet: plan again
        // from the last file finished.
        await closeQuietly(file.opened);
        if (plan === 'live-changed') tracked.catchUpDue = true;
        return;
      }
      recoveredFrom = plan.steps[0]?.file.path;
      // Everything before the live file is read. With no copy to read (truncated in place after
      // all was read), the checkpoint still names the old content: it is done, not a gap, should
      // a restart come before the first line of the new content names the file again.
      const checkpoint = tracked.checkpoint;
      if (checkpoint !== null && checkpoint.dev === file.identity.dev && checkpoint.ino === file.identity.ino) checkpoint.finished = true;
    } catch (error) {
      await closeQuietly(file.opened);
      throw error;
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
    const head = await file.opened.reader.head(HEAD_BYTES);
    file.opened.info = { ...file.opened.info, fingerprint: fingerprintFromHead(head), headDigest: headDigestOf(head), ...orderKeyFromHead(head), sizeOnDisk: view.sizeNow };
    await this.#beginReading(tracked, file.opened, 0, 1);
  }

  /** Reads and delivers up to `maxBatches` batches; returns whether any byte was read. */
  async #readBatches(tracked: TrackedPath, file: OpenFile, maxBatches: number): Promise<boolean> {
    let readAny = false;
    for (let batch = 0; batch < maxBatches && !this.#stopRequested; batch += 1) {
      const offsetBefore = file.splitter.committedOffset;
      const read = await readBatch(file, this.#readChunkBytes, this.#maxBatchBytes, this.#onOverlong(file));
      if (read.readAny) readAny = true;
      if (file.splitter.committedOffset !== offsetBefore) await this.#deliver(tracked, file, read.lines, read.overlong, false);
      if (read.atEnd) break;
    }
    return readAny;
  }

  #onOverlong(file: OpenFile): OnOverlong {
    return (line, offset, lengthBytes) => this.emit('overlong', { path: file.identity.path, line, offset, lengthBytes });
  }

  async #deliver(tracked: TrackedPath, file: OpenFile, lines: TailedLine[], overlong: number, headerReplay: boolean): Promise<void> {
    if (file.identity.fingerprint === EMPTY_FINGERPRINT && !headerReplay) await this.#fillIdentity(file, lines);
    const resumeAt = checkpointOf(tracked.path, file, file.splitter.committedOffset, file.splitter.nextLineNumber, false);
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
    tracked.last = fromCheckpoint(resumeAt);
  }

  /**
   * Names a file read from before its first record by the first record delivered. Not by a fresh
   * look at the head: under copytruncate the file may hold the next generation by now, and a
   * fingerprint of that would make the next poll read it on from this one's offset, losing this
   * one's rest (copied away) and the next one's start. Only when that first record was an
   * over-long line (skipped, its bytes not kept) or reading began past the start (an old
   * checkpoint without a fingerprint) is the head all there is to go by.
   */
  async #fillIdentity(file: OpenFile, lines: TailedLine[]): Promise<void> {
    const first = file.readFromStart ? lines.find((line) => line.bytes[0] !== 0x23 /* # */) : undefined;
    if (first !== undefined && first.offset < file.firstSkippedRecordOffset) {
      file.identity.fingerprint = fingerprintOfLine(first.bytes);
      const delivered = Buffer.concat(lines.flatMap((line) => [line.bytes, NEWLINE]));
      const key = orderKeyFromHead(delivered.subarray(0, HEAD_BYTES));
      file.key = { openStamp: key.openStamp ?? file.key.openStamp, firstTs: key.firstTs };
      return;
    }
    // Nothing but header lines so far: still no record to name the file by.
    if (first === undefined && file.readFromStart && file.firstSkippedRecordOffset === Infinity) return;
    const head = await file.opened.reader.head(HEAD_BYTES);
    file.identity.fingerprint = fingerprintFromHead(head);
    file.key = orderKeyFromHead(head);
  }

  async #dropOpen(tracked: TrackedPath): Promise<void> {
    if (tracked.open === null) return;
    await closeQuietly(tracked.open.opened);
    tracked.open = null;
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
      this.emit('tail-error', new DaemonError('ERR_TAIL', 'tail: file watcher failed; polling continues', { cause: error }));
    });
    this.#watcher = watcher;
  }

  async #closeAll(): Promise<void> {
    for (const tracked of this.#tracked.values()) await this.#dropOpen(tracked);
    if (this.#watcher !== null) await this.#watcher.close();
    this.#watcher = null;
  }
}

/** Whether `error` (or its cause) is a gzip stream that cannot be inflated (cut, corrupt). */
function isGzipFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ('gzipProblem' in error || String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) return true;
  return 'cause' in error && isGzipFailure(error.cause);
}

/** Deepest directory of a pattern without glob syntax (what chokidar can watch). */
function literalPrefixDir(pattern: string): string {
  const segments = pattern.split(sep);
  const firstGlob = segments.findIndex((segment) => hasGlobSyntax(segment));
  const literal = firstGlob === -1 ? segments.slice(0, -1) : segments.slice(0, firstGlob);
  const dir = literal.join(sep);
  return dir === '' ? (pattern.startsWith(sep) ? sep : '.') : dir;
}
