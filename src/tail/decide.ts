/**
 * The follower's decisions as pure functions of what it knew and what stat() shows now, so every
 * rotation case is unit-tested without files or timers.
 */
import { fingerprintsCompatible, headDigestsDiffer } from './fingerprint.js';

/** What stat() of the followed path returned on this poll. */
export type PathObservation =
  | { kind: 'present'; dev: string; ino: string; size: number }
  | { kind: 'missing' }
  /** stat failed for another reason (EACCES mid-rotation, EIO): no conclusion can be drawn. */
  | { kind: 'unknown'; errorCode: string };

/** The file the follower holds open for a path, as of this poll. */
export interface OpenFileView {
  dev: string;
  ino: string;
  /** Fingerprint recorded when the file was opened or first filled in. */
  fingerprint: string;
  /** Fingerprint computed from the open file's head on this poll. */
  fingerprintNow: string;
  /** Head digests (headDigestOf) recorded and on this poll; '' where the file was shorter. */
  headDigest?: string;
  headDigestNow?: string;
  /** Bytes consumed so far (the next read position). */
  readPosition: number;
  /** Size of the open file by fstat on this poll. */
  sizeNow: number;
}

/**
 * - `idle`: nothing open and nothing at the path; wait.
 * - `open`: nothing open but a file is at the path; open it (from a checkpoint or 0).
 * - `read`: the open file is still the path's file and has unread bytes.
 * - `caught-up`: the open file is still the path's file and fully read.
 * - `truncated`: the open file shrank below what was read, or its first record changed (truncated
 *   and regrown between polls, or the inode reused): read it again from 0.
 * - `rotated`: the path now names another file or nothing: finish the open file to its end, then
 *   switch to whatever is at the path.
 */
export type TailDecision = 'idle' | 'open' | 'read' | 'caught-up' | 'truncated' | 'rotated';

/** Decides what to do with one followed path on this poll. */
export function decide(open: OpenFileView | null, observed: PathObservation): TailDecision {
  if (open === null) return observed.kind === 'present' ? 'open' : 'idle';
  if (open.sizeNow < open.readPosition) return 'truncated';
  if (!fingerprintsCompatible(open.fingerprint, open.fingerprintNow)) return 'truncated';
  // Truncated and written again past the read position between two polls, starting alike.
  if (headDigestsDiffer(open.headDigest, open.headDigestNow)) return 'truncated';
  switch (observed.kind) {
    case 'missing':
      return 'rotated';
    case 'present':
      if (observed.dev !== open.dev || observed.ino !== open.ino) return 'rotated';
      break;
    case 'unknown':
      // Keep reading what is open; the next poll decides about the path.
      break;
  }
  return open.sizeNow > open.readPosition ? 'read' : 'caught-up';
}

/** A saved position and the file now found at its path (or beside it), for a restart. */
export interface ResumeCandidate {
  dev: string;
  ino: string;
  size: number;
  fingerprint: string;
}

/**
 * Whether a restart may continue `checkpoint` in `candidate`: same device and inode, the content
 * generation unchanged (fingerprint), and not shorter than the saved offset.
 */
export function canResume(
  checkpoint: { dev: string; ino: string; fingerprint: string; offset: number },
  candidate: ResumeCandidate,
): boolean {
  return (
    candidate.dev === checkpoint.dev &&
    candidate.ino === checkpoint.ino &&
    candidate.size >= checkpoint.offset &&
    fingerprintsCompatible(checkpoint.fingerprint, candidate.fingerprint)
  );
}
