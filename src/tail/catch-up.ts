/**
 * Rotation discovery as a pure function: given where reading of one followed log stands (the
 * checkpointed file), the files now found where that log's rotated files go (beside it, and the
 * configured archives), and the file now at the followed path, which files must be read, from
 * where, in which order. Identity is the content fingerprint, never the name: Zeek, zeekctl, the
 * supervisor, zeek-archiver and logrotate all rename, and logrotate reuses names (`.1.gz`).
 */
import { compareLogOrder, type LogFileInfo, type LogOrderKey } from './log-file.js';
import { EMPTY_FINGERPRINT, sameContent } from './fingerprint.js';

/** Where reading stood: the file last read at the path and the position in it. */
export interface CatchUpFrom extends LogOrderKey {
  path: string;
  dev: string;
  ino: string;
  fingerprint: string;
  offset: number;
  line: number;
  /** Read to its end after it was rotated away: nothing more will come from it. */
  finished: boolean;
  /**
   * Not finished, but nothing unread was known when it went away (truncated in place after we
   * had read all it held): if it cannot be found, that is no gap.
   */
  nothingKnownUnread?: boolean;
  /**
   * When this position was saved (epoch ms), for one restored at start, or when its file was
   * opened, for one `replaced` (see planCatchUp).
   */
  savedAtMs?: number;
  /**
   * No fingerprint, and its file (the live inode) was truncated and written again after only its
   * header was handled: the live content is a later generation.
   */
  replaced?: boolean;
  /** See FileCheckpoint.headDigest. */
  headDigest?: string;
}

/** A rotated or archived file that may hold lines of the followed log. */
export interface CatchUpCandidate extends LogFileInfo {
  /** Beside the followed path (Zeek's rename) or found through `[input] archives`. */
  origin: 'beside' | 'archive';
}

/** The file now at the followed path. */
export interface LiveFile {
  dev: string;
  ino: string;
  fingerprint: string;
  size: number;
  headDigest?: string;
}

export interface CatchUpInput {
  /** null: nothing was ever read at this path (a new install, or a path that just appeared). */
  from: CatchUpFrom | null;
  candidates: readonly CatchUpCandidate[];
  live: LiveFile | null;
  /**
   * For `from = null`: files modified at or after this instant (epoch ms) were written since the
   * install and are read whole; older ones predate it (they only seed training). Unset: none.
   */
  newerThanMs?: number;
  /** Whether archives may supply later files too (not only the checkpointed one). @default true */
  laterFromArchives?: boolean;
}

/** One file to read: from `offset`/`line` to its end. */
export interface CatchUpStep {
  file: CatchUpCandidate;
  offset: number;
  line: number;
}

/** Lines that can no longer be read: the checkpointed file is nowhere to be found. */
export interface CatchUpGap {
  file: CatchUpFrom;
  /** First unread byte; everything from here to the file's (unknown) end is lost. */
  fromOffset: number;
}

export interface CatchUpPlan {
  /** Files to read first, in order. */
  steps: CatchUpStep[];
  /** Where to start in the live file: the checkpoint when it is the live file, else 0. */
  live: { offset: number; line: number } | null;
  gap: CatchUpGap | null;
  /** The live file is the checkpointed one (nothing rotated since). */
  resumedLive: boolean;
}

/** Slack for coarse mtimes when comparing with an install instant. */
const MTIME_SLACK_MS = 20;

/** Decides what to read after a restart or a rotation (see the module comment). */
export function planCatchUp(input: CatchUpInput): CatchUpPlan {
  const { from, live } = input;
  const candidates = uniqueByContent(input.candidates, live);

  if (from !== null && live !== null && isSameFile(from, live) && (live.size >= from.offset || from.replaced === true)) {
    if (from.fingerprint === EMPTY_FINGERPRINT && live.fingerprint !== EMPTY_FINGERPRINT) {
      // A position saved before its file's first record names only the inode, and under
      // copytruncate every generation has that inode: the live records may be of a later one.
      // Copies rotated since the position was saved hold generations written after it (the one
      // it was in, which had no record yet then, and any after); a finished one's own copy (same
      // `#open`) was read before it was marked so.
      const savedAtMs = from.savedAtMs;
      const key = { openStamp: from.openStamp, firstTs: from.firstTs };
      const since =
        savedAtMs === undefined
          ? []
          : candidates.filter((c) => c.mtimeMs > savedAtMs && compareLogOrder(c, key) > 0 && !(from.finished && from.openStamp !== null && c.openStamp === from.openStamp));
      since.sort(compareLogOrder);
      // Finished (truncated away after it was read) or replaced: whatever is live now is later,
      // from its start.
      if (since.length > 0 || from.finished || from.replaced === true) {
        return { steps: since.map((file) => ({ file, offset: 0, line: 1 })), live: { offset: 0, line: 1 }, gap: null, resumedLive: false };
      }
    }
    return { steps: [], live: { offset: from.offset, line: from.line }, gap: null, resumedLive: true };
  }

  const steps: CatchUpStep[] = [];
  let gap: CatchUpGap | null = null;
  let later: CatchUpCandidate[];
  const laterAllowed = (c: CatchUpCandidate): boolean => input.laterFromArchives !== false || c.origin === 'beside';
  if (from === null) {
    const since = input.newerThanMs;
    later = since === undefined ? [] : candidates.filter((c) => c.mtimeMs >= since - MTIME_SLACK_MS && laterAllowed(c));
  } else {
    // Files that start alike but differ later are told apart by their head digest; a saved
    // position from before the file had one matches each of them: the renamed file (same inode)
    // is the likelier one.
    const found = candidates.find((c) => isSameFile(from, c) && c.dev === from.dev && c.ino === from.ino) ?? candidates.find((c) => isSameFile(from, c));
    if (found !== undefined) {
      if (!from.finished) steps.push({ file: found, offset: from.offset, line: from.line });
      later = candidates.filter((c) => c !== found && compareLogOrder(c, found) > 0 && laterAllowed(c));
    } else {
      if (!from.finished && from.nothingKnownUnread !== true) gap = { file: from, fromOffset: from.offset };
      // Without the file, its order key (saved with the checkpoint) still says what came after.
      const hasKey = from.openStamp !== null || from.firstTs !== null;
      later = hasKey ? candidates.filter((c) => compareLogOrder(c, { openStamp: from.openStamp, firstTs: from.firstTs }) > 0 && laterAllowed(c)) : [];
    }
  }
  later.sort(compareLogOrder);
  for (const file of later) steps.push({ file, offset: 0, line: 1 });
  return { steps, live: live === null ? null : { offset: 0, line: 1 }, gap, resumedLive: false };
}

/** Whether a checkpointed file and a found file are the same content generation. */
function isSameFile(from: CatchUpFrom, file: { dev: string; ino: string; fingerprint: string; headDigest?: string | undefined }): boolean {
  if (from.fingerprint !== EMPTY_FINGERPRINT) return sameContent(from, file);
  // Checkpointed before its first record was complete: only the inode can tell (plain files).
  return file.dev === from.dev && file.ino === from.ino;
}

/**
 * One candidate per content: a rotated file is often in two places for a moment (beside the
 * path and half-way into the archive). The plain copy is preferred (seekable, complete), then
 * the one beside the path. The live file's own content, and files with no complete record yet,
 * are not candidates.
 */
function uniqueByContent(candidates: readonly CatchUpCandidate[], live: LiveFile | null): CatchUpCandidate[] {
  const byFingerprint = new Map<string, CatchUpCandidate[]>();
  for (const candidate of candidates) {
    if (candidate.fingerprint === EMPTY_FINGERPRINT) continue;
    if (live !== null && (sameContent(candidate, live) || (candidate.dev === live.dev && candidate.ino === live.ino))) continue;
    const alike = byFingerprint.get(candidate.fingerprint) ?? [];
    byFingerprint.set(candidate.fingerprint, alike);
    const index = alike.findIndex((known) => sameContent(known, candidate));
    if (index === -1) alike.push(candidate);
    else if (preference(candidate) < preference(alike[index] as CatchUpCandidate)) alike[index] = candidate;
  }
  return [...byFingerprint.values()].flat();
}

function preference(candidate: CatchUpCandidate): number {
  return (candidate.compressed ? 2 : 0) + (candidate.origin === 'beside' ? 0 : 1);
}

/**
 * A checkpointed file that one look did not find. A look is not atomic: logrotate shifts every
 * name (`.9.gz` → `.10.gz`, the oldest to a name that was not in the listing) and archivers move
 * files between directories while the names are stat()ed one by one, so a file that is there
 * can be missed by one look. Only a file missing from several looks over a while is lost.
 */
export interface MissingFile {
  /** Fingerprint and offset of the checkpointed file (a new checkpoint starts a new count). */
  fingerprint: string;
  offset: number;
  firstMissingMs: number;
  looks: number;
}

/** Looks, and time between the first and the last, before a missing file is declared lost. */
// Short, so that a daemon restarted every second or two (a crash loop) still gets past a real
// gap: a look's blind spot lasts microseconds, two looks half a second apart both missing the
// same file by a race is not to be expected.
export const GAP_CONFIRMATION = { looks: 2, ms: 500 } as const;

/**
 * Whether the gap a plan found is real (declare it) or may be a look that raced a rename (read
 * nothing yet, look again at the next poll). Reading on past the file would move the checkpoint
 * beyond it, which loses its rest for good if the next look finds it.
 */
export function confirmGap(
  previous: MissingFile | null,
  gap: CatchUpGap,
  nowMs: number,
  needed: { looks: number; ms: number } = GAP_CONFIRMATION,
): { declare: boolean; missing: MissingFile } {
  const same = previous !== null && previous.fingerprint === gap.file.fingerprint && previous.offset === gap.fromOffset;
  const missing: MissingFile = same
    ? { ...previous, looks: previous.looks + 1 }
    : { fingerprint: gap.file.fingerprint, offset: gap.fromOffset, firstMissingMs: nowMs, looks: 1 };
  return { declare: missing.looks >= needed.looks && nowMs - missing.firstMissingMs >= needed.ms, missing };
}
