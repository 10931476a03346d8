/**
 * Where a command's `-o PATH` goes. An atomic replace (temp file beside the target, fsync,
 * rename) is right for a regular file and for a path that does not exist yet, and wrong for
 * everything else: renaming over `/dev/null` replaces the system's null device with a regular
 * file, and renaming over a FIFO cuts off its reader. So:
 *
 * - a regular file, or a path that does not exist: replaced atomically when complete;
 * - a character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe), or `-`: written
 *   straight through, never renamed, created or removed;
 * - a directory, a block device or a socket: refused before anything is written.
 *
 * A symbolic link is followed: the file it names is what gets replaced or written to, and the
 * link itself stays a link.
 */
import { once } from 'node:events';
import { open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DaemonError, messageOf } from '../errors.js';
import { syncDirectory, tempPathNextTo } from '../state/index.js';

/** How an output path is written. */
export type OutputMode =
  | { kind: 'replace'; path: string }
  | { kind: 'write-through'; path: string }
  | { kind: 'stdout' };

/** An output being written: `commit` makes it final, `abort` leaves any previous file as it was. */
export interface OutputTarget {
  /** What the output is called in messages. */
  readonly label: string;
  write(data: string | Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function outputError(component: string, path: string, error: unknown): DaemonError {
  const errno = (error as NodeJS.ErrnoException).code;
  const detail = errno ?? messageOf(error);
  return new DaemonError('ERR_SINK_WRITE', `${component}: cannot write ${path}: ${detail}`, {
    cause: error,
    meta: { path, ...(errno === undefined ? {} : { errno }) },
  });
}

/**
 * Decides how `path` is written (`-` = standard output). Throws DaemonError 'ERR_USAGE' for a
 * directory, a block device or a socket.
 */
export async function outputMode(path: string, component: string): Promise<OutputMode> {
  if (path === '-') return { kind: 'stdout' };
  let resolved = path;
  try {
    resolved = await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A dangling link or a new path: there is nothing to protect; the rename creates it.
    if (code === 'ENOENT') return { kind: 'replace', path };
    throw outputError(component, path, error);
  }
  const info = await stat(resolved).catch((error: unknown) => {
    throw outputError(component, path, error);
  });
  if (info.isFile()) return { kind: 'replace', path: resolved };
  if (info.isCharacterDevice() || info.isFIFO()) return { kind: 'write-through', path: resolved };
  const what = info.isDirectory() ? 'a directory' : info.isBlockDevice() ? 'a block device' : 'a socket';
  throw new DaemonError('ERR_USAGE', `${component}: output ${path} is ${what}; give a file name (or - for standard output)`, {
    meta: { path },
  });
}

/** Opens `path` for writing as `outputMode` decides (see the module comment). */
export async function openOutputTarget(path: string, component: string): Promise<OutputTarget> {
  const mode = await outputMode(path, component);
  if (mode.kind === 'stdout') return stdoutTarget(component);
  if (mode.kind === 'write-through') return writeThroughTarget(mode.path, component);
  return replaceTarget(mode.path, component);
}

/** Writes `data` to `path` as one output (atomic for regular files, see the module comment). */
export async function writeOutputFile(path: string, data: string | Uint8Array, component: string): Promise<void> {
  const target = await openOutputTarget(path, component);
  try {
    await target.write(data);
    await target.commit();
  } catch (error) {
    await target.abort();
    throw error;
  }
}

/**
 * An output written through `handle`. `commit` closes it between `seal` (before) and `publish`
 * (after); `discard` undoes a failed commit or an abort. Closing twice is harmless.
 */
function handleTarget(
  handle: FileHandle,
  path: string,
  component: string,
  steps: { seal?: () => Promise<void>; publish?: () => Promise<void>; discard?: () => Promise<void> },
): OutputTarget {
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    label: path,
    async write(data) {
      try {
        await handle.writeFile(data);
      } catch (error) {
        throw outputError(component, path, error);
      }
    },
    async commit() {
      try {
        await steps.seal?.();
        await close();
        await steps.publish?.();
      } catch (error) {
        await steps.discard?.();
        throw outputError(component, path, error);
      }
    },
    async abort() {
      try {
        await close();
      } finally {
        await steps.discard?.();
      }
    },
  };
}

async function replaceTarget(path: string, component: string): Promise<OutputTarget> {
  const temp = tempPathNextTo(path);
  const handle = await openHandle(temp, 'wx', path, component);
  return handleTarget(handle, path, component, {
    seal: () => handle.sync(),
    publish: async () => {
      await rename(temp, path);
      await syncDirectory(dirname(path));
    },
    discard: () => rm(temp, { force: true }),
  });
}

async function writeThroughTarget(path: string, component: string): Promise<OutputTarget> {
  // 'w' on a device or FIFO truncates nothing and creates nothing; it only opens.
  return handleTarget(await openHandle(path, 'w', path, component), path, component, {});
}

function stdoutTarget(component: string): OutputTarget {
  return {
    label: 'standard output',
    async write(data) {
      try {
        if (!process.stdout.write(data)) await once(process.stdout, 'drain');
      } catch (error) {
        throw outputError(component, 'standard output', error);
      }
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

async function openHandle(file: string, flags: string, path: string, component: string): Promise<FileHandle> {
  try {
    return await open(file, flags, 0o644);
  } catch (error) {
    throw outputError(component, path, error);
  }
}
