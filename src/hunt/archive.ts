/**
 * An archive tree as a list of dce_rpc logs in the order of their records' time.
 *
 * Inputs are files, directories (walked recursively) and quoted globs (expanded with the tail
 * stage's `expandPattern`, so the daemon and the offline commands read patterns alike). In a
 * directory, the names Zeek and its archivers give dce_rpc logs are taken:
 *
 * - zeekctl: `logs/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS[-logger-N].log.gz`, and the rotated
 *   but not yet archived `spool/<node>/dce_rpc.YYYY-MM-DD-HH-MM-SS.log`;
 * - the supervisor / zeek-archiver: `archive/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS.log.gz` and the
 *   `log-queue/dce_rpc__START__END__.log` files not yet archived;
 * - a plain `dce_rpc.log` (or `.log.gz`).
 *
 * Dot files (`.shadow.dce_rpc.log`, zeek-archiver's `*.tmp`) and symbolic links to directories
 * (zeekctl's `logs/current` points at the live spool) are not entered. A file named explicitly
 * is always taken, whatever its name.
 *
 * Order is by each file's first record (read from the head, decompressing only its first
 * block), never by name: zeekctl's names are local time and sort wrongly across days and
 * loggers. `--since`/`--until` skip a whole file when its first record is at or after `until`,
 * or its last record is before `since` (plain files: read from the tail; a .gz cannot be read
 * from the end, so only when its YYYY-MM-DD directory ended more than two days before `since`,
 * a margin for any time zone and late records). Records of the files kept are filtered one by
 * one by the workers, so the bounds are exact either way.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
// The module, not the tail stage's index: the offline commands do not load the follower.
import { expandPattern, hasGlobSyntax } from '../tail/glob.js';
import { DceRpcLineDecoder, inflateGzip } from '../zeek/index.js';
import { LineSplitter } from '../zeek/line-splitter.js';

/** One log of the tree, with what its head (and, for plain files, its tail) says. */
export interface ArchiveFile {
  path: string;
  /** Size on disk (compressed for .gz), for progress. */
  bytes: number;
  /**
   * Uncompressed size as far as known, for splitting a file between workers: a plain file's
   * size; a .gz file's ISIZE trailer (its last member's length mod 2^32, exact for the one-member
   * files Zeek's archivers write). A wrong figure only makes a split uneven.
   */
  uncompressedBytes?: number;
  gzip: boolean;
  /** `ts` of the first record, or null when none was found near the head. */
  firstTs: number | null;
  /** `ts` of the last record (plain files only), or null. */
  lastTs: number | null;
}

/** Time bounds, epoch seconds: records with `since <= ts < until` are taken. */
export interface TimeRange {
  since?: number;
  until?: number;
}

/** The tree after discovery: the files to read in order, and what was skipped. */
export interface Archive {
  files: ArchiveFile[];
  /** Files left out whole by `since`/`until`. */
  skippedFiles: number;
  range: TimeRange;
}

/** Names of dce_rpc logs in the layouts above; anything else in a directory is not ours. */
const DCE_RPC_NAME = /^dce_rpc(?:[._].*)?\.log(?:\.gz)?$/;
const DAY_DIR = /^(\d{4})-(\d{2})-(\d{2})$/;
/** How much of a file's head is read to find its first record. */
const HEAD_BYTES = 1 << 20;
/** Bytes read (and, for .gz, inflated) at a time while looking for the first record. */
const PROBE_READ_BYTES = 16 * 1024;
/** How much of a plain file's tail is read to find its last record. */
const TAIL_BYTES = 256 * 1024;
/** Files probed at once. */
const PROBE_CONCURRENCY = 8;
const TWO_DAYS_S = 2 * 86_400;

function unreadable(path: string, error: unknown, what = 'cannot read'): DaemonError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = code === 'ENOENT' ? 'no such file or directory' : (code ?? messageOf(error));
  return new DaemonError('ERR_INPUT_UNREADABLE', `hunt: ${what} ${path}: ${detail}`, { cause: error, meta: { path } });
}

/**
 * The log files named by `inputs` (files, directories, globs), each once, in input order then
 * name order. Throws ERR_INPUT_UNREADABLE for a missing input or a glob that matches nothing:
 * a hunt that silently read less than asked would report a clean result for data it never saw.
 */
export async function listLogFiles(inputs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  const add = async (path: string): Promise<void> => {
    const key = await realpath(path).catch(() => path);
    if (seen.has(key)) return;
    seen.add(key);
    found.push(path);
  };
  for (const input of inputs) {
    const paths = hasGlobSyntax(input) ? await expandPattern(input) : [input];
    if (paths.length === 0) {
      throw new DaemonError('ERR_INPUT_UNREADABLE', `hunt: no file matches '${input}'`, { meta: { path: input } });
    }
    for (const path of paths) {
      let info;
      try {
        info = await stat(path);
      } catch (error) {
        throw unreadable(path, error, 'cannot open');
      }
      if (!info.isDirectory()) {
        await add(path);
        continue;
      }
      const logs = await walk(path);
      for (const file of logs) await add(file);
      if (logs.length === 0 && !hasGlobSyntax(input)) {
        throw new DaemonError('ERR_INPUT_UNREADABLE', `hunt: no dce_rpc log (dce_rpc*.log, dce_rpc*.log.gz) under ${path}`, {
          meta: { path },
        });
      }
    }
  }
  return found;
}

/** The dce_rpc logs under `dir`, sorted by path; dot entries and directory symlinks not entered. */
async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw unreadable(dir, error);
  }
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (DCE_RPC_NAME.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(path))))) {
      files.push(path);
    }
  }
  return files;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isFile(), () => false);
}

/** Parses `--since`/`--until`: ISO 8601 (a date alone is UTC midnight) or epoch seconds. */
export function parseTimeBound(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text.replace(' ', 'T')) : NaN;
  if (Number.isNaN(ms)) {
    throw new DaemonError('ERR_USAGE', `--${name} must be an ISO 8601 time (2024-05-01, 2024-05-01T12:00:00Z) or epoch seconds, not '${text}'`);
  }
  return ms / 1000;
}

/**
 * Discovers, probes and orders the tree: the files to read, sorted by first record (files
 * without one near the head, by modification time), ties by path.
 */
export async function discoverArchive(inputs: readonly string[], range: TimeRange = {}): Promise<Archive> {
  const paths = await listLogFiles(inputs);
  const probed = new Array<ArchiveFile & { sortKey: number }>(paths.length);
  let next = 0;
  const probeNext = async (): Promise<void> => {
    while (next < paths.length) {
      const index = next++;
      probed[index] = await probeFile(paths[index] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, paths.length) }, probeNext));
  const kept = probed.filter((file) => !outsideRange(file, range));
  kept.sort((a, b) => a.sortKey - b.sortKey || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files: kept.map(({ sortKey: _sortKey, ...file }) => file),
    skippedFiles: probed.length - kept.length,
    range,
  };
}

/** Whether every record of `file` is provably outside `range`. */
export function outsideRange(file: ArchiveFile, range: TimeRange): boolean {
  if (range.until !== undefined && file.firstTs !== null && file.firstTs >= range.until) return true;
  if (range.since === undefined) return false;
  if (file.lastTs !== null) return file.lastTs < range.since;
  if (file.firstTs !== null && file.firstTs >= range.since) return false;
  const day = DAY_DIR.exec(basename(dirname(file.path)));
  if (day === null) return false;
  const dayStart = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) / 1000;
  return dayStart + TWO_DAYS_S <= range.since;
}

/** Reads a file's head (and a plain file's tail) for its first and last record. */
export async function probeFile(path: string): Promise<ArchiveFile & { sortKey: number }> {
  let info;
  let gzip = false;
  let uncompressedBytes = 0;
  try {
    info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
    const handle = await open(path, 'r');
    try {
      const magic = Buffer.alloc(2);
      await handle.read(magic, 0, 2, 0);
      gzip = magic[0] === 0x1f && magic[1] === 0x8b;
      uncompressedBytes = info.size;
      if (gzip) {
        // The smallest member is 18 bytes: header 10, empty deflate data, trailer 8.
        const trailer = Buffer.alloc(4);
        const { bytesRead } = info.size >= 18 ? await handle.read(trailer, 0, 4, info.size - 4) : { bytesRead: 0 };
        uncompressedBytes = bytesRead === 4 ? trailer.readUInt32LE(0) : 0;
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(path, error);
  }
  const decoder = new DceRpcLineDecoder({ file: path });
  const firstTs = await firstRecordTs(path, gzip, decoder);
  const lastTs = gzip || firstTs === null ? null : await lastRecordTs(path, info.size, decoder);
  return { path, bytes: info.size, uncompressedBytes, gzip, firstTs, lastTs, sortKey: firstTs ?? info.mtimeMs / 1000 };
}

/** The first record's ts within the first HEAD_BYTES (decompressed) of the file, or null. */
async function firstRecordTs(path: string, gzip: boolean, decoder: DceRpcLineDecoder): Promise<number | null> {
  // Small reads: the first record is usually within the first kilobytes (a header block and a
  // line), and a 64 KiB read inflated up to ~300 KiB per file, on the main thread's and the pool's
  // CPU while the workers start (at -j N they need every core).
  const file = createReadStream(path, { highWaterMark: PROBE_READ_BYTES });
  // The head only; the worker reading the whole file reports any gzip problem at its line.
  const stream = gzip ? inflateGzip(file, () => undefined, { chunkSize: PROBE_READ_BYTES }) : file;
  const splitter = new LineSplitter();
  let found: number | null = null;
  let read = 0;
  const onLine = (bytes: Buffer, line: number, offset: number): void => {
    if (found !== null) return;
    const event = decoder.decode(bytes, line, offset);
    if (event !== null && !('kind' in event)) found = event.ts;
  };
  try {
    for await (const chunk of stream) {
      splitter.push(chunk as Buffer, onLine, () => undefined);
      read += (chunk as Buffer).length;
      if (found !== null || read >= HEAD_BYTES) break;
    }
    if (found === null && read < HEAD_BYTES) splitter.finish(onLine, () => undefined);
  } catch {
    // A corrupt or truncated head: the worker reads the file and reports it at its line.
  } finally {
    file.destroy();
    if (stream !== file) await (stream as AsyncGenerator<Buffer>).return(undefined);
  }
  return found;
}

/** The last record's ts in a plain file's last TAIL_BYTES, decoded under the head's header. */
async function lastRecordTs(path: string, size: number, decoder: DceRpcLineDecoder): Promise<number | null> {
  const start = Math.max(0, size - TAIL_BYTES);
  const buffer = Buffer.alloc(size - start);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw unreadable(path, error);
  });
  try {
    await handle.read(buffer, 0, buffer.length, start);
  } finally {
    await handle.close();
  }
  // Whole lines only: the first may be cut by the window, the last may not be finished yet.
  let end = buffer.length;
  while (end > 0) {
    const lineEnd = buffer[end - 1] === 0x0a ? end - 1 : end;
    const lineStart = buffer.lastIndexOf(0x0a, lineEnd - 1) + 1;
    if (lineStart === 0 && start > 0) return null;
    const bytes = buffer.subarray(lineStart, lineEnd);
    if (bytes.length > 0 && bytes[0] !== 0x23) {
      const event = decoder.decode(bytes, 0, start + lineStart);
      if (event !== null && !('kind' in event)) return event.ts;
    }
    end = lineStart;
  }
  return null;
}
