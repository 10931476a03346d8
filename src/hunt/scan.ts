/**
 * One log file's records, as every offline reader takes them: JSON detected from the first byte
 * (its types inferred from the file), TSV through the dce_rpc fast path, gzip decompressed in a
 * stream. Shared by `readRecords` (one thread) and the hunt workers, so both read alike.
 */
import { open } from 'node:fs/promises';
import { inferJsonSchema, scanDceRpcLog } from '../zeek/index.js';
import type { DceRpcEventHandler, DceRpcReadEvent, ReadRange, ReadStats, SourceLocation } from '../zeek/index.js';

async function firstByte(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1);
    const { bytesRead } = await handle.read(buffer, 0, 1, 0);
    return bytesRead === 1 ? buffer[0] : undefined;
  } finally {
    await handle.close();
  }
}

/** How a hunt worker reads a file. */
export interface ScanLogFileOptions {
  /** Set to whether the file is JSON, before the first event. */
  format?: { json: boolean };
  /** Inflate gzip on this thread (a worker's), not in libuv's pool (see ScanHooks). */
  inflateOnThisThread?: boolean;
  /** The file's bytes, already in memory, in chunks, read instead of `path` (see ScanHooks). */
  source?: readonly Buffer[];
}

/**
 * Scans `path`, or only the part `range` of it (see scanDceRpcLog for the events and `where`,
 * ReadRange for the part); throws DaemonError ERR_INPUT_UNREADABLE when it cannot be opened at
 * all.
 */
export async function scanLogFile(
  path: string,
  onEvent: ((event: DceRpcReadEvent, where: SourceLocation) => void) | DceRpcEventHandler,
  afterChunk?: () => Promise<void> | void,
  range?: ReadRange,
  { format, inflateOnThisThread = false, source }: ScanLogFileOptions = {},
): Promise<ReadStats> {
  // An unopenable file is reported by scanDceRpcLog, with its reason.
  const json = (source !== undefined ? source[0]?.[0] : await firstByte(path).catch(() => undefined)) === 0x7b;
  if (format !== undefined) format.json = json;
  // A JSON `source` is read without inferred types (only the built-in warm-up passes one, TSV).
  const jsonSchema = json && source === undefined ? await inferJsonSchema(path) : undefined;
  return scanDceRpcLog(path, onEvent, {
    ...(jsonSchema === undefined ? {} : { jsonSchema }),
    ...(afterChunk === undefined ? {} : { afterChunk }),
    ...(range === undefined ? {} : { range }),
    inflateOnThisThread,
    ...(source === undefined ? {} : { source }),
  });
}
