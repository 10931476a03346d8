/**
 * A pid lock file so two daemons never share a state directory (they would overwrite each
 * other's checkpoints and models). A lock left by a process that no longer exists is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonError } from '../errors.js';

/** File name of the lock inside the state directory. */
export const LOCK_FILE = 'daemon.lock';

/** A held lock; `release()` removes the file if it is still ours. */
export interface StateLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Whether a process with this pid exists (signal 0 probes without delivering anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock in `stateDir` for this process. Throws ERR_STATE (meta.holderPid) when a live
 * process holds it; replaces a lock whose pid is dead or whose content is unreadable.
 */
export async function acquireStateLock(stateDir: string, pid = process.pid): Promise<StateLock> {
  const path = join(stateDir, LOCK_FILE);
  // Two rounds: the second follows removal of a stale lock. Losing the race to another starter
  // in between makes the second `wx` open fail, which is the right outcome.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { path, release: () => releaseLock(path, pid) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DaemonError('ERR_STATE', `state: cannot create lock ${path}`, {
          cause: error,
          meta: { path },
        });
      }
    }
    const holder = await readLockPid(path);
    if (holder !== null && holder !== pid && isProcessAlive(holder)) {
      throw new DaemonError(
        'ERR_STATE',
        `state: ${stateDir} is in use by another daemon (pid ${holder})`,
        { meta: { path, holderPid: holder } },
      );
    }
    await unlink(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }
  throw new DaemonError('ERR_STATE', `state: lost the race for lock ${path}`, { meta: { path } });
}

async function readLockPid(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DaemonError('ERR_STATE', `state: cannot read lock ${path}`, { cause: error });
  }
}

async function releaseLock(path: string, pid: number): Promise<void> {
  // Only remove a lock that is still ours: after a takeover it belongs to someone else.
  if ((await readLockPid(path)) !== pid) return;
  await unlink(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
}
