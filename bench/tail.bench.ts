/**
 * Follower throughput: sustained lines/s from append to delivery while a writer appends (and
 * rotates once, Zeek style), and catch-up lines/s over an existing file, each next to a plain
 * readFile + split of the same bytes measured in the same run (the ceiling for any reader).
 */
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogFollower } from '../src/tail/log-follower.js';

const LINES = 1_000_000;
const LINES_PER_APPEND = 5_000;
const HEADER = '#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\trtt\tnamed_pipe\tendpoint\toperation\n';

function line(n: number): string {
  return `${1700000000 + n}.123456\tC${n.toString(36)}abcdefgh\t10.0.${n % 256}.${(n >> 8) % 256}\t${49152 + (n % 16000)}\t10.1.0.5\t135\t0.000${n % 1000}\t135\tepmapper\tept_map\n`;
}

function chunk(from: number, to: number): string {
  let text = '';
  for (let n = from; n < to; n += 1) text += line(n);
  return text;
}

async function plainSplit(paths: string[]): Promise<{ lines: number; ms: number }> {
  const start = performance.now();
  let lines = 0;
  for (const path of paths) {
    const bytes = await readFile(path);
    let position = 0;
    for (;;) {
      const newline = bytes.indexOf(0x0a, position);
      if (newline === -1) break;
      // Touch the line as a consumer would get it.
      if (bytes.subarray(position, newline).length >= 0) lines += 1;
      position = newline + 1;
    }
  }
  return { lines, ms: performance.now() - start };
}

async function followUntil(
  path: string,
  expected: number,
  whileFollowing: () => Promise<void>,
): Promise<{ lines: number; ms: number }> {
  const follower = new LogFollower({ patterns: [path], pollIntervalMs: 100, wakeWithChokidar: false });
  let lines = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  follower.on('fatal', (error) => {
    throw error;
  });
  const start = performance.now();
  follower.start((batch) => {
    lines += batch.lines.length;
    if (lines >= expected) done();
    return Promise.resolve();
  });
  await whileFollowing();
  await finished;
  const ms = performance.now() - start;
  await follower.stop();
  return { lines, ms };
}

function report(label: string, measured: { lines: number; ms: number }, baseline: { lines: number; ms: number }): void {
  const rate = (measured.lines / measured.ms) * 1000;
  const baseRate = (baseline.lines / baseline.ms) * 1000;
  process.stdout.write(
    `${label}: ${measured.lines} lines in ${measured.ms.toFixed(0)} ms = ${Math.round(rate).toLocaleString('en')} lines/s; ` +
      `plain readFile+split ${Math.round(baseRate).toLocaleString('en')} lines/s; ratio ${(rate / baseRate).toFixed(2)}\n`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'tail-bench-'));
try {
  // 1. Sustained: the writer appends while the follower delivers; one Zeek-style rotation.
  const live = join(dir, 'dce_rpc.log');
  const rotated = join(dir, 'dce_rpc.1.log');
  await writeFile(live, HEADER);
  const expected = LINES + 4; // data lines + two 2-line headers
  const sustained = await followUntil(live, expected, async () => {
    for (let n = 0; n < LINES; n += LINES_PER_APPEND) {
      if (n === LINES / 2) {
        await rename(live, rotated);
        await writeFile(live, HEADER);
      }
      await appendFile(live, chunk(n, n + LINES_PER_APPEND));
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  const baseline1 = await plainSplit([rotated, live]);
  report('sustained append→delivery (1 rotation)', sustained, baseline1);
  // The writer shares this process, so its own cost bounds the sustained figure.
  const writerOnly = join(dir, 'writer-only.log');
  const writerStart = performance.now();
  for (let n = 0; n < LINES; n += LINES_PER_APPEND) {
    await appendFile(writerOnly, chunk(n, n + LINES_PER_APPEND));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const writerMs = performance.now() - writerStart;
  process.stdout.write(
    `  (writer alone, same appends: ${writerMs.toFixed(0)} ms = ` +
      `${Math.round((LINES / writerMs) * 1000).toLocaleString('en')} lines/s)\n`,
  );
  if (sustained.lines !== expected || baseline1.lines !== expected) {
    throw new Error(`line count mismatch: follower ${sustained.lines}, split ${baseline1.lines}, expected ${expected}`);
  }

  // 2. Catch-up: an existing file read from offset 0 (restart after downtime).
  const backlog = join(dir, 'backlog.log');
  await writeFile(backlog, HEADER);
  for (let n = 0; n < LINES; n += LINES_PER_APPEND) {
    await appendFile(backlog, chunk(n, n + LINES_PER_APPEND));
  }
  const catchUp = await followUntil(backlog, LINES + 2, () => Promise.resolve());
  const baseline2 = await plainSplit([backlog]);
  report('catch-up over an existing file', catchUp, baseline2);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
