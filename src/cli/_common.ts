/**
 * What the offline commands share: loading the INI (or the built-in default), streaming
 * dce_rpc records out of any number of logs with parse errors reported as FILE:LINE, a progress
 * bar on a terminal, and output files that never replace a previous one half-written.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultConfig, loadConfigFile, type Config } from '../config/index.js';
import { EXIT, isDaemonError } from '../errors.js';
import { statSync } from 'node:fs';
import { inferJsonSchema, scanDceRpcLog } from '../zeek/index.js';
import type { DceRpcReadEvent } from '../zeek/index.js';
import type { DceRpcRecord, SourceLocation } from '../zeek/dce-rpc-record.js';
import { open } from 'node:fs/promises';

/** A command's usage error: printed with the usage text, exit 2. */
export class UsageError extends Error {}

/** The INI at `path`, or the built-in default configuration when no -c was given. */
export async function loadConfigOption(path: string | undefined): Promise<Config> {
  return path === undefined ? defaultConfig() : loadConfigFile(path);
}

/** Parses a non-negative integer option, or throws UsageError naming it. */
export function intOption(name: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, not '${text}'`);
  }
  return Number(text);
}

/** Counts kept while reading records. */
export interface ReadTotals {
  records: number;
  parseErrors: number;
  bytes: number;
}

/** A redrawn single line on stderr when it is a terminal; silent otherwise. */
export class Progress {
  readonly #enabled: boolean;
  readonly #label: string;
  #total = 0;
  #done = 0;
  #lastDraw = 0;

  constructor(label: string, enabled = process.stderr.isTTY === true) {
    this.#label = label;
    this.#enabled = enabled;
  }

  setTotal(bytes: number): void {
    this.#total = bytes;
  }

  advance(bytes: number): void {
    this.#done += bytes;
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const fraction = this.#total > 0 ? Math.min(1, this.#done / this.#total) : 0;
    const width = 30;
    const filled = Math.round(fraction * width);
    process.stderr.write(
      `\r${this.#label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`,
    );
  }

  done(): void {
    if (this.#enabled && this.#lastDraw > 0) process.stderr.write('\r\x1b[K');
  }
}

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

/**
 * Streams every dce_rpc record of `paths`, in order, to `onRecord`. Bad lines go to stderr as
 * `FILE:LINE: reason`. An unreadable file (missing, a directory) throws DaemonError
 * ERR_INPUT_UNREADABLE before anything of it is delivered. `where` is only valid during the call
 * (copy it to keep it). `afterChunk` is awaited after each input chunk's records were delivered:
 * the place for a writer to wait for its output to drain.
 */
export async function readRecords(
  paths: readonly string[],
  onRecord: (record: DceRpcRecord, where: SourceLocation) => void,
  progress?: Progress,
  afterChunk?: () => Promise<void> | void,
): Promise<ReadTotals> {
  const totals: ReadTotals = { records: 0, parseErrors: 0, bytes: 0 };
  for (const path of paths) totals.bytes += fileSize(path);
  progress?.setTotal(totals.bytes);
  for (const path of paths) {
    const jsonSchema = (await firstByte(path)) === 0x7b ? await inferJsonSchema(path) : undefined;
    let lastOffset = 0;
    const onEvent = (event: DceRpcReadEvent, where: SourceLocation): void => {
      if ('kind' in event) {
        if (event.kind === 'header') return;
        // A line that did not decode, or a record that is not a dce_rpc one.
        totals.parseErrors += 1;
        process.stderr.write(`${event.file}:${event.line}: ${event.reason}\n`);
        return;
      }
      totals.records += 1;
      if (progress !== undefined && where.offset - lastOffset > 1 << 20) {
        progress.advance(where.offset - lastOffset);
        lastOffset = where.offset;
      }
      // `where` is one object reused for every record: no object per record on the hot path.
      onRecord(event, where);
    };
    await scanDceRpcLog(path, onEvent, {
      ...(jsonSchema === undefined ? {} : { jsonSchema }),
      ...(afterChunk === undefined ? {} : { afterChunk }),
    });
  }
  progress?.done();
  return totals;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    // readRecords reports the unreadable file itself when it gets there.
    return 0;
  }
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type CommandArgsConfig<O extends OptionsConfig, P extends boolean> = {
  args: string[];
  options: O & typeof HELP_OPTION;
  allowPositionals: P;
  strict: true;
};

/**
 * Parses a command's arguments with `-h/--help` added. Returns null when help was asked for and
 * printed; a bad option is a UsageError (printed with the usage text, exit 2, by runCommand).
 */
export function parseCommandArgs<const O extends OptionsConfig, const P extends boolean>(
  args: string[],
  options: O,
  usage: string,
  allowPositionals: P,
): ReturnType<typeof parseArgs<CommandArgsConfig<O, P>>> | null {
  const config: CommandArgsConfig<O, P> = { args, options: { ...options, ...HELP_OPTION }, allowPositionals, strict: true };
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    return null;
  }
  return parsed;
}

/** Runs a command body, turning expected failures into one-line errors and exit codes. */
export async function runCommand(
  name: string,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`zeek-anomalyd ${name}: ${error.message}\n${usage}`);
      return EXIT.usage;
    }
    if (isDaemonError(error)) {
      process.stderr.write(`zeek-anomalyd ${name}: ${error.message}\n`);
      return error.code === 'ERR_CONFIG_INVALID' ? EXIT.config : EXIT.usage;
    }
    throw error;
  }
}
