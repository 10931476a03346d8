/**
 * A pid lock file so two daemons never share a state directory (they would overwrite each
 * other's checkpoints and models). A lock left by a process that no longer exists is taken over,
 * and so is one whose pid now belongs to another process (pid reuse after a crash or a reboot):
 * the file holds `PID START` where START is the process start time from /proc/PID/stat
 * (clock ticks since boot), and a live pid with another start time is not the holder. Without
 * /proc (or for a lock written by an older version, pid only) the pid's command line must name
 * zeek-anomalyd for the lock to count as held.
 */
import { readFileSync } from 'node:fs';
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
        const started = processStartTime(pid);
        await handle.writeFile(started === null ? `${pid}\n` : `${pid} ${started}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { path, release: () => releaseLock(path, pid) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DaemonError('ERR_STATE', `state: cannot create lock ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
          cause: error,
          meta: { path },
        });
      }
    }
    const lock = await readLock(path);
    const holder = lock?.pid ?? null;
    if (lock !== null && holder !== pid && isHolderAlive(lock)) {
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

/**
 * The start time of process `pid` (field 22 of /proc/PID/stat, clock ticks since boot), or null
 * when it cannot be read (no /proc, no such process).
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? start : null;
  } catch {
    // No /proc, or the process is gone: the caller falls back.
    return null;
  }
}

function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    // No /proc, or the process is gone.
    return null;
  }
}

/** Whether the process that wrote `lock` is still running (not merely its pid). */
export function isHolderAlive(lock: { pid: number; started: string | null }): boolean {
  if (!isProcessAlive(lock.pid)) return false;
  const started = processStartTime(lock.pid);
  if (lock.started !== null && started !== null) return started === lock.started;
  const command = commandLine(lock.pid);
  // No /proc at all: the pid check is all there is.
  if (command === null) return started === null;
  return /zeek-anomalyd|\/cli\.js\b/.test(command);
}

async function readLock(path: string): Promise<{ pid: number; started: string | null } | null> {
  try {
    const [pidText, started] = (await readFile(path, 'utf8')).trim().split(/\s+/);
    const pid = Number.parseInt(pidText ?? '', 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    return { pid, started: started !== undefined && /^\d+$/.test(started) ? started : null };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DaemonError('ERR_STATE', `state: cannot read lock ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
}

async function releaseLock(path: string, pid: number): Promise<void> {
  // Only remove a lock that is still ours: after a takeover it belongs to someone else.
  if ((await readLock(path))?.pid !== pid) return;
  await unlink(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  });
}
