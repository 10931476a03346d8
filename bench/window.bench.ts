/**
 * Training window at 1,000,000 rows: add throughput, memory per row, persist (snapshot and
 * journal append) and load times, each next to a same-run baseline (a plain array of row
 * objects, persisted as one JSON document), because the machine is noisy and shared.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/state/atomic-write.js';
import { TrainingWindow } from '../src/state/training-window.js';
import type { WindowRow } from '../src/state/training-window.js';

const ROWS = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const HOSTS = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
const SERVERS = Array.from({ length: 40 }, (_, i) => `10.200.0.${i + 1}`);
const PIPES = ['\\pipe\\lsass', 'svcctl', '135', '49667', 'samr', 'netlogon', null];
const ENDPOINTS = ['lsarpc', 'svcctl', 'epmapper', 'samr', 'netlogon', 'drsuapi', null];
const OPERATIONS = Array.from({ length: 60 }, (_, i) => `Operation${i}`).concat(['', 'unknown-77']);

/** Deterministic, realistic-looking row i (values repeat heavily, as on a sensor). */
function makeRow(i: number): WindowRow {
  const pick = <T>(list: readonly T[], k: number): T => list[k % list.length] as T;
  return {
    ts: 1_760_000_000 + i * 0.6,
    origHost: pick(HOSTS, (i * 2654435761) >>> 20),
    respHost: pick(SERVERS, i >>> 3),
    respPort: i % 5 === 0 ? null : pick([135, 445, 49667], i),
    namedPipe: pick(PIPES, i >>> 2),
    endpoint: pick(ENDPOINTS, i >>> 4),
    operation: i % 97 === 0 ? null : pick(OPERATIONS, (i * 40503) >>> 7),
  };
}

function heapBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

const dir = mkdtempSync(join(tmpdir(), 'window-bench-'));
try {
  // --- the window
  const before = heapBytes();
  let t = performance.now();
  const window = new TrainingWindow({ maxRows: ROWS, maxAgeMs: 0, directory: dir, compactAfterJournalRows: ROWS * 10 });
  for (let i = 0; i < ROWS; i++) window.add(makeRow(i));
  const windowAddMs = performance.now() - t;
  const windowBytes = heapBytes() - before;

  t = performance.now();
  await window.compact();
  const snapshotMs = performance.now() - t;
  const snapshotSize = statSync(join(dir, 'training-window.snapshot')).size;

  for (let i = ROWS; i < ROWS + 1000; i++) window.add(makeRow(i));
  t = performance.now();
  await window.persist();
  const journalMs = performance.now() - t;
  await window.close();

  t = performance.now();
  const loaded = await TrainingWindow.load({ maxRows: ROWS, maxAgeMs: 0, directory: dir });
  const windowLoadMs = performance.now() - t;
  if (loaded.window.size !== ROWS || loaded.warnings.length > 0) throw new Error('bench: window did not load back');
  await loaded.window.close();

  t = performance.now();
  let checksum = 0;
  for (const record of loaded.window.records()) checksum += record.respPort ?? 0;
  const iterateMs = performance.now() - t;

  const windowRssPeak = process.resourceUsage().maxRSS * 1024;

  // --- the baseline: a plain array of objects, persisted as one JSON document
  const baseBefore = heapBytes();
  t = performance.now();
  const naive: WindowRow[] = [];
  for (let i = 0; i < ROWS; i++) {
    naive.push({ ...makeRow(i) });
    if (naive.length > ROWS) naive.shift();
  }
  const naiveAddMs = performance.now() - t;
  const naiveBytes = heapBytes() - baseBefore;
  const naivePath = join(dir, 'naive.json');
  t = performance.now();
  await writeFileAtomic(naivePath, JSON.stringify(naive));
  const naivePersistMs = performance.now() - t;
  const naiveSize = statSync(naivePath).size;
  t = performance.now();
  const parsed = JSON.parse(await readFile(naivePath, 'utf8')) as WindowRow[];
  const naiveLoadMs = performance.now() - t;
  t = performance.now();
  let naiveChecksum = 0;
  for (const record of parsed) naiveChecksum += record.respPort ?? 0;
  const naiveIterateMs = performance.now() - t;
  // Keep both loops observable so neither is optimised away.
  if (checksum <= 0 || naiveChecksum <= 0) throw new Error('bench: empty iteration');

  const rssPeak = process.resourceUsage().maxRSS * 1024;
  console.log(`rows                 ${ROWS.toLocaleString('en-US')}`);
  console.log(`add                  window ${(ROWS / windowAddMs / 1000).toFixed(2)} M rows/s   baseline ${(ROWS / naiveAddMs / 1000).toFixed(2)} M rows/s   (window time ${ratio(windowAddMs, naiveAddMs)} of baseline)`);
  console.log(`memory per row       window ${(windowBytes / ROWS).toFixed(1)} B (${mb(windowBytes)})   baseline ${(naiveBytes / ROWS).toFixed(1)} B (${mb(naiveBytes)})   (${ratio(windowBytes, naiveBytes)})`);
  console.log(`persist full         window snapshot ${snapshotMs.toFixed(0)} ms, ${mb(snapshotSize)}   baseline JSON ${naivePersistMs.toFixed(0)} ms, ${mb(naiveSize)}   (${ratio(snapshotMs, naivePersistMs)} time, ${ratio(snapshotSize, naiveSize)} size)`);
  console.log(`persist checkpoint   window journal append of 1,000 rows + fsync ${journalMs.toFixed(1)} ms   baseline rewrites the whole JSON: ${naivePersistMs.toFixed(0)} ms`);
  console.log(`load                 window ${windowLoadMs.toFixed(0)} ms   baseline ${naiveLoadMs.toFixed(0)} ms   (${ratio(windowLoadMs, naiveLoadMs)})`);
  console.log(`iterate records()    window ${iterateMs.toFixed(0)} ms   baseline array ${naiveIterateMs.toFixed(0)} ms`);
  console.log(`process peak RSS     ${mb(windowRssPeak)} after the window part (add, snapshot, load, iterate); ${mb(rssPeak)} after the baseline too`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
