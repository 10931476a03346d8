/**
 * Content fingerprint of a log file: the hash of its first data line (the first line not starting
 * with `#`), at most 1 KiB of it. Zeek's header block is nearly constant across files (the first
 * line is always `#separator \x09`), so hashing the file's first bytes would make every Zeek log
 * look alike; the first record carries a timestamp and a uid and tells files apart. The value is
 * stable once that line is complete, which lets a checkpoint taken early still match later.
 */
import { createHash } from 'node:crypto';

/** Longest prefix of the first data line that is hashed. */
export const FINGERPRINT_MAX_BYTES = 1024;

/** Fingerprint of a file with no complete data line yet. */
export const EMPTY_FINGERPRINT = '';

/**
 * Fingerprint from the first bytes of a file (`head` starts at offset 0 and may be any length).
 * Returns EMPTY_FINGERPRINT while the first data line is neither complete nor 1 KiB long.
 */
export function fingerprintFromHead(head: Buffer): string {
  let position = 0;
  while (position < head.length) {
    const newline = head.indexOf(0x0a, position);
    const lineEnd = newline === -1 ? head.length : newline;
    if (head[position] !== 0x23 /* # */) {
      const length = lineEnd - position;
      if (newline === -1 && length < FINGERPRINT_MAX_BYTES) return EMPTY_FINGERPRINT;
      return fingerprintOfLine(head.subarray(position, lineEnd));
    }
    if (newline === -1) return EMPTY_FINGERPRINT;
    position = newline + 1;
  }
  return EMPTY_FINGERPRINT;
}

/**
 * Bytes of a file's start covered by its head digest. The fingerprint alone makes files that
 * merely start with the same record (JSON logs have no header; a source may begin every file
 * alike) one file; their first 4 KiB (Zeek's header with its `#open` stamp, and the first
 * records) tell them apart, and stay the same for one content as it grows, is copied or gzipped.
 */
export const HEAD_DIGEST_BYTES = 4096;

/** Digest of a file's first HEAD_DIGEST_BYTES (from its head); '' while it holds fewer. */
export function headDigestOf(head: Buffer): string {
  return head.length < HEAD_DIGEST_BYTES ? '' : createHash('sha1').update(head.subarray(0, HEAD_DIGEST_BYTES)).digest('hex');
}

/**
 * Whether two files (or a file and a saved position) can hold the same content: the same
 * fingerprint, and the same head digest when both have one.
 */
export function sameContent(a: { fingerprint: string; headDigest?: string | undefined }, b: { fingerprint: string; headDigest?: string | undefined }): boolean {
  return a.fingerprint === b.fingerprint && !headDigestsDiffer(a.headDigest, b.headDigest);
}

/** Whether two head digests are both known (neither absent nor '') and differ. */
export function headDigestsDiffer(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && a !== '' && b !== undefined && b !== '' && a !== b;
}

/**
 * Fingerprint of a file whose first data line is `line` (without its newline): what
 * fingerprintFromHead gives for the file's head once that line is complete.
 */
export function fingerprintOfLine(line: Buffer): string {
  return createHash('sha1').update(line.subarray(0, FINGERPRINT_MAX_BYTES)).digest('hex');
}

/** Offset of the first complete data line (not starting with `#`) in `head`; -1 when there is none. */
export function firstDataLineOffset(head: Buffer): number {
  let position = 0;
  while (position < head.length) {
    const newline = head.indexOf(0x0a, position);
    if (newline === -1) return -1;
    if (head[position] !== 0x23 /* # */) return position;
    position = newline + 1;
  }
  return -1;
}

/**
 * Whether a file whose fingerprint is now `current` can still be the one recorded as `recorded`.
 * An empty recorded value matches anything (the first line was not complete back then); a filled
 * one must be equal, and a file that lost its first data line is not the same file.
 */
export function fingerprintsCompatible(recorded: string, current: string): boolean {
  return recorded === EMPTY_FINGERPRINT || recorded === current;
}
