/**
 * Crash-safe replacement of a small file. A reader (or the next daemon after a power cut) sees
 * either the whole old content or the whole new content, never a torn mix: the bytes go to a temp
 * file in the same directory, are fsynced, renamed over the target, and the directory is fsynced
 * so the rename itself is durable.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DaemonError } from '../errors.js';

let tempCounter = 0;

/**
 * Atomically replaces `path` with `data` (temp file in the same dir, fsync, rename, fsync dir).
 * A list of chunks is written in order, so a large file need not first be joined into one buffer.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const dir = dirname(path);
  tempCounter += 1;
  const tempPath = join(dir, `.${basename(path)}.${process.pid}.${tempCounter}.tmp`);
  try {
    const handle = await open(tempPath, 'w', 0o644);
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
      else for (const chunk of data) await writeWhole(handle, chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
    await syncDirectory(dir);
  } catch (error) {
    // Best effort: the temp file does not exist when `open` failed, and a leftover temp file is
    // harmless; the original failure is what the caller needs to see.
    await unlink(tempPath).catch(() => undefined);
    throw new DaemonError('ERR_STATE', `state: cannot write ${path} atomically`, {
      cause: error,
      meta: { path },
    });
  }
}

async function writeWhole(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length; ) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
