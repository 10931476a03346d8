/**
 * One file being read by the follower: where reading stands in it, and the reading itself (a
 * bounded batch of complete lines, the header lines before a resume offset, the unterminated
 * last line of a file that will not grow). Delivery and checkpoints stay with the follower.
 */
import { LineSplitter } from '../zeek/line-splitter.js';
import type { CatchUpFrom } from './catch-up.js';
import { EMPTY_FINGERPRINT, fingerprintFromHead, firstDataLineOffset, HEAD_DIGEST_BYTES, headDigestOf } from './fingerprint.js';
import { HEAD_BYTES, type LogOrderKey, type LogReader, type OpenedLog } from './log-file.js';
import type { FileCheckpoint, FileIdentity, TailedLine } from './types.js';
import { messageOf } from '../errors.js';

export interface OpenFile {
  identity: FileIdentity;
  /** See headDigestOf; '' until the file had 4 KiB when looked at. */
  headDigest: string;
  key: LogOrderKey;
  opened: OpenedLog;
  splitter: LineSplitter;
  /** Next byte to read (past any held partial line), in uncompressed bytes. */
  readPosition: number;
  sizeNow: number;
  fileStart: boolean;
  /** Read from offset 0 (then the first data line delivered is the file's first, unless skipped). */
  readFromStart: boolean;
  /** Offset of the first over-long line skipped that is not a `#` line (or not known to be one). */
  firstSkippedRecordOffset: number;
  /** When it was opened (epoch ms). */
  openedAtMs: number;
  /** First byte of the line held unterminated at the end of the last chunk (-1: none, or not known). */
  heldLineFirstByte: number;
  /** A read failure held back until the lines read before it are delivered. */
  pendingError?: Error;
}

/** Reports an over-long line skipped (line number, offset, length). */
export type OnOverlong = (line: number, offset: number, lengthBytes: number) => void;

/** A file opened to be read from `offset` (the byte after line `line` - 1). */
export function openFileAt(opened: OpenedLog, offset: number, line: number, maxLineBytes: number): OpenFile {
  return {
    identity: identityOf(opened.info.path, opened.info),
    headDigest: opened.info.headDigest ?? '',
    key: { openStamp: opened.info.openStamp, firstTs: opened.info.firstTs },
    opened,
    splitter: new LineSplitter({ maxLineBytes, startOffset: offset, startLine: line }),
    readPosition: offset,
    sizeNow: opened.info.compressed ? offset : opened.info.sizeOnDisk,
    fileStart: true,
    readFromStart: offset === 0,
    firstSkippedRecordOffset: Infinity,
    heldLineFirstByte: -1,
    openedAtMs: Date.now(),
  };
}

/** One batch read from where `file` stands. */
export interface ReadBatch {
  lines: TailedLine[];
  overlong: number;
  /** Any byte read (a partial line counts). */
  readAny: boolean;
  /** The end of the file's bytes for now was reached. */
  atEnd: boolean;
}

/** Reads complete lines up to about `maxBatchBytes`; the splitter holds a partial last line. */
export async function readBatch(file: OpenFile, readChunkBytes: number, maxBatchBytes: number, onOverlong: OnOverlong): Promise<ReadBatch> {
  const lines: TailedLine[] = [];
  let overlong = 0;
  let batchBytes = 0;
  let readAny = false;
  if (file.pendingError !== undefined) throw file.pendingError;
  while (batchBytes < maxBatchBytes) {
    // A fresh buffer per read: delivered lines are views into it, valid until handled.
    const buffer = Buffer.allocUnsafe(readChunkBytes);
    let bytesRead: number;
    try {
      bytesRead = await file.opened.reader.read(buffer, file.readPosition);
    } catch (error) {
      // A cut or corrupt gzip member, after all its good bytes were read: say at which line.
      if (!('gzipProblem' in (error as object))) throw error;
      const failure = Object.assign(new Error(`${messageOf(error)} (at line ${file.splitter.nextLineNumber})`, { cause: error }), { code: (error as NodeJS.ErrnoException).code });
      // The good lines before the cut go out first; the next read fails.
      if (lines.length === 0) throw failure;
      file.pendingError = failure;
      return { lines, overlong, readAny, atEnd: false };
    }
    if (bytesRead === 0) return { lines, overlong, readAny, atEnd: true };
    readAny = true;
    file.readPosition += bytesRead;
    if (file.opened.reader.compressed) file.sizeNow = file.readPosition;
    batchBytes += bytesRead;
    const chunkStart = file.readPosition - bytesRead;
    file.splitter.push(
      buffer.subarray(0, bytesRead),
      (bytes, line, offset, end) => lines.push({ bytes, line, offset, end }),
      (line, offset, _end, lengthBytes) => {
        overlong += 1;
        noteSkipped(file, offset, offset >= chunkStart ? (buffer[offset - chunkStart] as number) : file.heldLineFirstByte);
        onOverlong(line, offset, lengthBytes);
      },
    );
    const held = file.splitter.committedOffset;
    if (file.splitter.pendingBytes === 0) file.heldLineFirstByte = -1;
    else if (held >= chunkStart) file.heldLineFirstByte = buffer[held - chunkStart] as number;
    if (bytesRead < buffer.length) return { lines, overlong, readAny, atEnd: true };
  }
  return { lines, overlong, readAny, atEnd: false };
}

/** Remembers where the first skipped over-long line that may be a record was (see OpenFile). */
function noteSkipped(file: OpenFile, offset: number, firstByte: number): void {
  if (firstByte !== 0x23 /* # */ && offset < file.firstSkippedRecordOffset) file.firstSkippedRecordOffset = offset;
}

/** The unterminated last line of a file that will not grow; null when there is none. */
export function finalLines(file: OpenFile, onOverlong: OnOverlong): { lines: TailedLine[]; overlong: number } | null {
  const lines: TailedLine[] = [];
  let overlong = 0;
  const flushed = file.splitter.finish(
    (bytes, line, offset, end) => lines.push({ bytes: Buffer.from(bytes), line, offset, end }),
    (line, offset, _end, lengthBytes) => {
      overlong += 1;
      noteSkipped(file, offset, file.heldLineFirstByte);
      onOverlong(line, offset, lengthBytes);
    },
  );
  return flushed ? { lines, overlong } : null;
}

/** The leading `#` lines before a resume offset (re-delivered so a decoder knows the schema). */
export async function headerLinesBefore(file: OpenFile, offset: number, maxLineBytes: number): Promise<TailedLine[]> {
  const head = (await file.opened.reader.head(HEAD_BYTES)).subarray(0, offset);
  const lines: TailedLine[] = [];
  let inHeader = true;
  new LineSplitter({ maxLineBytes }).push(
    head,
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
  return lines;
}

/** One read covers the fingerprint of a usual header and the head digest. */
const PROBE_BYTES = HEAD_DIGEST_BYTES;

/**
 * Fingerprint and head digest of an open file, from one look at its first bytes (more only for an
 * unusually long header).
 */
export async function contentMarksOf(reader: LogReader): Promise<{ fingerprint: string; headDigest: string; dataOffset: number }> {
  let head = await reader.head(PROBE_BYTES);
  const headDigest = headDigestOf(head);
  if (fingerprintFromHead(head) === EMPTY_FINGERPRINT && head.length >= PROBE_BYTES) head = await reader.head(HEAD_BYTES);
  return { fingerprint: fingerprintFromHead(head), headDigest, dataOffset: firstDataLineOffset(head) };
}

export function identityOf(path: string, info: { dev: string; ino: string; fingerprint: string }): FileIdentity {
  return { path, dev: info.dev, ino: info.ino, fingerprint: info.fingerprint };
}

export function identityOfFrom(from: CatchUpFrom): FileIdentity {
  return { path: from.path, dev: from.dev, ino: from.ino, fingerprint: from.fingerprint };
}

export function checkpointOf(path: string, file: OpenFile, offset: number, line: number, finished: boolean): FileCheckpoint {
  return { ...file.identity, path, offset, line, openStamp: file.key.openStamp, firstTs: file.key.firstTs, ...(file.headDigest === '' ? {} : { headDigest: file.headDigest }), finished };
}

export function fromCheckpoint(checkpoint: FileCheckpoint): CatchUpFrom {
  return {
    path: checkpoint.path,
    dev: checkpoint.dev,
    ino: checkpoint.ino,
    fingerprint: checkpoint.fingerprint,
    offset: checkpoint.offset,
    line: checkpoint.line,
    openStamp: checkpoint.openStamp ?? null,
    firstTs: checkpoint.firstTs ?? null,
    finished: checkpoint.finished ?? false,
    ...(checkpoint.headDigest === undefined ? {} : { headDigest: checkpoint.headDigest }),
  };
}

export async function closeQuietly(opened: OpenedLog): Promise<void> {
  opened.reader.dispose();
  // Closing a read-only fd cannot lose data; a failure here (EBADF after a bug) must not mask
  // the outcome the caller is reporting.
  await opened.handle.close().catch(() => undefined);
}
