/**
 * The daemon's progress document: where reading stands in every followed file AND how far
 * anomalies.log had been written when reading stood there, saved as one atomic file between
 * batches. Because the two are saved together, a restart knows exactly which output bytes belong
 * to lines it is about to read again (see OutputReplay in sink/reconcile.ts).
 */
import { link, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
import { parseCheckpointDocument, writeFileAtomic } from '../state/index.js';
import type { FanoutPairJson } from '../score/index.js';
import type { FileCheckpoint } from '../tail/index.js';

export const PROGRESS_FILE = 'progress.json';
/**
 * The generation saved before the current one. When progress.json is lost or corrupt, the
 * daemon resumes from it: the lines read since are read again, and OutputReplay matches their
 * anomalies against anomalies.log, so nothing is written twice (as after a kill -9).
 */
export const PREVIOUS_PROGRESS_FILE = 'progress.prev.json';
const PROGRESS_VERSION = 1;

export interface OutputMark {
  dev: number;
  ino: number;
  size: number;
}

export interface Progress {
  files: FileCheckpoint[];
  /** anomalies.log as it was when `files` were handled; null before it ever existed. */
  output: OutputMark | null;
  /** The model that scores lines past `files` (a restart re-scores them with it). */
  modelId: string | null;
  /** Training sampler counter, so 1-in-N continues across restarts. */
  sampled: number;
  records: number;
  anomalies: number;
  suppressed: number;
  parseErrors: number;
  /** Input files (or their rest) lost before they could be read. */
  gaps: number;
  /**
   * The live discovery fan-out as it stood when `files` were handled (FanoutTracker.toJSON): a
   * restart counts the lines it reads again against it, so their verdicts are those of the
   * first reading.
   */
  fanout: FanoutPairJson[];
  /**
   * When this state directory was first used (ISO). Files rotated after it and never read are
   * read at the next start, even before the first checkpoint; older ones only seed training.
   */
  installedAt: string | null;
  savedAt: string;
}

export function emptyProgress(): Progress {
  return { files: [], output: null, modelId: null, sampled: 0, records: 0, anomalies: 0, suppressed: 0, parseErrors: 0, gaps: 0, fanout: [], installedAt: null, savedAt: '' };
}

export async function saveProgress(stateDirectory: string, progress: Progress): Promise<void> {
  const { fanout, ...rest } = progress;
  const document = { version: PROGRESS_VERSION, ...rest, savedAt: new Date().toISOString() };
  const path = join(stateDirectory, PROGRESS_FILE);
  await keepPrevious(path, join(stateDirectory, PREVIOUS_PROGRESS_FILE));
  // Readable, but the fan-out (thousands of pairs on a large network) on one line: it is written
  // with every checkpoint.
  const text = JSON.stringify(document, null, 1);
  await writeFileAtomic(path, `${text.slice(0, -2)},\n "fanout": ${fanoutText(fanout)}\n}\n`);
}

/** The fan-out's JSON by the list FanoutTracker.toJSON returned: it returns the same list until it changes. */
const savedFanoutText = new WeakMap<FanoutPairJson[], string>();

function fanoutText(fanout: FanoutPairJson[]): string {
  let text = savedFanoutText.get(fanout);
  if (text === undefined) savedFanoutText.set(fanout, (text = JSON.stringify(fanout)));
  return text;
}

/**
 * Keeps the current generation as `previous` by a hard link (no data written, and progress.json
 * never goes missing). Best effort: without it only the fallback is lost.
 */
async function keepPrevious(path: string, previous: string): Promise<void> {
  const temp = `${previous}.tmp`;
  try {
    await rm(temp, { force: true });
    await link(path, temp);
    await rename(temp, previous);
  } catch {
    // ENOENT before the first save; EPERM/ENOTSUP where hard links are not allowed.
  }
}

/**
 * Loads the progress document; a missing file is a fresh start. A file that cannot be read
 * (EACCES, EISDIR, EIO) is an error with its errno, always. A corrupt one is an error for readers
 * (status); the daemon passes `recover`: the corrupt file is set aside as
 * `progress.json.corrupt-<ms>`, and the previous generation (progress.prev.json) is used when it
 * is good, else a fresh start; `recover` gets the warning that says what it costs.
 */
export async function loadProgress(stateDirectory: string, recover?: (warning: string) => void): Promise<Progress> {
  const path = join(stateDirectory, PROGRESS_FILE);
  const current = await readProgressFile(path);
  if (current.progress !== null) return current.progress;
  if (current.corrupt === null && recover === undefined) return emptyProgress();
  if (recover === undefined) throw current.corrupt as DaemonError;
  let why = 'is missing';
  if (current.corrupt !== null) {
    const aside = `${path}.corrupt-${Date.now()}`;
    try {
      await rename(path, aside);
    } catch (error) {
      throw new DaemonError('ERR_STATE', `state: cannot set aside the corrupt ${path}: ${messageOf(error)}`, { cause: error });
    }
    why = `is corrupt (${messageOf(current.corrupt.cause ?? current.corrupt)}; set aside as ${aside})`;
  }
  const previousPath = join(stateDirectory, PREVIOUS_PROGRESS_FILE);
  const previous = await readProgressFile(previousPath).catch((error: unknown) => ({ progress: null, corrupt: error as DaemonError }));
  if (previous.progress !== null) {
    recover(
      `${path} ${why}: resuming from the previous checkpoint (${previousPath}, saved ${previous.progress.savedAt}); the lines read since are read again and their anomalies already in anomalies.log are matched, not written again`,
    );
    return previous.progress;
  }
  // Missing and nothing to fall back on: a first start (the daemon warns itself when the state
  // directory shows an earlier run).
  if (current.corrupt === null) return emptyProgress();
  recover(
    `${path} ${why} and no usable previous checkpoint: every followed file is read again from its start, and anomalies already in anomalies.log for those lines are written again`,
  );
  return emptyProgress();
}

/** One progress file: its document, or why it is corrupt; null both when it does not exist. */
async function readProgressFile(path: string): Promise<{ progress: Progress | null; corrupt: DaemonError | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { progress: null, corrupt: null };
    throw new DaemonError('ERR_STATE', `state: cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  try {
    return { progress: parseProgress(text), corrupt: null };
  } catch (error) {
    return { progress: null, corrupt: new DaemonError('ERR_STATE', `state: ${path} is corrupt: ${messageOf(error)}`, { cause: error }) };
  }
}

function parseProgress(text: string): Progress {
  const doc = JSON.parse(text) as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null) throw new Error('not a JSON object');
  if (doc.version !== PROGRESS_VERSION) throw new Error(`version ${String(doc.version)}, expected ${PROGRESS_VERSION}`);
  const files = parseCheckpointDocument(JSON.stringify({ version: 1, savedAt: doc.savedAt, files: doc.files }));
  const output = doc.output as OutputMark | null;
  if (output !== null && (typeof output !== 'object' || ![output.dev, output.ino, output.size].every(Number.isSafeInteger))) {
    throw new Error('output: expected {dev, ino, size}');
  }
  const count = (key: string): number => {
    const value = doc[key];
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new Error(`${key}: expected a count`);
    return value as number;
  };
  const modelId = doc.modelId;
  if (modelId !== null && typeof modelId !== 'string') throw new Error('modelId: expected a string or null');
  return {
    files,
    output,
    modelId,
    sampled: count('sampled'),
    records: count('records'),
    anomalies: count('anomalies'),
    suppressed: count('suppressed'),
    parseErrors: count('parseErrors'),
    // Absent in documents written before issue 14.
    gaps: doc.gaps === undefined ? 0 : count('gaps'),
    // Absent in documents written before it was saved; its entries are checked as they are restored.
    fanout: doc.fanout === undefined ? [] : fanoutList(doc.fanout),
    installedAt: typeof doc.installedAt === 'string' ? doc.installedAt : null,
    savedAt: String(doc.savedAt),
  };
}

function fanoutList(value: unknown): FanoutPairJson[] {
  if (!Array.isArray(value)) throw new Error('fanout: expected a list');
  return value as FanoutPairJson[];
}
