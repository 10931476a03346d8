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

/**
 * CPU seconds the whole machine has spent busy (every process, every core: /proc/stat's first
 * line, user through steal), and this process's own with its waited-for children (zcat), or null
 * off Linux. Their difference over a pass is what other processes took meanwhile: a -j 2 figure
 * taken while they used a core says little about 2 free cores (load average lags by a minute).
 */
export function machineAndOwnCpu(): { machine: number; own: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    const self = readFileSync('/proc/self/stat', 'utf8');
    const own = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    // utime stime cutime cstime: fields 14-17, 11-14 after the command name.
    const ownTicks = (own[11] ?? 0) + (own[12] ?? 0) + (own[13] ?? 0) + (own[14] ?? 0);
    return { machine: (user + nice + system + irq + softirq + steal) / TICKS, own: ownTicks / TICKS };
  } catch {
    return null;
  }
}

/**
 * Whether the kernel groups CPU time by session (autogroup): then `nice` orders processes only
 * within their own session, and another session's `nice -n 10` job takes a fair share of the
 * cores from a benchmark in this one all the same. Null off Linux.
 */
export function autogroupNote(): string | null {
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return 'autogroup off';
    const group = readFileSync('/proc/self/autogroup', 'utf8').trim();
    return `autogroup on (${group}): other sessions' nice does not yield to this one`;
  } catch {
    return null;
  }
}
