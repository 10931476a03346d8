/**
 * CPU seconds per thread of this process, from Linux's /proc/self/task/TID/stat, so a bench can
 * say where a command's CPU went (its main thread, its worker threads, the libuv pool that
 * inflates gzip, V8's GC and compiler threads) rather than only how long it took. Wall clock on a
 * shared machine says little; CPU per thread says which work is serial and which runs beside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { deflate, inflate } from 'node:zlib';
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
 * The libuv pool's threads (where Node runs zlib and fs work): the threads that do most of the
 * work while this thread waits on zlib (V8's helpers may gain a tick meanwhile, finishing
 * compile or GC tasks, so a thread counts when it gained at least half what the busiest did).
 */
export async function libuvPoolThreads(): Promise<Set<number>> {
  const before = threadCpu();
  if (before === null) return new Set();
  const deflated = await promisify(deflate)(Buffer.alloc(8 << 20, 'dce_rpc\t'));
  const run = promisify(inflate);
  // Four at once reach every pool thread (UV_THREADPOOL_SIZE defaults to 4): ~0.1 s each.
  for (let i = 0; i < 24; i++) await Promise.all([run(deflated), run(deflated), run(deflated), run(deflated)]);
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
  /** libuv pool: gzip inflation, file reads. */
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
