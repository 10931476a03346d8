/**
 * The offline commands' view of an archive: `scoreArchive` for `score` (workers decode, score
 * and format; the main thread writes their text in file order) and `readArchive` for `train`
 * and `eval` (workers decode; the main thread gets every record in file order, exactly as the
 * single-threaded reader delivers them, so sampling, statistics and tallies do not depend on
 * the thread count).
 */
import type { DceRpcRecord, SourceLocation } from '../zeek/index.js';
import type { Archive, ArchiveFile, TimeRange } from './archive.js';
import { forEachRecord, type ChunkMessage, type HuntTask, type TrainSample } from './messages.js';
import { runPool, type StartedWorkers } from './pool.js';
import { HuntProgress } from './progress.js';

/** Counts of a hunt. `parseErrors` includes files that could not be opened. */
export interface HuntTotals {
  records: number;
  parseErrors: number;
  /** Records read but outside --since/--until. */
  outsideRange: number;
  files: number;
  skippedFiles: number;
}

export interface HuntRunOptions {
  threads: number;
  /** Progress label; no progress line when undefined. */
  progress?: string;
  /** Workers started ahead, while the caller prepared (see StartedWorkers). */
  started?: StartedWorkers;
}

/**
 * An archive, or the promise of one still being discovered: the workers then start while it is
 * (its time range must be known up front: the workers filter by it).
 */
export type ArchiveInput = Archive | { range: TimeRange; discovering: Promise<Archive> };

function split(input: ArchiveInput): { range: TimeRange; archive: Promise<Archive> } {
  return 'discovering' in input ? { range: input.range, archive: input.discovering } : { range: input.range, archive: Promise.resolve(input) };
}

function totalsOf(archive: Archive | undefined): HuntTotals {
  return { records: 0, parseErrors: 0, outsideRange: 0, files: archive?.files.length ?? 0, skippedFiles: archive?.skippedFiles ?? 0 };
}

function progressFor(archive: Archive, label: string | undefined): HuntProgress | undefined {
  if (label === undefined) return undefined;
  return new HuntProgress(label, archive.files.length, archive.files.reduce((sum, f) => sum + f.bytes, 0));
}

/** Writes bad-line reports to stderr without tearing the progress line. */
function report(progress: HuntProgress | undefined, lines: string[]): void {
  if (lines.length === 0) return;
  progress?.clear();
  process.stderr.write(lines.join(''));
}

/** `score`'s totals. */
export interface ScoreTotals extends HuntTotals {
  anomalies: number;
  suppressed: number;
}

/**
 * Scores every file of `archive` in `threads` workers; `write` gets the anomaly text in file
 * order (the same bytes, in the same order, for any thread count) and is awaited (backpressure).
 */
export function scoreArchive(
  input: ArchiveInput,
  task: Extract<HuntTask, { kind: 'score' }>,
  write: (text: string) => Promise<void>,
  options: HuntRunOptions,
): Promise<ScoreTotals> {
  const totals: ScoreTotals = { ...totalsOf(undefined), anomalies: 0, suppressed: 0 };
  return readChunks(input, task, totals, options, async (chunk) => {
    totals.anomalies += chunk.anomalies ?? 0;
    totals.suppressed += chunk.suppressed ?? 0;
    if (chunk.text !== undefined && chunk.text !== '') await write(chunk.text);
  });
}

/** What `trainArchive` hands this thread: see ChunkMessage's `sampled` and `observed`. */
export interface TrainingFeed {
  /** Each sampled record, in file and line order. */
  sampled: (record: DceRpcRecord) => void;
  /** Each file's observations (repeats folded), in file order. */
  observed: (record: DceRpcRecord) => void;
}

/**
 * Reads `archive` for training in `threads` workers: each worker samples its files (a sampler
 * stream per file, by its place in the archive) and folds repeated observations, and this
 * thread gets both in file order, so the sample and the statistics are the same for any thread
 * count while the per-record work runs in the workers. Bad lines go to stderr as FILE:LINE.
 */
export function trainArchive(input: ArchiveInput, sample: TrainSample, feed: TrainingFeed, options: HuntRunOptions): Promise<HuntTotals> {
  return readChunks(input, { kind: 'train', sample }, totalsOf(undefined), options, (chunk) => {
    if (chunk.sampled !== undefined) forEachRecord(chunk.sampled, feed.sampled);
    if (chunk.observed !== undefined) forEachRecord(chunk.observed, feed.observed);
  });
}

/**
 * Every record of `archive`, decoded in `threads` workers, to `onRecord` on this thread in file
 * and line order (each record a new object; `where` is reused, copy it to keep it). Bad lines
 * go to stderr as `FILE:LINE: reason`, as with readRecords.
 */
export function readArchive(
  input: ArchiveInput,
  onRecord: (record: DceRpcRecord, where: SourceLocation) => void,
  options: HuntRunOptions,
): Promise<HuntTotals> {
  const where: SourceLocation = { file: '', line: 0, offset: 0 };
  return readChunks(input, { kind: 'records' }, totalsOf(undefined), options, (chunk, file) => {
    if (chunk.batch === undefined) return;
    where.file = file.path;
    forEachRecord(chunk.batch, (record, line) => {
      where.line = line;
      onRecord(record, where);
    });
  });
}

/**
 * Runs a task over `input` in the workers, counting into `totals` and reporting bad lines and
 * unreadable files, with `consume` for each chunk's payload (awaited when it returns a promise,
 * so a slow writer holds the pool back).
 */
async function readChunks<Totals extends HuntTotals>(
  input: ArchiveInput,
  task: HuntTask,
  totals: Totals,
  options: HuntRunOptions,
  consume: (chunk: ChunkMessage, file: ArchiveFile) => Promise<void> | void,
): Promise<Totals> {
  const { range, archive: discovering } = split(input);
  let progress: HuntProgress | undefined;
  const files = discovering.then((archive) => {
    totals.files = archive.files.length;
    totals.skippedFiles = archive.skippedFiles;
    progress = progressFor(archive, options.progress);
    return archive.files;
  });
  await runPool({
    files,
    task,
    range,
    threads: options.threads,
    ...(options.started === undefined ? {} : { started: options.started }),
    onChunk: async (chunk, file) => {
      totals.records += chunk.records;
      totals.outsideRange += chunk.outside;
      totals.parseErrors += chunk.errors.length;
      report(progress, chunk.errors);
      const consumed = consume(chunk, file);
      if (consumed !== undefined) await consumed;
      progress?.records(chunk.records);
    },
    onUnreadable: (_file, message) => {
      totals.parseErrors += 1;
      report(progress, [`${message}\n`]);
    },
    onFileDone: (file) => progress?.fileDone(file.bytes),
  });
  progress?.done();
  return totals;
}
