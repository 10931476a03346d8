/**
 * Hunting over an archive tree: a generated 2,000,000-record dce_rpc log cut into 10 zeekctl
 * `.log.gz` archives, then `score` end to end (discovery, gzip, decode, score, format, write,
 * through the command's own `run()`) with 1 and 2 worker threads and `train` with 1 and 2,
 * next to `zcat FILES | wc -l` of the same files in the same run (the machine is shared and
 * noisy: compare ratios between runs, not absolutes). Each figure is the best of ROUNDS
 * interleaved passes; every pass is printed too. CPU seconds (all threads) per million records
 * say what an idle machine would do: on N free cores, about N / (CPU s per record); each pass
 * prints the cores other processes used meanwhile (a figure taken beside them is not an idle
 * machine's). Last, the peak RSS of fresh `score` and `train` processes at 1 and 2 threads, and
 * of `score` on half the tree (memory is bounded by the worker count, not the archive).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as generate } from '../src/cli/generate.js';
import { run as score } from '../src/cli/score.js';
import { run as train } from '../src/cli/train.js';
import { quietly } from './quietly.js';
import { writeArchiveTree } from '../test/helpers/archive-tree.js';
import { autogroupNote, libuvPoolThreads, machineAndOwnCpu, measureThreads, type ThreadCpuSplit } from './thread-cpu.js';

const RECORDS = 2_000_000;
const FILES = 10;
/** Interleaved timed passes per variant (HUNT_BENCH_ROUNDS to change, e.g. 1 for a quick look). */
const ROUNDS = Number(process.env.HUNT_BENCH_ROUNDS ?? 3);
const TARGET_PER_S = 1_000_000;
const TARGET_SPEEDUP = 1.7;

interface Variant {
  label: string;
  pass: () => Promise<void>;
  seconds: number[];
  cpuSeconds: number[];
  /** Cores other processes kept busy during each pass (Linux), beside this one's. */
  othersCores: number[];
}

const CLI = new URL('../src/cli.js', import.meta.url);

/**
 * Runs `zeek-anomalyd ARGS` in a fresh process (through `runner`, see main); its peak RSS, in KiB:
 * Linux's VmHWM (this process image's own high-water mark; getrusage's maxRSS also counts the
 * bench's own RSS at the fork), else maxRSS.
 */
function peakRssKb(runner: string, args: string[]): number {
  const result = spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8' });
  const match = /maxrss (\d+)/.exec(result.stdout);
  if (result.status !== 0 || match === null) throw new Error(`bench: ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  const pool = await libuvPoolThreads();
  const dir = mkdtempSync(join(tmpdir(), 'zeek-hunt-bench-'));
  try {
    const log = join(dir, 'dce_rpc.log');
    const groups = join(dir, 'ip_groups.ini');
    const ini = join(dir, 'bench.ini');
    const model = join(dir, 'model.json');
    const out = join(dir, 'anomalies.log');
    await quietly('generate', () => generate(['--rows', String(RECORDS), '--seed', '3', '--days', '10', '-o', log, '--ip-groups', groups]));
    writeFileSync(ini, `[features]\nfold_pipe_case = true\nip_group_fallback = label\n\n${readFileSync(groups, 'utf8')}`);
    const tree = join(dir, 'zeek');
    const parts = writeArchiveTree(readFileSync(log, 'utf8'), tree, FILES);
    rmSync(log);
    const gzBytes = parts.reduce((sum, p) => sum + readFileSync(p.path).length, 0);
    await quietly('train', () => train(['-c', ini, '-o', model, tree]));
    process.stdout.write(
      `archive: ${parts.length} files, ${RECORDS} records, ${(gzBytes / 1e6).toFixed(1)} MB gzip (zeekctl logs/YYYY-MM-DD/dce_rpc.*.log.gz); ` +
        `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start` +
        `${autogroupNote() === null ? '' : `; scheduler ${autogroupNote()}`}\n`,
    );

    const zcatCommand = `zcat ${parts.map((p) => `'${p.path}'`).join(' ')} | wc -l`;
    const zcat: Variant = {
      label: 'baseline: zcat FILES | wc -l',
      pass: () => {
        const result = spawnSync('sh', ['-c', zcatCommand], { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`bench: zcat failed: ${result.stderr}`);
        return Promise.resolve();
      },
      seconds: [],
      cpuSeconds: [],
      othersCores: [],
    };
    const scoreAt = (threads: number): Variant => ({
      label: `score -j ${threads} -c INI -m MODEL -o OUT TREE`,
      pass: () => quietly('score', () => score(['-c', ini, '-m', model, '-o', out, '-j', String(threads), tree])),
      seconds: [],
      cpuSeconds: [],
      othersCores: [],
    });
    const trainAt = (threads: number): Variant => ({
      label: `train -j ${threads} -c INI -o MODEL TREE`,
      pass: () => quietly('train', () => train(['-c', ini, '-o', join(dir, `m${threads}.json`), '-j', String(threads), tree])),
      seconds: [],
      cpuSeconds: [],
      othersCores: [],
    });
    const score1 = scoreAt(1);
    const score2 = scoreAt(2);
    const train1 = trainAt(1);
    const train2 = trainAt(2);
    const variants = [zcat, score1, score2, train1, train2];
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        globalThis.gc?.();
        const cpu = process.cpuUsage();
        const machineBefore = machineAndOwnCpu();
        const started = process.hrtime.bigint();
        await v.pass();
        const wall = Number(process.hrtime.bigint() - started) / 1e9;
        v.seconds.push(wall);
        const used = process.cpuUsage(cpu);
        v.cpuSeconds.push((used.user + used.system) / 1e6);
        const machineAfter = machineAndOwnCpu();
        if (machineBefore !== null && machineAfter !== null) {
          const others = machineAfter.machine - machineBefore.machine - (machineAfter.own - machineBefore.own);
          v.othersCores.push(Math.max(0, others) / wall);
        }
      }
    }
    const best = (v: Variant): number => Math.min(...v.seconds);
    const rate = (v: Variant): number => RECORDS / best(v);
    const m = (perS: number): string => `${(perS / 1e6).toFixed(2)} M/s`;
    for (const v of variants) {
      const cpu = v === zcat ? '' : `, CPU ${(Math.min(...v.cpuSeconds) / (RECORDS / 1e6)).toFixed(2)} s per M records`;
      process.stdout.write(
        `  ${v.label.padEnd(44)} ${m(rate(v))}  ${(best(v) * 1000).toFixed(0).padStart(5)} ms best of ${ROUNDS}` +
          `  (passes: ${v.seconds.map((s) => (s * 1000).toFixed(0)).join(', ')} ms${cpu}` +
          `${v.othersCores.length > 0 ? `; other processes ${v.othersCores.map((c) => c.toFixed(2)).join(', ')} cores` : ''})\n`,
      );
    }
    const speedup = rate(score2) / rate(score1);
    const perRound = score2.seconds.map((s, i) => ((score1.seconds[i] as number) / s).toFixed(2)).join(', ');
    const cpuPerRecord = Math.min(...score2.cpuSeconds) / RECORDS;
    process.stdout.write(
      `score 2 threads: ${Math.round(rate(score2))} records/s [target >= ${TARGET_PER_S}: ${rate(score2) >= TARGET_PER_S ? 'MET' : 'NOT MET'}], ` +
        `${speedup.toFixed(2)}x 1 thread [target >= ${TARGET_SPEEDUP}x: ${speedup >= TARGET_SPEEDUP ? 'MET' : 'NOT MET'}] ` +
        `(per round: ${perRound}), ${((rate(score2) / rate(zcat)) * 100).toFixed(0)}% of zcat | wc -l\n`,
    );
    process.stdout.write(
      `score at the CPU it used: ${Math.round(2 / cpuPerRecord)} records/s on 2 idle cores, if nothing else ran ` +
        `(${(cpuPerRecord * 1e9).toFixed(0)} ns CPU per record, all threads)\n`,
    );
    process.stdout.write(
      `train: ${Math.round(rate(train1))} records/s with 1 thread, ${Math.round(rate(train2))} with 2 ` +
        `(${(rate(train2) / rate(train1)).toFixed(2)}x; workers sample each file and fold repeated observations)\n`,
    );

    // Where the CPU goes, thread by thread, in one more pass of each (not timed above: the
    // sampling costs the main thread a little). What -j 1 spends beside its worker (file reads in the
    // libuv pool, V8's GC and compiler threads, the main thread) runs free on the second core;
    // at -j 2 it competes with the workers, which caps the ratio whatever the tail.
    const splits: [string, ThreadCpuSplit | null][] = [];
    for (const v of [score1, score2]) {
      globalThis.gc?.();
      splits.push([v.label.slice(0, 10), await measureThreads(v.pass, pool)]);
    }
    for (const [label, split] of splits) {
      if (split === null) {
        process.stdout.write(`  CPU by thread: /proc/self/task is not readable here, not measured\n`);
        break;
      }
      const workers = split.workers.reduce((sum, s) => sum + s, 0);
      const beside = split.main + split.pool + split.helpers;
      const total = workers + beside;
      process.stdout.write(
        `  CPU by thread, ${label}: worker${split.workers.length === 1 ? '' : 's'} ${split.workers.map((s) => s.toFixed(2)).join(' + ')} s, ` +
          `main ${split.main.toFixed(2)} s, libuv pool (file reads) ${split.pool.toFixed(2)} s, V8/other helpers ${split.helpers.toFixed(2)} s; ` +
          `${total.toFixed(2)} s in ${split.wall.toFixed(2)} s wall (${(total / split.wall).toFixed(2)} cores), ` +
          `beside the workers ${((beside / workers) * 100).toFixed(0)}% of their CPU\n`,
      );
    }
    const [one, two] = [splits[0]?.[1], splits[1]?.[1]];
    if (one != null && two != null) {
      const cpuOf = (s: ThreadCpuSplit): number => s.main + s.pool + s.helpers + s.workers.reduce((sum, w) => sum + w, 0);
      process.stdout.write(
        `  ratio bound with no idle core at -j 2 (-j 1 wall / half the -j 2 CPU, this pass): ${(one.wall / (cpuOf(two) / 2)).toFixed(2)}x; ` +
          `-j 2 used ${(((cpuOf(two) - cpuOf(one)) / cpuOf(one)) * 100).toFixed(0)}% more CPU than -j 1\n`,
      );
    }

    // Peak RSS of a fresh process per command (worker threads included): bounded by the worker
    // count, so half the archive should cost about as much as all of it.
    const half = parts.slice(0, FILES / 2).map((p) => p.path);
    const peaks = [
      { label: `score -j 1 TREE (${FILES} files)`, args: ['score', '-c', ini, '-m', model, '-o', out, '-j', '1', tree] },
      { label: `score -j 2 TREE (${FILES} files)`, args: ['score', '-c', ini, '-m', model, '-o', out, '-j', '2', tree] },
      { label: `score -j 2 (first ${half.length} files)`, args: ['score', '-c', ini, '-m', model, '-o', out, '-j', '2', ...half] },
      { label: `train -j 1 TREE (${FILES} files)`, args: ['train', '-c', ini, '-o', join(dir, 'mr.json'), '-j', '1', tree] },
      { label: `train -j 2 TREE (${FILES} files)`, args: ['train', '-c', ini, '-o', join(dir, 'mr.json'), '-j', '2', tree] },
    ];
    // The CLI itself, run from a file (not -e: worker threads inherit the process's flags),
    // reporting its peak RSS (the whole process, worker threads included).
    const runner = join(dir, 'peak-rss.mjs');
    writeFileSync(
      runner,
      [
        `import { readFileSync } from 'node:fs';`,
        `process.stderr.write = () => true;`,
        `const peak = () => { try { return Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch { return process.resourceUsage().maxRSS; } };`,
        `process.on('exit', () => process.stdout.write('maxrss ' + peak() + '\\n'));`,
        `await import(${JSON.stringify(CLI.href)});`,
        '',
      ].join('\n'),
    );
    for (const { label, args } of peaks) {
      process.stdout.write(`  peak RSS ${label.padEnd(34)} ${(peakRssKb(runner, args) / 1024).toFixed(0)} MB\n`);
    }
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
