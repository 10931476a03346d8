/**
 * Rotation cases on real files: every line must arrive exactly once and in order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, Collector, createLog, delay, follow, inodeOf, range } from './harness.js';

// Port of @logdna/tail-file's log-roll test: N lines, rename halfway, recreate.
void test('rename halfway and recreate: every line once, in order', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 1);
  const { follower, collector } = follow(t, { patterns: [path] });
  await collector.waitForData(1);
  // Appends race the poll loop; the last append and the rename run in one synchronous step, so
  // the rename always lands while lines of the old file are still unread.
  for (let n = 1; n < 4501; n += 500) {
    appendLines(path, n, n + 500);
    await delay(2);
  }
  const oldInode = inodeOf(path);
  appendLines(path, 4501, 5000);
  const deliveredAtRename = collector.data.length;
  renameSync(path, join(dir, 'dce_rpc.2026-01-01-00-00-00.log'));
  createLog(path, 5000, 5000);
  const newInode = inodeOf(path);
  for (let n = 5000; n < 10000; n += 500) {
    appendLines(path, n, n + 500);
    await delay(2);
  }
  await collector.waitForData(10000);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 10000));
  // The old file was drained after the rename: its last lines came from its inode, not lost.
  assert.ok(deliveredAtRename < 5000);
  assert.deepEqual([...collector.inodesOf(0, 5000)], [oldInode]);
  assert.deepEqual([...collector.inodesOf(5000, 10000)], [newInode]);
  assert.ok(collector.rotations.some((r) => r.from.ino === oldInode), JSON.stringify(collector.rotations));
});

void test('Zeek rotation storm from a child process: 50,000 lines, rotating every 2,000', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const { follower, collector } = follow(t, { patterns: [path], wakeWithChokidar: true });
  // The writer behaves like Zeek: write, close, rename, and create the next file only when the
  // next record comes (after a gap), writing the header first. Each file lives a few poll
  // intervals: a file created and rotated away entirely between two polls is never seen at the
  // path (true of any path-following tailer; Zeek rotates hourly).
  const writer = `
    const fs = require('node:fs');
    const path = ${JSON.stringify(path)};
    let fd = null; let rotation = 0;
    const line = (n) => (1700000000 + n) + '.000000\\tC' + n.toString(36) + '\\top' + (n % 7) + '\\n';
    (async (t) => {
      for (let n = 0; n < 50000; n += 1) {
        if (fd === null) { fd = fs.openSync(path, 'w'); fs.writeSync(fd, '#separator \\\\x09\\n#open\\t' + rotation + '\\n#fields\\tts\\tuid\\toperation\\n'); }
        fs.writeSync(fd, line(n));
        if (n % 2000 === 1999) {
          fs.closeSync(fd); fd = null; rotation += 1;
          fs.renameSync(path, path.replace('.log', '.' + rotation + '.log'));
          await new Promise((r) => setTimeout(r, 5 + (n % 3) * 10));
        } else if (n % 250 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      if (fd !== null) fs.closeSync(fd);
    })();`;
  const child = spawn(process.execPath, ['-e', writer], { stdio: 'inherit' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(await exited, 0);
  await collector.waitForData(50000, 30_000);
  await delay(100);
  await follower.stop();
  assert.equal(collector.data.length, 50000);
  assert.deepEqual(collector.sequences(), range(0, 50000));
});

void test('rotation storm faster than the poll: files never seen at the path are found beside it', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 100 });
  // Whole files are created and rotated away between two polls: only their creation time,
  // between the last file finished and the next one opened, shows they were missed.
  const writer = `
    const fs = require('node:fs');
    const path = ${JSON.stringify(path)};
    let fd = null; let rotation = 0;
    const line = (n) => (1700000000 + n) + '.000000\\tC' + n.toString(36) + '\\top' + (n % 7) + '\\n';
    (async (t) => {
      for (let n = 0; n < 50000; n += 1) {
        if (fd === null) { fd = fs.openSync(path, 'w'); fs.writeSync(fd, '#separator \\\\x09\\n#open\\t' + rotation + '\\n#fields\\tts\\tuid\\toperation\\n'); }
        fs.writeSync(fd, line(n));
        if (n % 2000 === 1999) {
          fs.closeSync(fd); fd = null; rotation += 1;
          fs.renameSync(path, path.replace('.log', '.' + rotation + '.log'));
          await new Promise((r) => setTimeout(r, 2));
        } else if (n % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      if (fd !== null) fs.closeSync(fd);
    })();`;
  const child = spawn(process.execPath, ['-e', writer], { stdio: 'inherit' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(await exited, 0);
  await collector.waitForData(50000, 30_000);
  await delay(100);
  await follower.stop();
  assert.equal(collector.data.length, 50000);
  assert.deepEqual(collector.sequences(), range(0, 50000));
  assert.ok(collector.events.includes('rotated'));
});

void test('copytruncate: lines not yet read are recovered from the copy', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 100);
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 200 });
  await collector.waitForData(100);
  // Between two polls: more lines, then logrotate's copytruncate, then the writer goes on.
  appendLines(path, 100, 300);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  appendLines(path, 300, 400);
  await collector.waitForData(400);
  await delay(300);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 400));
  // The unread lines came from the copy, and the follower says so.
  assert.equal(collector.truncations.length, 1);
  assert.equal(collector.truncations[0]?.recoveredFrom, `${path}.1`);
  assert.deepEqual(new Set(collector.sources.slice(100, 300).map((f) => f.path)), new Set([`${path}.1`]));
});

void test('in-place truncation (Zeek restarted without rotation) starts over at 0', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 300);
  const { follower, collector } = follow(t, { patterns: [path] });
  await collector.waitForData(300);
  createLog(path, 1000, 1010); // O_TRUNC on the same inode, smaller than before
  await collector.waitForData(310);
  // Truncated and regrown past our offset between polls: caught by the fingerprint.
  const before = collector.data.length;
  createLog(path, 2000, 2400);
  await collector.waitFor(() => collector.data.length >= before + 400, 'regrown file');
  await delay(100);
  await follower.stop();
  assert.deepEqual(collector.sequences(), [...range(0, 300), ...range(1000, 1010), ...range(2000, 2400)]);
  assert.equal(collector.events.filter((e) => e === 'truncated').length, 2);
  // Each new reading starts with its header, so a decoder learns the schema again.
  assert.equal(collector.headerLines.filter((l) => l.startsWith('#fields')).length, 3);
});

void test('file missing for a while after rotation, then created', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 50);
  const { follower, collector } = follow(t, { patterns: [path] });
  await collector.waitForData(50);
  const oldInode = inodeOf(path);
  // One synchronous step: the rename lands before the follower can have delivered these lines.
  appendLines(path, 50, 60);
  renameSync(path, join(dir, 'dce_rpc.old.log'));
  assert.equal(collector.data.length, 50);
  await collector.waitFor(() => collector.events.includes('file-missing'), 'file-missing before the file comes back');
  createLog(path, 60, 80);
  await collector.waitForData(80);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 80));
  assert.deepEqual([...collector.inodesOf(50, 60)], [oldInode], 'the renamed file was drained');
});

void test('spool directory moved away and recreated (zeekctl post-terminate)', async (t) => {
  const root = tempDir();
  const spool = join(root, 'zeek');
  mkdirSync(spool);
  const path = join(spool, 'dce_rpc.log');
  createLog(path, 0, 40);
  const { follower, collector } = follow(t, { patterns: [path], wakeWithChokidar: true });
  await collector.waitForData(40);
  const oldInode = inodeOf(path);
  appendLines(path, 40, 50);
  renameSync(spool, join(root, 'zeek.post-terminate'));
  assert.equal(collector.data.length, 40);
  mkdirSync(spool);
  await delay(100);
  createLog(path, 50, 70);
  await collector.waitForData(70);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 70));
  assert.deepEqual([...collector.inodesOf(40, 50)], [oldInode], 'the moved file was drained');
});

void test('deleted and recreated at once (possible inode reuse): nothing lost, nothing repeated', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 30);
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 200 });
  await collector.waitForData(30);
  appendLines(path, 30, 35);
  unlinkSync(path);
  createLog(path, 35, 40);
  await collector.waitForData(40);
  await delay(300);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 40));
  rmSync(path);
});

// Found by the demo: the sensor's first file was created and rotated away before the follower's
// first poll, and the "born after we started" baseline was taken at that poll, too late.
void test('a file created and rotated away before the first poll is still read', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 200 });
  // Synchronous: done before the follower's first stat of the path. The pause puts the rename a
  // few clock ticks after the file's birth, as Zeek writing a quiet hour does.
  createLog(path, 0, 300);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
  renameSync(path, join(dir, 'dce_rpc.2026-01-01-00-00-00.log'));
  await delay(300);
  createLog(path, 300, 600);
  await collector.waitForData(600);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 600));
});

// #17/lead, 21:56: under load the storm above once ended one whole 2,000-line file short (the old
// birth-time scan). Here the consumer is deliberately slow, so the follower is always several
// files behind the writer: every file rotated while it was busy must come from the catch-up,
// by content, in order.
void test('slow consumer several rotations behind a fast writer: every rotated file is read once, in order', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const collector = new Collector();
  collector.handlerDelayMs = 15;
  const { follower } = follow(t, { patterns: [path], pollIntervalMs: 50, maxBatchBytes: 8192, readChunkBytes: 4096 }, collector);
  const writer = `
    const fs = require('node:fs');
    const path = ${JSON.stringify(path)};
    let fd = null; let rotation = 0;
    const line = (n) => (1700000000 + n) + '.000000\\tC' + n.toString(36) + '\\top' + (n % 7) + '\\n';
    (async () => {
      for (let n = 0; n < 20000; n += 1) {
        if (fd === null) { fd = fs.openSync(path, 'w'); fs.writeSync(fd, '#separator \\\\x09\\n#open\\t' + rotation + '\\n#fields\\tts\\tuid\\toperation\\n'); }
        fs.writeSync(fd, line(n));
        if (n % 1000 === 999) {
          fs.closeSync(fd); fd = null; rotation += 1;
          fs.renameSync(path, path.replace('.log', '.' + String(rotation).padStart(3, '0') + '.log'));
          await new Promise((r) => setTimeout(r, 5));
        } else if (n % 250 === 0) await new Promise((r) => setImmediate(r));
      }
      if (fd !== null) fs.closeSync(fd);
    })();`;
  const child = spawn(process.execPath, ['-e', writer], { stdio: 'inherit' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(await exited, 0);
  await collector.waitForData(20000, 60_000);
  await delay(200);
  await follower.stop();
  assert.equal(collector.data.length, 20000);
  assert.deepEqual(collector.sequences(), range(0, 20000));
});

// CI seed 4 / lead's seed 44 (issue 14 logrotate scenario): stopped right after a copytruncate,
// before the writer put a line into the emptied file, the checkpoint named the live inode with no
// fingerprint at offset 0. copytruncate keeps that inode for every generation, so the restart,
// three rotations later, resumed in the live file at 0 and skipped the three rotated generations.
void test('copytruncate, stop before the emptied file has a line, 3 rotations: the restart reads every generation', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const { gzipSync } = await import('node:zlib');
  const { readFileSync, writeFileSync } = await import('node:fs');
  // logrotate with compress and no delaycompress: shift .N.gz up, copy, truncate, gzip the copy.
  const rotate = (): void => {
    for (let n = 9; n >= 1; n -= 1) {
      try {
        renameSync(`${path}.${n}.gz`, `${path}.${n + 1}.gz`);
      } catch {
        // not there yet
      }
    }
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(`${path}.1`)));
    rmSync(`${path}.1`);
  };
  createLog(path, 0, 100);
  const run1 = follow(t, { patterns: [path], pollIntervalMs: 20 });
  await run1.collector.waitForData(100);
  // Plain `zeek -i`: after the truncation Zeek appends records, no header; none written yet.
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await run1.collector.waitFor(() => run1.collector.truncations.length === 1 && run1.follower.caughtUp(), 'the truncation handled');
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(`${path}.1`)));
  rmSync(`${path}.1`);
  appendLines(path, 100, 200);
  rotate();
  appendLines(path, 200, 300);
  rotate();
  appendLines(path, 300, 400);
  rotate();
  appendLines(path, 400, 500);
  const run2 = follow(t, { patterns: [path], pollIntervalMs: 20, checkpoints: saved });
  await run2.collector.waitFor(() => run2.follower.caughtUp() && run2.collector.data.length > 0, 'the restart caught up');
  await delay(200);
  await run2.follower.stop();
  assert.deepEqual(run1.collector.sequences(), range(0, 100));
  assert.equal(run2.collector.deliveredRanges(), '100-499');
});

void test('truncated in place after all was read, stopped before a new line: the restart reads the new content, no gap', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 100);
  const run1 = follow(t, { patterns: [path], pollIntervalMs: 20 });
  await run1.collector.waitForData(100);
  truncateSync(path, 0);
  await run1.collector.waitFor(() => run1.collector.truncations.length === 1 && run1.follower.caughtUp(), 'the truncation handled');
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  appendLines(path, 100, 200);
  const run2 = follow(t, { patterns: [path], pollIntervalMs: 20, checkpoints: saved });
  await run2.collector.waitForData(100);
  await delay(700);
  await run2.follower.stop();
  assert.equal(run2.collector.deliveredRanges(), '100-199');
  assert.deepEqual(run2.collector.events.filter((e) => e === 'gap' || e === 'gap-suspected'), []);
});
