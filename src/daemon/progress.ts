/**
 * The daemon's progress document: where reading stands in every followed file AND how far
 * anomalies.log had been written when reading stood there, saved as one atomic file between
 * batches. Because the two are saved together, a restart knows exactly which output bytes belong
 * to lines it is about to read again (see OutputReplay).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
import { parseCheckpointDocument, writeFileAtomic } from '../state/index.js';
import type { FileCheckpoint } from '../tail/index.js';

export const PROGRESS_FILE = 'progress.json';
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
   * When this state directory was first used (ISO). Files rotated after it and never read are
   * read at the next start, even before the first checkpoint; older ones only seed training.
   */
  installedAt: string | null;
  savedAt: string;
}

export function emptyProgress(): Progress {
  return { files: [], output: null, modelId: null, sampled: 0, records: 0, anomalies: 0, suppressed: 0, parseErrors: 0, gaps: 0, installedAt: null, savedAt: '' };
}

export async function saveProgress(stateDirectory: string, progress: Progress): Promise<void> {
  const document = { version: PROGRESS_VERSION, ...progress, savedAt: new Date().toISOString() };
  await writeFileAtomic(join(stateDirectory, PROGRESS_FILE), `${JSON.stringify(document, null, 1)}\n`);
}

/** Loads the progress document; a missing file is a fresh start, a corrupt one an error. */
export async function loadProgress(stateDirectory: string): Promise<Progress> {
  const path = join(stateDirectory, PROGRESS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyProgress();
    throw new DaemonError('ERR_STATE', `state: cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
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
      installedAt: typeof doc.installedAt === 'string' ? doc.installedAt : null,
      savedAt: String(doc.savedAt),
    };
  } catch (error) {
    throw new DaemonError('ERR_STATE', `state: ${path} is corrupt: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * After a restart, the anomaly bytes re-scored for lines past the saved position are compared
 * with the bytes anomalies.log already holds past the saved size: what is already there (even a
 * torn half line) is not written again; only the missing rest is.
 */
export class OutputReplay {
  #present: Buffer;
  #position = 0;
  #done: boolean;
  /** Set when the re-scored output did not match what was on disk. */
  diverged = false;

  constructor(present: Buffer) {
    this.#present = present;
    this.#done = present.length === 0;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Bytes already on disk that re-scoring has not (yet) accounted for. */
  get unmatched(): number {
    return this.#done ? 0 : this.#present.length - this.#position;
  }

  /** Returns the part of `expected` that still has to be written. */
  admit(expected: Buffer): Buffer {
    if (this.#done) return expected;
    const remaining = this.#present.length - this.#position;
    const n = Math.min(remaining, expected.length);
    if (this.#present.compare(expected, 0, n, this.#position, this.#position + n) !== 0) {
      this.diverged = true;
      return this.finish(expected);
    }
    this.#position += n;
    if (this.#position === this.#present.length) this.#done = true;
    return expected.subarray(n);
  }

  /**
   * Ends the replay. What is on disk but was not re-produced stays; a torn last line is not
   * ended with a newline here (that would turn a fragment into a line a parser may accept): the
   * writer cuts it off before `next` is appended (AnomalyLogWriter.appendBatch).
   */
  finish(next: Buffer = Buffer.alloc(0)): Buffer {
    if (this.#done) return next;
    this.#done = true;
    this.#present = Buffer.alloc(0);
    return next;
  }
}
