/**
 * The model's only I/O: an atomic save (temp file in the same directory, fsync, rename, fsync of
 * the directory) so a crash never leaves a half-written model, and a load that validates.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
import { writeSync } from 'node:fs';
import { jsonPieces, utf8Chunks } from './json-pieces.js';
import { parseModel, type KModesModel } from './model.js';

/** serializeModel's text in pieces (members down to three levels deep). */
function* modelText(model: KModesModel): Generator<string> {
  yield* jsonPieces(model, 2, 3);
  yield '\n';
}

/** Writes the model to `path` atomically. Throws DaemonError 'ERR_STATE' when it cannot. */
export async function saveModel(path: string, model: KModesModel): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      // serializeModel's bytes (2-space JSON, newline), 64 KiB at a time: no whole text, no copy.
      for (const chunk of utf8Chunks(modelText(model), 1 << 16)) {
        for (let done = 0; done < chunk.length; ) done += writeSync(handle.fd, chunk, done, chunk.length - done);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (error) {
    await rm(temp, { force: true });
    throw new DaemonError('ERR_STATE', `model: cannot save ${path}: ${messageOf(error)}`, {
      cause: error,
      meta: { file: path },
    });
  }
}

/**
 * Reads and validates a model file. Throws DaemonError 'ERR_INPUT_UNREADABLE' when the file
 * cannot be read, 'ERR_MODEL_INVALID' / 'ERR_MODEL_INCOMPATIBLE' when its content is refused.
 */
export async function loadModel(path: string): Promise<KModesModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new DaemonError('ERR_INPUT_UNREADABLE', `model: cannot read ${path}: ${messageOf(error)}`, {
      cause: error,
      meta: { file: path },
    });
  }
  return parseModel(text, path);
}
