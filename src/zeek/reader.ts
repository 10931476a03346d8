/**
 * Offline file reading: plain or gzip (detected from the magic bytes, so rotated `.log.gz`
 * archives read the same), split with LineSplitter, decoded with ZeekLineDecoder. Bad lines are
 * yielded as parse errors and counted. A gzip file is read as zcat reads it (gzip.ts): a cut or
 * corrupt member yields every record before it, then one `truncated-input` error; bytes after
 * the last member that are not gzip yield every record, then one `trailing-garbage` error naming
 * their byte offset. Only a file that cannot be opened at all throws (DaemonError
 * ERR_INPUT_UNREADABLE).
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { open, stat } from 'node:fs/promises';
import { DaemonError, messageOf } from '../errors.js';
import type { DceRpcRecord, SourceLocation } from './dce-rpc-record.js';
import { DceRpcLineDecoder } from './dce-rpc-decoder.js';
import { ZeekLineDecoder } from './decoder.js';
import type { ZeekHeaderEvent, ZeekLineDecoderOptions, ZeekParseError, ZeekRecord } from './decoded.js';
import { LineSplitter, lineBytes, type LineRangeSink } from './line-splitter.js';
import { hasGzipMagic, inflateGzip, type GzipProblem } from './gzip.js';

/** What the reader yields. */
export type ReadEvent = ZeekRecord | ZeekHeaderEvent | ZeekParseError;

/** Counts kept while reading. */
export interface ReadStats {
  lines: number;
  records: number;
  errors: number;
}

/** Options for `readZeekLog` / `scanZeekLog`. */
export interface ReadZeekLogOptions extends Omit<ZeekLineDecoderOptions, 'file'> {
  /** Longest line accepted, in bytes. @default 1048576 */
  maxLineBytes?: number;
  /** Name used in records and errors. @default the path */
  displayName?: string;
}

/**
 * A part of a file for a scanner, by uncompressed byte offset: the lines whose first byte is in
 * [from, to). Parts that tile [0, Infinity) deliver every event of the file exactly once between
 * them, with the whole file's line numbers: each part reads from the start (meta lines before
 * `from` are decoded, not delivered, so the layout in force is known), stops at the first line
 * at or past `to`, and reports a read or gzip problem only when where reading stopped is its own.
 * `to` may be lowered while the scan runs (never below `committed`), to hand the rest to another.
 * Only for logs whose data lines leave the decoder's state unchanged (TSV after a header block,
 * the usual Zeek log): the caller checks that before splitting a file.
 */
export interface ReadRange {
  from: number;
  to: number;
  /** Set by the scanner after each chunk: every line starting before it has been handled. */
  committed: number;
}

/** Extra hooks for `scanZeekLog`. */
export interface ScanHooks {
  /** Awaited after each chunk's events were delivered: the place to wait for output drain. */
  afterChunk?: () => Promise<void> | void;
  /** Only this part of the file (see ReadRange). @default the whole file */
  range?: ReadRange;
  /**
   * Inflate a gzip file on this thread (InflateGzipOptions.onThisThread): for a worker thread,
   * so that its file's inflate CPU is its own, not the shared thread pool's. @default false
   */
  inflateOnThisThread?: boolean;
  /**
   * The file's bytes, already in memory (plain or gzip), read instead of the file at the path, in
   * these chunks (as a stream would hand them on: a line may straddle two).
   */
  source?: readonly Buffer[];
}

/** An input file's bytes (uncompressed), and what stopped a gzip file early, once read. */
interface OpenedInput {
  chunks: AsyncIterable<Buffer>;
  gzip: boolean;
  /** Set when the gzip data ended in garbage, a cut or corruption (all output before it is good). */
  readonly problem: GzipProblem | null;
  close(): void;
}

async function openInput(path: string, onThisThread = false, source?: readonly Buffer[]): Promise<OpenedInput> {
  if (source !== undefined) return streamInput(Readable.from(source), hasGzipMagic(source[0] ?? Buffer.alloc(0)), onThisThread);
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new DaemonError('ERR_INPUT_UNREADABLE', `zeek: cannot open ${path}: ${code === 'ENOENT' ? 'no such file' : code}`, {
      cause: error,
      meta: { path },
    });
  }
  if (info.isDirectory()) {
    throw new DaemonError('ERR_INPUT_UNREADABLE', `zeek: cannot read ${path}: it is a directory`, { meta: { path } });
  }
  const magic = Buffer.alloc(2);
  try {
    const handle = await open(path, 'r');
    try {
      await handle.read(magic, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new DaemonError('ERR_INPUT_UNREADABLE', `zeek: cannot read ${path}: ${code}`, { cause: error, meta: { path } });
  }
  return streamInput(createReadStream(path, { highWaterMark: 256 * 1024 }), hasGzipMagic(magic), onThisThread);
}

/** An OpenedInput reading `stream`, inflated when `gzip`. */
function streamInput(stream: Readable, gzip: boolean, onThisThread: boolean): OpenedInput {
  if (!gzip) return { chunks: stream, gzip: false, problem: null, close: () => stream.destroy() };
  let problem: GzipProblem | null = null;
  // Large output chunks: fewer stream turns per megabyte, measurably faster (bench/score).
  const chunks = inflateGzip(stream, (found) => (problem = found), { chunkSize: 256 * 1024, onThisThread });
  return {
    chunks,
    gzip: true,
    get problem() {
      return problem;
    },
    close: () => {
      void chunks.return(undefined);
      stream.destroy();
    },
  };
}

/** The parse error that reports a gzip problem, at the line where reading stopped. */
function gzipProblemError(file: string, problem: GzipProblem, splitter: LineSplitter): ZeekParseError {
  const garbage = problem.kind === 'trailing-garbage';
  const unfinished = !garbage && splitter.pendingBytes > 0 ? `; its unfinished line ${splitter.nextLineNumber} is dropped` : '';
  return {
    kind: 'error',
    code: garbage ? 'trailing-garbage' : 'truncated-input',
    file,
    line: splitter.nextLineNumber,
    offset: splitter.committedOffset,
    reason: `${problem.detail}${unfinished}${garbage ? '' : '; the lines before it were read'}`,
  };
}

/**
 * Reads a whole log, calling `onEvent` for every record, header and error, in file order.
 * Faster than the async iterator for large files (no promise per record).
 */
export async function scanZeekLog(
  path: string,
  onEvent: (event: ReadEvent) => void,
  options: ReadZeekLogOptions & ScanHooks = {},
): Promise<ReadStats> {
  const file = options.displayName ?? path;
  return scanLines(path, new ZeekLineScan(file, options, new ZeekLineDecoder({ ...options, file }), onEvent));
}

/** What `scanDceRpcLog` delivers: a record, a header or a bad line (decoding or mapping). */
export type DceRpcReadEvent = DceRpcRecord | ZeekHeaderEvent | ZeekParseError;

/**
 * Takes `scanDceRpcLog`'s events as a method: a reader of many files that passes objects of one
 * class (not a new closure per file) keeps one call target, so the compiled read loop, with this
 * method inlined, stays valid from file to file (a new closure is a "wrong call target" deopt).
 */
export interface DceRpcEventHandler {
  onEvent(event: DceRpcReadEvent, where: SourceLocation): void;
}

/**
 * `scanZeekLog` + `toDceRpcRecord` in one, through `DceRpcLineDecoder` (the same results,
 * faster): `onEvent` gets each DceRpcRecord, header and error in file order, with where it came
 * from (one object reused for every line: copy it to keep it). In the stats, `records` counts
 * good DceRpcRecords and `errors` every bad line, including records `toDceRpcRecord` rejects.
 */
export async function scanDceRpcLog(
  path: string,
  onEvent: ((event: DceRpcReadEvent, where: SourceLocation) => void) | DceRpcEventHandler,
  options: ReadZeekLogOptions & ScanHooks = {},
): Promise<ReadStats> {
  const file = options.displayName ?? path;
  const handler = typeof onEvent === 'function' ? { onEvent } : onEvent;
  return scanLines(path, new DceRpcLineScan(file, options, new DceRpcLineDecoder({ ...options, file }), handler));
}

/**
 * One file's scan: splits it into lines, decodes each with `decode` and delivers the result with
 * its line number and offset through `emit`; an over-long line and a failed or truncated read
 * become errors. Counts lines, records and errors. The splitter calls its methods (LineRangeSink),
 * not closures made per file, so the read loop compiled for one file serves the next.
 */
abstract class LineScan<E extends ReadEvent | DceRpcReadEvent> implements LineRangeSink {
  readonly stats: ReadStats = { lines: 0, records: 0, errors: 0 };
  readonly splitter: LineSplitter;
  readonly range: ReadRange | undefined;
  /** An exception from `emit` must reach the caller as itself, not as a read error. */
  callbackFailed = false;
  /** A line at or past `range.to` was reached: the rest is another part's. */
  stopped = false;

  constructor(
    readonly file: string,
    readonly options: ReadZeekLogOptions & ScanHooks,
  ) {
    this.splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
    this.range = options.range;
  }

  /** Decodes the line `bytes[start, end)`. */
  abstract decode(bytes: Buffer, start: number, end: number, line: number, offset: number): E | null;
  abstract emit(event: E | ZeekParseError, line: number, offset: number): void;

  ours(offset: number): boolean {
    const range = this.range;
    return range === undefined || (offset >= range.from && offset < range.to);
  }

  deliver(event: E | ZeekParseError | null, line: number, offset: number): void {
    if (event === null) return;
    if (!('kind' in event) || event.kind === 'record') this.stats.records += 1;
    else if (event.kind === 'error') this.stats.errors += 1;
    try {
      this.emit(event, line, offset);
    } catch (error) {
      this.callbackFailed = true;
      throw error;
    }
  }

  line(bytes: Buffer, start: number, end: number, line: number, offset: number): void {
    this.stats.lines += 1;
    if (!this.ours(offset)) {
      if ((this.range as ReadRange).to <= offset) this.stopped = true;
      // A meta line before the part sets the layout its lines are read with.
      else if (start < end && bytes[start] === 0x23) this.decode(bytes, start, end, line, offset);
      return;
    }
    if (!this.stopped) this.deliver(this.decode(bytes, start, end, line, offset), line, offset);
  }

  overlong(line: number, offset: number, _end: number, length: number): void {
    this.stats.lines += 1;
    if (!this.ours(offset)) {
      if ((this.range as ReadRange).to <= offset) this.stopped = true;
      return;
    }
    if (this.stopped) return;
    const reason = `line of ${length} bytes exceeds the ${this.splitter.maxLineBytes}-byte maximum`;
    this.deliver({ kind: 'error', code: 'line-too-long', file: this.file, line, offset, reason }, line, offset);
  }
}

class ZeekLineScan extends LineScan<ReadEvent> {
  constructor(
    file: string,
    options: ReadZeekLogOptions & ScanHooks,
    readonly decoder: ZeekLineDecoder,
    readonly onEvent: (event: ReadEvent) => void,
  ) {
    super(file, options);
  }

  decode(bytes: Buffer, start: number, end: number, line: number, offset: number): ReadEvent | null {
    return this.decoder.decode(lineBytes(bytes, start, end), line, offset);
  }

  emit(event: ReadEvent): void {
    this.onEvent(event);
  }
}

class DceRpcLineScan extends LineScan<DceRpcReadEvent> {
  readonly where: SourceLocation;

  constructor(
    file: string,
    options: ReadZeekLogOptions & ScanHooks,
    readonly decoder: DceRpcLineDecoder,
    readonly handler: DceRpcEventHandler,
  ) {
    super(file, options);
    this.where = { file, line: 0, offset: 0 };
  }

  decode(bytes: Buffer, start: number, end: number, line: number, offset: number): DceRpcReadEvent | null {
    return this.decoder.decodeIn(bytes, start, end, line, offset);
  }

  emit(event: DceRpcReadEvent, line: number, offset: number): void {
    const where = this.where;
    where.line = line;
    where.offset = offset;
    this.handler.onEvent(event, where);
  }
}

/** The scanners' reading loop: opens `path` (plain or gzip) and feeds its bytes to `scan`. */
async function scanLines<E extends ReadEvent | DceRpcReadEvent>(path: string, scan: LineScan<E>): Promise<ReadStats> {
  const { splitter, range, options, stats, file } = scan;
  const input = await openInput(path, options.inflateOnThisThread, options.source);
  try {
    for await (const chunk of input.chunks) {
      splitter.pushTo(chunk, scan);
      if (range !== undefined) range.committed = splitter.committedOffset;
      if (scan.stopped) break;
      if (options.afterChunk !== undefined) await options.afterChunk();
    }
  } catch (error) {
    input.close();
    if (scan.callbackFailed) throw error;
    const line = splitter.nextLineNumber;
    const offset = splitter.committedOffset;
    if (!scan.ours(offset)) return stats;
    const reason = `read failed: ${messageOf(error)}`;
    scan.deliver({ kind: 'error', code: 'truncated-input', file, line, offset, reason }, line, offset);
    return stats;
  }
  if (scan.stopped) {
    input.close();
    return stats;
  }
  const problem = input.problem;
  // Where reading stopped decides which part reports how it ended.
  const endIsOurs = scan.ours(splitter.committedOffset);
  // A cut member's unfinished line is a fragment, not a record; garbage follows complete data.
  if (problem === null || problem.kind === 'trailing-garbage') {
    splitter.finish(
      (bytes, line, offset) => scan.line(bytes, 0, bytes.length, line, offset),
      (line, offset, end, length) => scan.overlong(line, offset, end, length),
    );
  }
  if (problem !== null && endIsOurs) {
    const error = gzipProblemError(file, problem, splitter);
    scan.deliver(error, error.line, error.offset);
  }
  return stats;
}

/**
 * Reads a log as an async sequence of records, header events and parse errors. `stats` is
 * complete once iteration ends. Throws DaemonError ERR_INPUT_UNREADABLE (on the first `next()`)
 * when the file cannot be opened.
 */
export function readZeekLog(path: string, options: ReadZeekLogOptions = {}): AsyncIterable<ReadEvent> & { stats: ReadStats } {
  const stats: ReadStats = { lines: 0, records: 0, errors: 0 };
  async function* generate(): AsyncGenerator<ReadEvent> {
    const file = options.displayName ?? path;
    const decoder = new ZeekLineDecoder({ ...options, file });
    const splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
    let batch: ReadEvent[] = [];
    const keep = (event: ReadEvent | null): void => {
      if (event === null) return;
      if (event.kind === 'record') stats.records += 1;
      else if (event.kind === 'error') stats.errors += 1;
      batch.push(event);
    };
    const onLine = (bytes: Buffer, line: number, offset: number): void => {
      stats.lines += 1;
      keep(decoder.decode(bytes, line, offset));
    };
    const onOverlong = (line: number, offset: number, _end: number, length: number): void => {
      stats.lines += 1;
      keep({ kind: 'error', code: 'line-too-long', file, line, offset, reason: `line of ${length} bytes exceeds the ${splitter.maxLineBytes}-byte maximum` });
    };
    const input = await openInput(path);
    try {
      try {
        for await (const chunk of input.chunks) {
          splitter.push(chunk, onLine, onOverlong);
          const ready = batch;
          batch = [];
          yield* ready;
        }
      } finally {
        // Also when the consumer stops early: release the file now, not at garbage collection.
        input.close();
      }
    } catch (error) {
      const ready = batch;
      batch = [];
      yield* ready;
      stats.errors += 1;
      yield {
        kind: 'error',
        code: 'truncated-input',
        file,
        line: splitter.nextLineNumber,
        offset: splitter.committedOffset,
        reason: `read failed: ${messageOf(error)}`,
      };
      return;
    }
    const problem = input.problem;
    if (problem === null || problem.kind === 'trailing-garbage') splitter.finish(onLine, onOverlong);
    if (problem !== null) keep(gzipProblemError(file, problem, splitter));
    yield* batch;
  }
  return Object.assign(generate(), { stats });
}

/** Result of reading a file's header block for a tailer that resumes mid-file. */
export interface PrimedDecoder {
  decoder: ZeekLineDecoder;
  /** The schema in force at the end of the first header block, or null (JSON, or no header). */
  header: ZeekHeaderEvent | null;
}

/**
 * Prepares a decoder for a tailer that resumes a plain log at a byte offset. Without
 * `resumeOffset` it reads the leading header block (up to `maxHeaderBytes`). With it, it reads
 * every meta line before that offset, so a header block written mid-file (a restarted or
 * concatenated log) is the one in force. JSON logs have no header: the decoder then detects JSON
 * from the first line it is given.
 */
export async function primeDecoderFromFile(
  path: string,
  options: Omit<ZeekLineDecoderOptions, 'file'> & { file?: string; maxHeaderBytes?: number; resumeOffset?: number },
): Promise<PrimedDecoder> {
  const decoder = new ZeekLineDecoder({ ...options, file: options.file ?? path });
  const limit = options.resumeOffset ?? options.maxHeaderBytes ?? 64 * 1024;
  const leadingOnly = options.resumeOffset === undefined;
  let header: ZeekHeaderEvent | null = null;
  let stop = false;
  const splitter = new LineSplitter();
  const onLine = (bytes: Buffer, line: number, offset: number): void => {
    if (stop || offset >= limit) {
      stop = true;
      return;
    }
    if (bytes.length === 0) return;
    if (decoder.format === 'json' || (decoder.format === 'unknown' && bytes[0] === 0x7b)) {
      stop = true;
      return;
    }
    // Only meta lines change the decoder's state; data lines are skipped unread.
    if (decoder.format !== 'unknown' && bytes[0] !== 0x23) {
      if (leadingOnly) stop = true;
      return;
    }
    const event = decoder.decode(bytes, line, offset);
    if (event?.kind === 'header') {
      header = event;
      if (leadingOnly) stop = true;
    }
  };
  let stream;
  try {
    stream = createReadStream(path, { start: 0, end: Math.max(0, limit - 1), highWaterMark: 64 * 1024 });
    for await (const chunk of stream) {
      splitter.push(chunk as Buffer, onLine, () => undefined);
      if (stop) break;
    }
  } catch (error) {
    throw new DaemonError('ERR_INPUT_UNREADABLE', `zeek: cannot read ${path}`, { cause: error, meta: { path } });
  } finally {
    stream?.destroy();
  }
  return { decoder, header };
}
