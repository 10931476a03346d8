/**
 * CPU seconds per thread of this process, from Linux's /proc/self/task/TID/stat, so a bench can
 * say where a command's CPU went (its main thread, its worker threads, the libuv pool: file
 * reads, and gzip read on the main thread; V8's GC and compiler threads) rather than only how
 * long it took. Wall clock on a shared machine says little; CPU per thread says which work is
 * serial and which runs beside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on every Linux Node supports). */
const TICKS = 100;

/** tid → CPU seconds so far (user + system), or null when /proc is not there. */
export function threadCpu(): Map<number, number> | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const cpu = new Map<number, number>();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / TICKS);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/**
 * The libuv pool's threads (where Node runs fs work, and zlib for the main thread): the threads
 * that do the work of pool-only tasks while this thread waits. PBKDF2 runs wholly in the pool
 * and allocates nothing in JavaScript, so V8's GC and compiler helpers gain nothing meanwhile
 * (calibrating with zlib, whose big buffers wake the GC helpers, counted them as pool threads).
 * A thread counts when it gained at least half what the busiest did.
 */
export async function libuvPoolThreads(): Promise<Set<number>> {
  const before = threadCpu();
  if (before === null) return new Set();
  const run = promisify(pbkdf2);
  // Four at once reach every pool thread (UV_THREADPOOL_SIZE defaults to 4): ~0.1 s each.
  for (let i = 0; i < 4; i++) await Promise.all([0, 1, 2, 3].map(() => run('pool', 'threads', 100_000, 32, 'sha256')));
  const gains = [...(threadCpu() ?? new Map<number, number>())]
    .filter(([tid]) => tid !== process.pid)
    .map(([tid, seconds]): [number, number] => [tid, seconds - (before.get(tid) ?? 0)]);
  const most = Math.max(0, ...gains.map(([, gain]) => gain));
  return new Set(gains.filter(([, gain]) => most > 0 && gain >= most / 2).map(([tid]) => tid));
}

export interface ThreadCpuSplit {
  main: number;
  /** Threads started during the pass (the command's worker threads), each. */
  workers: number[];
  /** libuv pool: file reads (and gzip read on the main thread). */
  pool: number;
  /** Every other thread that was there before: V8's GC and compiler helpers, Node's own. */
  helpers: number;
  wall: number;
}

/**
 * Runs `pass` while sampling every thread's CPU (a worker's last sample is taken at most
 * `intervalMs` before it ends, so its figure can be short by that much of CPU), and splits it.
 */
export async function measureThreads(pass: () => Promise<void>, pool: Set<number>, intervalMs = 20): Promise<ThreadCpuSplit | null> {
  const start = threadCpu();
  if (start === null) return null;
  const last = new Map(start);
  const sample = (): void => {
    for (const [tid, seconds] of threadCpu() ?? []) last.set(tid, seconds);
  };
  const timer = setInterval(sample, intervalMs);
  const started = process.hrtime.bigint();
  try {
    await pass();
  } finally {
    clearInterval(timer);
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  sample();
  const split: ThreadCpuSplit = { main: 0, workers: [], pool: 0, helpers: 0, wall };
  for (const [tid, seconds] of last) {
    const used = seconds - (start.get(tid) ?? 0);
    if (tid === process.pid) split.main += used;
    else if (!start.has(tid)) split.workers.push(used);
    else if (pool.has(tid)) split.pool += used;
    else split.helpers += used;
  }
  return split;
}
