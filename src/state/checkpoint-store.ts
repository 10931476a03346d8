/**
 * The checkpoint file: one versioned JSON document in the state directory holding, per followed
 * path, the file identity and byte offset handled so far. Written only after the output of those
 * lines is durable, so a crash can at worst re-deliver lines, and only since the last save.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
import type { FileCheckpoint } from '../tail/index.js';
import { writeFileAtomic } from './atomic-write.js';

/** File name of the checkpoint document inside the state directory. */
export const CHECKPOINT_FILE = 'checkpoints.json';

/** Version of the on-disk format; bump when the shape changes incompatibly. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** What `loadCheckpoints` found. `warning` is set when a bad file was set aside and ignored. */
export interface LoadedCheckpoints {
  checkpoints: FileCheckpoint[];
  /** Present when the file existed but could not be used; the daemon starts fresh and logs it. */
  warning?: DaemonError;
}

interface CheckpointDocument {
  version: number;
  savedAt: string;
  files: FileCheckpoint[];
}

/**
 * Reads the checkpoints saved in `stateDir`. A missing file means a first start (empty list).
 * A corrupt or incompatible file never throws: it yields an empty list plus a warning, because
 * refusing to start would stop detection altogether over a file we can rebuild.
 */
export async function loadCheckpoints(stateDir: string): Promise<LoadedCheckpoints> {
  const path = join(stateDir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [] };
    return {
      checkpoints: [],
      warning: new DaemonError('ERR_STATE', `state: cannot read ${path}; starting fresh`, {
        cause: error,
        meta: { path },
      }),
    };
  }
  try {
    return { checkpoints: parseCheckpointDocument(text) };
  } catch (error) {
    return {
      checkpoints: [],
      warning: new DaemonError(
        'ERR_STATE',
        `state: ${path} is corrupt (${messageOf(error)}); starting fresh`,
        { cause: error, meta: { path } },
      ),
    };
  }
}

/** Durably replaces the checkpoint file in `stateDir` (atomic: temp file, fsync, rename). */
export async function saveCheckpoints(
  stateDir: string,
  checkpoints: readonly FileCheckpoint[],
): Promise<void> {
  const document: CheckpointDocument = {
    version: CHECKPOINT_FORMAT_VERSION,
    savedAt: new Date().toISOString(),
    files: checkpoints.map((c) => ({
      path: c.path,
      dev: c.dev,
      ino: c.ino,
      fingerprint: c.fingerprint,
      offset: c.offset,
      line: c.line,
    })),
  };
  await writeFileAtomic(join(stateDir, CHECKPOINT_FILE), `${JSON.stringify(document, null, 2)}\n`);
}

/** Parses and validates a checkpoint document; throws an Error naming the first problem. */
export function parseCheckpointDocument(text: string): FileCheckpoint[] {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value)) throw new Error('not a JSON object');
  if (value.version !== CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`unsupported version ${JSON.stringify(value.version)}`);
  }
  if (!Array.isArray(value.files)) throw new Error('"files" is not an array');
  return value.files.map((entry: unknown, index: number) => {
    if (!isRecord(entry)) throw new Error(`files[${index}] is not an object`);
    const { path, dev, ino, fingerprint, offset, line } = entry;
    if (typeof path !== 'string' || path === '') throw new Error(`files[${index}].path is invalid`);
    if (typeof dev !== 'string' || !/^\d+$/.test(dev)) {
      throw new Error(`files[${index}].dev is invalid`);
    }
    if (typeof ino !== 'string' || !/^\d+$/.test(ino)) {
      throw new Error(`files[${index}].ino is invalid`);
    }
    if (typeof fingerprint !== 'string') throw new Error(`files[${index}].fingerprint is invalid`);
    if (!isCount(offset)) throw new Error(`files[${index}].offset is invalid`);
    if (!isCount(line) || line < 1) throw new Error(`files[${index}].line is invalid`);
    const checkpoint: FileCheckpoint = { path, dev, ino, fingerprint, offset, line };
    // Order key and state of the file (issue 14: catch-up across archives); absent in older documents.
    const { openStamp, firstTs, finished } = entry;
    if (typeof openStamp === 'string' || openStamp === null) checkpoint.openStamp = openStamp;
    if (typeof firstTs === 'number' || firstTs === null) checkpoint.firstTs = firstTs;
    if (typeof finished === 'boolean') checkpoint.finished = finished;
    // Digest of the file's first 4 KiB (tells apart files that start alike); absent in checkpoints written by earlier versions.
    const { headDigest } = entry;
    if (typeof headDigest === 'string' && /^[0-9a-f]{40}$/.test(headDigest)) checkpoint.headDigest = headDigest;
    return checkpoint;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
