/**
 * Crash-safe replacement of a small file. A reader (or the next daemon after a power cut) sees
 * either the whole old content or the whole new content, never a torn mix: the bytes go to a temp
 * file in the same directory, are fsynced, renamed over the target, and the directory is fsynced
 * so the rename itself is durable.
 */
import { closeSync, fsync, openSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DaemonError } from '../errors.js';

let tempCounter = 0;

/** A fresh temp-file path in the directory of `path`, so a rename onto `path` stays atomic. */
export function tempPathNextTo(path: string): string {
  tempCounter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tempCounter}.tmp`);
}

/**
 * Writes `data` to a file opened with `flags` and fsyncs it before closing. A list of chunks is
 * written in order, so a large file need not first be joined into one buffer.
 */
export async function writeFileSynced(path: string, data: string | Uint8Array | readonly Uint8Array[], flags: string): Promise<void> {
  const handle = await open(path, flags, 0o644);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for (const chunk of data) await writeWhole(handle, chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes the chunks `produce` yields, opening the file and pulling and writing every chunk
 * synchronously: a producer reading live state (records keep arriving) makes a consistent
 * snapshot as of the call, and only the chunk being written is held, not the whole file.
 */
async function writeChunksSynced(path: string, produce: () => Iterable<Uint8Array>): Promise<void> {
  const fd = openSync(path, 'w', 0o644);
  try {
    for (const chunk of produce()) for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
    await promisify(fsync)(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Atomically replaces `path` with `data` (temp file in the same dir, fsync, rename, fsync dir).
 * A function as `data` yields the chunks, written as they come (see writeChunksSynced).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[] | (() => Iterable<Uint8Array>)): Promise<void> {
  const tempPath = tempPathNextTo(path);
  try {
    await (typeof data === 'function' ? writeChunksSynced(tempPath, data) : writeFileSynced(tempPath, data, 'w'));
    await rename(tempPath, path);
    await syncDirectory(dirname(path));
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

/** fsyncs a directory, so a rename or a new file in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
