/**
 * What the offline commands share: loading the INI (or the built-in default), streaming
 * dce_rpc records out of any number of logs with parse errors reported as FILE:LINE, a progress
 * bar on a terminal, and output files that never replace a previous one half-written.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { printable } from '../printable.js';
import { defaultConfig, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/index.js';
import { exitCodeFor, isDaemonError, messageOf, UsageError } from '../errors.js';
import { statSync } from 'node:fs';
import type { DceRpcReadEvent, DceRpcRecord, SourceLocation } from '../zeek/index.js';
import { availableParallelism } from 'node:os';
import { discoverArchive, parseTimeBound, scanLogFile, type ArchiveInput } from '../hunt/index.js';

export { UsageError };

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

/** The archive options of `score`, `train` and `eval` (docs/hunting.md). */
export const HUNT_OPTIONS = {
  threads: { type: 'string', short: 'j' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

/** Their usage lines, and the layouts LOG may name. */
export const HUNT_USAGE = `  -j, --threads N    worker threads reading files in parallel (default: the cores available,
                     ${availableParallelism()} here; for score, a free one takes over part of the
                     last file); the output does not depend on it
  --since TIME       only records with ts >= TIME (ISO 8601, a date alone is UTC midnight, or
                     epoch seconds); files entirely before it are skipped unread
  --until TIME       only records with ts < TIME; files starting at or after it are skipped
LOG is a file (TSV, JSON, .gz), a directory (every dce_rpc*.log[.gz] below it: zeekctl's
logs/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS.log.gz, the supervisor's archive/YYYY-MM-DD/ and
log-queue/, spool/), or a quoted glob ('logs/2024-05-*/dce_rpc.*.log.gz'). Files are read in
the order of their first record's time, not their names (docs/hunting.md).
`;

/** What the archive options ask for. */
export interface HuntPlan {
  threads: number;
  since: number | undefined;
  until: number | undefined;
}

export function huntPlan(values: Partial<Record<keyof typeof HUNT_OPTIONS, string>>): HuntPlan {
  let since: number | undefined;
  let until: number | undefined;
  try {
    since = parseTimeBound('since', values.since);
    until = parseTimeBound('until', values.until);
  } catch (error) {
    throw new UsageError(messageOf(error), { cause: error });
  }
  if (since !== undefined && until !== undefined && until <= since) {
    throw new UsageError(`--until (${values.until}) must be after --since (${values.since})`);
  }
  return { threads: intOption('threads', values.threads, 1) ?? availableParallelism(), since, until };
}

/**
 * Starts discovering and ordering the archive named by `inputs` under the plan's time range;
 * the readers start their workers meanwhile. A failure (a missing input) surfaces where the
 * result is awaited.
 */
export function huntArchive(inputs: readonly string[], plan: HuntPlan): ArchiveInput {
  const range = {
    ...(plan.since === undefined ? {} : { since: plan.since }),
    ...(plan.until === undefined ? {} : { until: plan.until }),
  };
  const discovering = discoverArchive(inputs, range);
  // Awaited later, by the reader: not an unhandled rejection in between.
  discovering.catch(() => undefined);
  return { range, discovering };
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
    let lastOffset = 0;
    const onEvent = (event: DceRpcReadEvent, where: SourceLocation): void => {
      if ('kind' in event) {
        if (event.kind === 'header') return;
        // A line that did not decode, or a record that is not a dce_rpc one.
        totals.parseErrors += 1;
        process.stderr.write(`${printable(`${event.file}:${event.line}: ${event.reason}`)}\n`);
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
    await scanLogFile(path, onEvent, afterChunk);
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
    throw new UsageError(messageOf(error), { cause: error });
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    return null;
  }
  return parsed;
}

/**
 * Runs a command body, turning expected failures into one-line errors (with the usage text for a
 * usage error) and their registry exit codes; anything else goes on to the last-resort handler.
 */
export async function runCommand(
  name: string,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (!isDaemonError(error)) throw error;
    process.stderr.write(`zeek-anomalyd ${name}: ${printable(error.message, { keepLineBreaks: true })}\n${error instanceof UsageError ? usage : ''}`);
    return exitCodeFor(error);
  }
}
