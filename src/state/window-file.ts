/**
 * The training window's files (`<stem>.snapshot` + `<stem>.journal`), as bytes.
 *
 * Snapshot: magic `ZAWINDOW`, version, header length, a JSON header (generation, row count,
 * sequence number of the oldest row, offer count and stride, the dictionaries), padding to 8
 * bytes, the columns in `columnList` order (rows oldest first), a CRC-32 of everything before it.
 * Version 2 adds the `hostKinds` column (addresses stored as numbers); version 1 files, whose
 * address codes are all dictionary codes, still load.
 *
 * The snapshot is written as a list of chunks that are views of the window's own columns (the
 * ring's two halves each), so saving a 1M-row window copies no column and builds no buffer of
 * the file's size; only the header is a new string.
 *
 * Journal: append-only text, one `<crc32 hex> <json>` line per persist (see training-window.ts).
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { DaemonError, errnoOf } from '../errors.js';
import { allocateColumns, columnList, type Columns } from './window-columns.js';

const SNAPSHOT_MAGIC = Buffer.from('ZAWINDOW', 'latin1');
const SNAPSHOT_VERSION = 2;
const PREFIX_BYTES = 16;

export interface SnapshotHeader {
  generation: number;
  rows: number;
  headSeq: number;
  offered?: number;
  stride?: number;
  columns: readonly string[];
  dictionaries: (string | null)[][];
}

/** The part of a ring buffer that holds its rows, oldest first: one or two ranges of slots. */
export interface RingRows {
  head: number;
  size: number;
  capacity: number;
}

/** The snapshot of `columns` (a ring holding `ring.size` rows) as chunks to write in order. */
export function snapshotChunks(header: SnapshotHeader, columns: Columns, ring: RingRows): Buffer[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Buffer.alloc(align8(PREFIX_BYTES + json.length));
  SNAPSHOT_MAGIC.copy(start, 0);
  start.writeUInt32LE(SNAPSHOT_VERSION, 8);
  start.writeUInt32LE(json.length, 12);
  json.copy(start, PREFIX_BYTES);
  const chunks: Buffer[] = [start];
  const firstPart = Math.min(ring.size, ring.capacity - ring.head);
  for (const column of columnList(columns)) {
    const width = column.BYTES_PER_ELEMENT;
    const bytes = (from: number, count: number): Buffer => Buffer.from(column.buffer, column.byteOffset + from * width, count * width);
    chunks.push(bytes(ring.head, firstPart));
    if (firstPart < ring.size) chunks.push(bytes(0, ring.size - firstPart));
  }
  let crc = 0;
  for (const chunk of chunks) crc = crc32(chunk, crc);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(crc, 0);
  chunks.push(trailer);
  return chunks;
}

/** A decoded snapshot: its header and fresh columns of exactly `header.rows` slots. */
export interface DecodedSnapshot {
  header: SnapshotHeader;
  columns: Columns;
}

/**
 * Parses a snapshot file's bytes.
 * @throws DaemonError ERR_STATE naming `path` and what is wrong when the file is not a whole,
 *   matching snapshot.
 */
export function decodeSnapshot(data: Buffer, path: string, columnNames: readonly string[]): DecodedSnapshot {
  const corrupt = (why: string, cause?: unknown): DaemonError =>
    new DaemonError('ERR_STATE', `state: training window snapshot ${path} is corrupt (${why})`, { ...(cause === undefined ? {} : { cause }), meta: { path } });
  if (data.length < PREFIX_BYTES + 4 || !data.subarray(0, 8).equals(SNAPSHOT_MAGIC)) throw corrupt('not a snapshot file');
  const version = data.readUInt32LE(8);
  if (version !== 1 && version !== SNAPSHOT_VERSION) throw corrupt(`unsupported version ${version}`);
  if (crc32(data.subarray(0, data.length - 4)) !== data.readUInt32LE(data.length - 4)) throw corrupt('checksum mismatch');
  const headerLength = data.readUInt32LE(12);
  let header: SnapshotHeader;
  try {
    header = JSON.parse(data.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength).toString('utf8')) as SnapshotHeader;
  } catch (error) {
    throw corrupt('bad header', error);
  }
  const rows = header.rows;
  const columns = allocateColumns(Number.isInteger(rows) && rows >= 0 ? rows : 0, columnNames.length);
  const saved = columnList(columns).slice(0, version === 1 ? -1 : undefined);
  const rowBytes = saved.reduce((sum, column) => sum + column.BYTES_PER_ELEMENT, 0);
  if (
    !Number.isInteger(rows) ||
    data.length !== align8(PREFIX_BYTES + headerLength) + rows * rowBytes + 4 ||
    !Array.isArray(header.columns) ||
    header.columns.join() !== columnNames.join() ||
    !Array.isArray(header.dictionaries) ||
    header.dictionaries.length !== columnNames.length
  ) {
    throw corrupt('layout does not match');
  }
  // Copied out of the file buffer: typed arrays need aligned offsets and own their memory.
  let at = align8(PREFIX_BYTES + headerLength);
  for (const column of saved) {
    const bytes = rows * column.BYTES_PER_ELEMENT;
    Buffer.from(column.buffer, column.byteOffset, bytes).set(data.subarray(at, at + bytes));
    at += bytes;
  }
  return { header, columns };
}

export function journalLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The value of one journal line, or null when its checksum or JSON is damaged. */
export function parseJournalLine(line: string): unknown {
  const space = line.indexOf(' ');
  if (space !== 8) return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** The file's bytes, or null when it does not exist; any other failure is ERR_STATE with the errno. */
export async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw stateError(`cannot read ${path}`, error, path);
  }
}

export function stateError(message: string, cause: unknown, path: string | null): DaemonError {
  const errno = errnoOf(cause);
  return new DaemonError('ERR_STATE', `state: ${message}${errno === undefined ? '' : `: ${errno}`}`, { cause, meta: { path, errno } });
}
