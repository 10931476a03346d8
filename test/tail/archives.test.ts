/**
 * Issue 14 on real files: the follower finds rotated files in `archives` by content, resumes
 * inside a gzip at an uncompressed offset, reads later archives whole and in order, reports a
 * file that is gone as a gap, and on a new install reads a file rotated before anything was read.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, Collector, createLog, delay, follow, range, readWholeThenStop, zeekctlTree } from './harness.js';

/** zeekctl's archive-log: gzip the rotated file into logs/<day>/ and remove the spool copy. */
function archive(spoolFile: string, target: string): void {
  mkdirSync(join(target, '..'), { recursive: true });
  writeFileSync(target, gzipSync(readFileSync(spoolFile)));
  rmSync(spoolFile);
}

void test('stopped mid-file; the file and two more archived as .gz: resume inside the gzip, then the rest in order', async (t) => {
  const root = tempDir();
  const spool = join(root, 'spool');
  const logs = join(root, 'logs');
  mkdirSync(spool);
  const path = join(spool, 'dce_rpc.log');
  createLog(path, 0, 3000);
  const first = new Collector();
  first.handlerDelayMs = 5;
  const run1 = follow(t, { patterns: [path], maxBatchBytes: 4096, readChunkBytes: 1024 }, first);
  await first.waitForData(800);
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  assert.ok((saved[0]?.offset ?? 0) > 0);
  appendLines(path, 3000, 3200);
  // Three hours go by while the daemon is down; each hour is archived and its spool copy removed.
  for (const [hour, from, to] of [[10, 3200, 3400], [11, 3400, 3600]] as const) {
    renameSync(path, join(spool, `dce_rpc.2026-01-05-${hour - 1}-00-00.log`));
    archive(join(spool, `dce_rpc.2026-01-05-${hour - 1}-00-00.log`), join(logs, '2026-01-05', `dce_rpc.${hour - 1}:00:00-${hour}:00:00.log.gz`));
    createLog(path, from, to);
  }
  renameSync(path, join(spool, 'dce_rpc.2026-01-05-11-00-00.log'));
  archive(join(spool, 'dce_rpc.2026-01-05-11-00-00.log'), join(logs, '2026-01-05', 'dce_rpc.11:00:00-12:00:00.log.gz'));
  createLog(path, 3600, 3700);

  const run2 = follow(t, { patterns: [path], archives: [join(logs, '*', 'dce_rpc.*.log.gz')], checkpoints: saved });
  const events: string[] = [];
  run2.follower.on('catch-up', (p) => events.push(`${p.filesLeft}`));
  await run2.collector.waitFor(() => first.data.length + run2.collector.data.length >= 3700, 'all lines across both runs');
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual([...first.sequences(), ...run2.collector.sequences()], range(0, 3700));
  assert.deepEqual(events.slice(0, 3), ['3', '2', '1'], 'catch-up progress counted the files down');
});

// The race of the last session's judged logrotate seed 109: logrotate shifted `.3.gz` to `.4.gz`
// after the follower had read the directory and before it looked at `.3.gz`, so one look did not
// see the checkpointed file at all. Here the file is out of sight for the first look (moved out
// of the directory), and comes back under its shifted name at once after it.
void test('the checkpointed file missing from one look (logrotate shifting names): no gap, its rest is read', async (t) => {
  const root = tempDir();
  const dir = join(root, 'zeek');
  mkdirSync(dir);
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 300);
  const first = new Collector();
  first.handlerDelayMs = 5;
  const run1 = follow(t, { patterns: [path], maxBatchBytes: 2048, readChunkBytes: 1024 }, first);
  await first.waitForData(100);
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  assert.ok(first.data.length < 300, 'stopped mid-file');
  // Down for three rotations (copytruncate + compress); the checkpointed file is the oldest.
  const hidden = join(root, 'in-flight.gz');
  writeFileSync(hidden, gzipSync(readFileSync(path)));
  createLog(path, 300, 400);
  writeFileSync(`${path}.2.gz`, gzipSync(readFileSync(path)));
  createLog(path, 400, 500);
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
  createLog(path, 500, 600);

  const run2 = follow(t, { patterns: [path], archives: [`${path}.*`], checkpoints: saved });
  const gaps: number[] = [];
  const suspected: number[] = [];
  // Back under its shifted name right after the first look that missed it.
  const reappear = (): void => {
    if (existsSync(hidden)) renameSync(hidden, `${path}.3.gz`);
  };
  run2.follower.on('gap', (gap) => {
    gaps.push(gap.fromOffset);
    reappear();
  });
  run2.follower.on('gap-suspected', (event) => {
    suspected.push(event.looks);
    reappear();
  });
  await run2.collector.waitFor(() => run2.collector.sequences().includes(599), 'the live file read');
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual(gaps, [], 'no gap declared');
  assert.deepEqual(suspected, [1]);
  assert.deepEqual([...first.sequences(), ...run2.collector.sequences()], range(0, 600));
});

void test('the checkpointed file was deleted: a gap event names it and its offset; later files are still read', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const saved = await readWholeThenStop(t, path, 100);
  appendLines(path, 100, 150);
  rmSync(path); // rotated and deleted (an archive outside `archives`)
  createLog(path, 150, 200);
  renameSync(path, join(dir, 'dce_rpc.2026-01-05-01-00-00.log'));
  createLog(path, 200, 250);
  const run2 = follow(t, { patterns: [path], checkpoints: saved });
  const gaps: { fromOffset: number; fingerprint: string }[] = [];
  run2.follower.on('gap', (gap) => gaps.push({ fromOffset: gap.fromOffset, fingerprint: gap.file.fingerprint }));
  await run2.collector.waitForData(100);
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual(run2.collector.sequences(), range(150, 250));
  assert.deepEqual(gaps, [{ fromOffset: saved[0]?.offset, fingerprint: saved[0]?.fingerprint }]);
});

// The "a whole rotated file (2,500 records) was never read": the daemon went down before
// its first checkpoint of a new install, and the file it had not read yet was rotated meanwhile.
void test('new install: a file rotated away before the first checkpoint is read, older archives are not', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 9000, 9010);
  renameSync(path, join(dir, 'dce_rpc.2025-12-01-00-00-00.log'));
  const lastMonth = new Date(Date.now() - 30 * 86_400_000);
  utimesSync(join(dir, 'dce_rpc.2025-12-01-00-00-00.log'), lastMonth, lastMonth);
  const installedAt = Date.now();
  await delay(30);
  createLog(path, 0, 2500);
  renameSync(path, join(dir, 'dce_rpc.2026-01-05-00-00-00.log'));
  createLog(path, 2500, 2600);
  const { follower, collector } = follow(t, { patterns: [path], newInstallSinceMs: installedAt });
  await collector.waitForData(2600);
  await delay(100);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 2600));
});

void test('logrotate copytruncate + compress: the unread rest is recovered from dce_rpc.log.1.gz', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 100);
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 200 });
  await collector.waitForData(100);
  appendLines(path, 100, 300);
  // copytruncate, then compress without delaycompress, all between two polls.
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
  writeFileSync(path, '');
  appendLines(path, 300, 400);
  await collector.waitForData(400);
  await delay(300);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 400));
});

void test('a cut archive: its good lines are read, its rest is a gap (unreadable), then the files after it; tried with backoff, not every poll', async (t) => {
  const { spool, logs, path } = zeekctlTree(tempDir());
  const saved = await readWholeThenStop(t, path, 3000);
  appendLines(path, 3000, 6000);
  // archive-log was killed (or the disk filled) half-way through the gzip, and the spool copy
  // is gone: the archive ends in the middle of its deflate stream, for good.
  const whole = gzipSync(readFileSync(path));
  writeFileSync(join(logs, 'dce_rpc.09:00:00-10:00:00.log.gz'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  rmSync(path);
  createLog(path, 6000, 6200);
  renameSync(path, join(spool, 'dce_rpc.2026-01-05-10-00-00.log'));
  createLog(path, 6200, 6300);

  const collector = new Collector();
  const gaps: { reason: string | undefined; fromOffset: number }[] = [];
  let tries = 0;
  const run2 = follow(t, { patterns: [path], archives: [join(logs, 'dce_rpc.*.log.gz')], checkpoints: saved, brokenArchiveAfterMs: 600 }, collector);
  run2.follower.on('gap', (gap) => gaps.push({ reason: gap.reason, fromOffset: gap.fromOffset }));
  run2.follower.on('catch-up', (progress) => {
    if (progress.current?.endsWith('.gz') === true) tries += 1;
  });
  await collector.waitFor(() => collector.sequences().includes(6299), 'the files after the cut archive', 15_000);
  await delay(100);
  await run2.follower.stop();
  const sequences = collector.sequences();
  const cutAt = sequences.indexOf(6000);
  assert.ok(cutAt > 0, `some of the cut archive's lines were read (${collector.deliveredRanges()})`);
  assert.deepEqual(sequences.slice(0, cutAt), range(3000, 3000 + cutAt), 'the good lines of the cut archive, in order');
  assert.ok(3000 + cutAt < 6000, 'the archive really was cut');
  assert.deepEqual(sequences.slice(cutAt), range(6000, 6300), 'then every file after it');
  assert.equal(gaps.length, 1);
  assert.equal(gaps[0]?.reason, 'unreadable');
  assert.ok((gaps[0]?.fromOffset ?? 0) > (saved[0]?.offset ?? Infinity), 'the gap starts after the lines read');
  // 20 ms polls for 600 ms would be 30 tries; with the backoff (20, 40, 80… ms) it is about 6.
  assert.ok(tries <= 10, `tried ${tries} times`);
  assert.deepEqual(collector.events.filter((e) => e === 'tail-error').length, 1, 'reported once');
});
