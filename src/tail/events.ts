/**
 * What a LogFollower tells its consumer besides the batches: its events and their payloads, and
 * the batch handler's contract.
 */
import type { DaemonError } from '../errors.js';
import type { FileIdentity, LineBatch } from './types.js';

/** Why the follower left a file for another. */
export type RotationReason =
  /** The path now names a different file (renamed away, deleted and recreated, symlink moved). */
  | 'replaced'
  /** The path names nothing (renamed away and not yet recreated, directory moved). */
  | 'removed'
  /** Catch-up finished the checkpointed file from its offset (beside the path or archived). */
  | 'finished-rotated-sibling'
  /** Catch-up read a file rotated after the checkpointed one whole (never seen at the path). */
  | 'finished-missed-rotation';

/** Payload of 'rotated'. */
export interface RotationEvent {
  path: string;
  /** The file that was finished. */
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
  reason: 'shrunk' | 'content-changed';
  /** The copy (copytruncate) from which unread lines were recovered, if one was found. */
  recoveredFrom?: string;
}

/** Payload of 'gap': lines that can no longer be read (their file was deleted before we got there). */
export interface GapEvent {
  path: string;
  /** The file that was being read (its identity as checkpointed). */
  file: FileIdentity;
  /** First byte not read; the rest of the file, to its unknown end, is lost. */
  fromOffset: number;
  /** 1-based line number at fromOffset. */
  fromLine: number;
  /**
   * `deleted` (the default): the file is nowhere to be found. `unreadable`: it is there but
   * cannot be read past `fromOffset` (a cut or corrupt gzip archive that stayed the same over
   * several tries); `detail` says why.
   */
  reason?: 'deleted' | 'unreadable';
  detail?: string;
}

/** Payload of 'read-recovered': a path whose reads had failed is read again. */
export interface ReadRecoveredEvent {
  path: string;
  /** errno (or zlib code) of the failures. */
  code: string;
  /** Consecutive failed tries before this success (retried with backoff). */
  failures: number;
}

/**
 * Payload of 'gap-suspected': the checkpointed file was not found by a look. Nothing is read
 * until a later look finds it, or it has been missing long enough to be declared a 'gap'.
 */
export interface GapSuspectedEvent {
  path: string;
  file: FileIdentity;
  fromOffset: number;
  /** Looks so far that did not find it. */
  looks: number;
}

/** Payload of 'catch-up': what is left to read before the live file (0 files: done). */
export interface CatchUpProgress {
  path: string;
  filesLeft: number;
  /** Bytes on disk left in those files (compressed bytes for .gz). */
  bytesLeft: number;
  /** The file being read now, if any. */
  current: string | null;
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
  gap: [event: GapEvent];
  'gap-suspected': [event: GapSuspectedEvent];
  'catch-up': [event: CatchUpProgress];
  overlong: [event: OverlongEvent];
  /**
   * A recoverable problem (EACCES, EIO…), reported once per errno: the follower retries with a
   * backoff (a poll interval, doubling up to 30 s) from the last position handled.
   */
  'tail-error': [error: DaemonError];
  'read-recovered': [event: ReadRecoveredEvent];
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
