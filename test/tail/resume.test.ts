/**
 * Restart cases: a new follower built from saved checkpoints must continue exactly where the
 * previous one stopped, whatever happened to the file meanwhile.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, Collector, createLog, delay, follow, range, readWholeThenStop } from './harness.js';

void test('stop mid-stream and resume from checkpoints: the union is exact', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 3000);
  const first = new Collector();
  first.handlerDelayMs = 5; // slow consumer: stop lands mid-file
  const run1 = follow(t, { patterns: [path], maxBatchBytes: 4096, readChunkBytes: 1024 }, first);
  await first.waitForData(500);
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  assert.equal(saved.length, 1);
  const checkpoint = saved[0];
  assert.ok(checkpoint !== undefined && checkpoint.offset < statSync(path).size);
  appendLines(path, 3000, 3500);

  const run2 = follow(t, { patterns: [path], checkpoints: saved });
  await run2.collector.waitFor(
    () => first.data.length + run2.collector.data.length >= 3500,
    'all lines across both runs',
  );
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual([...first.sequences(), ...run2.collector.sequences()], range(0, 3500));
  // The resumed run re-learns the schema from a header replay, then continues at the offset.
  const replay = run2.collector.batches[0];
  assert.ok(replay?.headerReplay === true && replay.fileStart);
  assert.ok(replay.lines.some((l) => l.bytes.toString().startsWith('#fields')));
  assert.equal(run2.collector.batches[1]?.lines[0]?.offset, checkpoint.offset);
  assert.equal(run2.collector.batches[1]?.lines[0]?.line, checkpoint.line);
});

void test('rotated while stopped, rotated file still beside: it is finished first', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const saved = await readWholeThenStop(t, path, 100);
  // While we are down: more lines, Zeek rotates, the next file is created.
  appendLines(path, 100, 150);
  renameSync(path, join(dir, 'dce_rpc.2026-11-28-16-00-00.log'));
  createLog(path, 150, 200);

  const run2 = follow(t, { patterns: [path], checkpoints: saved });
  await run2.collector.waitForData(100);
  await run2.follower.stop();
  assert.deepEqual(run2.collector.sequences(), range(100, 200));
  assert.ok(run2.collector.events.includes('rotated'));
});

void test('rotated while stopped and the next file not created yet', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 10);
  const run1 = follow(t, { patterns: [path] });
  await run1.collector.waitForData(10);
  await run1.follower.stop();
  appendLines(path, 10, 20);
  renameSync(path, join(dir, 'dce_rpc.2026-11-28-16-00-00.log'));

  const run2 = follow(t, { patterns: [path], checkpoints: run1.follower.checkpoints() });
  await run2.collector.waitForData(10);
  createLog(path, 20, 30);
  await run2.collector.waitForData(20);
  await run2.follower.stop();
  assert.deepEqual(run2.collector.sequences(), range(10, 30));
});

void test('file replaced while stopped (rotated file archived away): new file from 0', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 50);
  const run1 = follow(t, { patterns: [path] });
  await run1.collector.waitForData(50);
  await run1.follower.stop();
  const rotated = join(dir, 'dce_rpc.2026-11-28-16-00-00.log');
  renameSync(path, rotated);
  rmSync(rotated); // archive-log gzipped it elsewhere and removed the spool copy
  // Created after the removal, so the new file may well reuse the old inode: the fingerprint
  // must still tell them apart, even though the new file is larger than the saved offset.
  createLog(path, 1000, 1200);

  const run2 = follow(t, { patterns: [path], checkpoints: run1.follower.checkpoints() });
  await run2.collector.waitForData(200);
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual(run2.collector.sequences(), range(1000, 1200));
});

void test('checkpoints of paths not seen in this run are kept', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const elsewhere = {
    path: join(dir, 'other', 'dce_rpc.log'),
    dev: '1',
    ino: '2',
    fingerprint: '',
    offset: 10,
    line: 3,
  };
  createLog(path, 0, 5);
  const run = follow(t, { patterns: [path], checkpoints: [elsewhere] });
  await run.collector.waitForData(5);
  await run.follower.stop();
  const saved = run.follower.checkpoints();
  assert.deepEqual(saved.find((c) => c.path === elsewhere.path), elsewhere);
  assert.equal(saved.find((c) => c.path === path)?.offset, statSync(path).size);
});

void test('several rotations while stopped: saved file finished, missed ones read, then current', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 100);
  const run1 = follow(t, { patterns: [path] });
  await run1.collector.waitForData(100);
  await run1.follower.stop();
  appendLines(path, 100, 150);
  renameSync(path, join(dir, 'dce_rpc.2026-11-28-16-00-00.log'));
  createLog(path, 150, 200);
  renameSync(path, join(dir, 'dce_rpc.2026-11-28-17-00-00.log'));
  createLog(path, 200, 250);

  const run2 = follow(t, { patterns: [path], checkpoints: run1.follower.checkpoints() });
  await run2.collector.waitForData(150);
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual(run2.collector.sequences(), range(100, 250));
});
