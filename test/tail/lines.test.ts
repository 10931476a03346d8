/**
 * Line handling and path selection: partial lines, over-long lines, globs, symlinks, backpressure.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { LogFollower } from '../../src/tail/log-follower.js';
import {
  appendLines,
  createLog,
  dataLine,
  delay,
  follow,
  range,
  sequenceOf,
} from './harness.js';

void test('a partial last line waits until its newline arrives', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 3);
  const { follower, collector } = follow(t, { patterns: [path] });
  await collector.waitForData(3);
  const line = dataLine(3);
  appendFileSync(path, line.slice(0, 10));
  await delay(150);
  assert.equal(collector.data.length, 3);
  appendFileSync(path, `${line.slice(10)}\n`);
  await collector.waitForData(4);
  await follower.stop();
  assert.equal(collector.data[3], line);
  // The checkpoint never points into the middle of a line.
  assert.equal(follower.checkpoints()[0]?.offset, collector.batches.at(-1)?.endOffset);
});

void test('an over-long line is skipped up to its newline and counted', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 2);
  appendFileSync(path, `${'x'.repeat(5000)}\n`);
  appendLines(path, 2, 4);
  const overlongEvents: number[] = [];
  const { follower, collector } = follow(t, {
    patterns: [path],
    maxLineBytes: 1000,
    readChunkBytes: 700,
  });
  follower.on('overlong', (event) => overlongEvents.push(event.lengthBytes));
  await collector.waitForData(4);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 4));
  assert.equal(collector.overlong, 1);
  assert.deepEqual(overlongEvents, [5000]);
});

void test('a glob follows several loggers, and one appearing later', async (t) => {
  const root = tempDir();
  for (const name of ['logger-1', 'logger-2', 'proxy-1']) mkdirSync(join(root, name));
  createLog(join(root, 'logger-1', 'dce_rpc.log'), 0, 100);
  createLog(join(root, 'logger-2', 'dce_rpc.log'), 1000, 1100);
  createLog(join(root, 'proxy-1', 'dce_rpc.log'), 5000, 5100);
  // Zeek's leftover-rotation shadow file must never be picked up.
  createLog(join(root, 'logger-1', '.shadow.dce_rpc.log'), 7000, 7010);
  const { follower, collector } = follow(t, {
    patterns: [join(root, 'logger-*', 'dce_rpc.log')],
  });
  await collector.waitForData(200);
  mkdirSync(join(root, 'logger-3'));
  createLog(join(root, 'logger-3', 'dce_rpc.log'), 2000, 2050);
  await collector.waitForData(250);
  await delay(100);
  await follower.stop();
  const got = collector.sequences();
  // Interleaving between files is free; within each file the order is exact.
  assert.deepEqual(got.filter((n) => n < 1000), range(0, 100));
  assert.deepEqual(got.filter((n) => n >= 1000 && n < 2000), range(1000, 1100));
  assert.deepEqual(got.filter((n) => n >= 2000), range(2000, 2050));
  assert.equal(follower.checkpoints().length, 3);
});

void test('a symlinked directory switched to another spool is followed there', async (t) => {
  const root = tempDir();
  mkdirSync(join(root, 'spool-a'));
  mkdirSync(join(root, 'spool-b'));
  createLog(join(root, 'spool-a', 'dce_rpc.log'), 0, 50);
  symlinkSync(join(root, 'spool-a'), join(root, 'current'));
  const { follower, collector } = follow(t, { patterns: [join(root, 'current', 'dce_rpc.log')] });
  await collector.waitForData(50);
  appendLines(join(root, 'spool-a', 'dce_rpc.log'), 50, 60);
  createLog(join(root, 'spool-b', 'dce_rpc.log'), 60, 90);
  // Re-point atomically, as a deploy would.
  symlinkSync(join(root, 'spool-b'), join(root, 'current.new'));
  renameSync(join(root, 'current.new'), join(root, 'current'));
  await collector.waitForData(90);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 90));
});

void test('backpressure: nothing more is read while the handler runs; batches stay bounded', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 20000);
  const follower = new LogFollower({
    patterns: [path],
    pollIntervalMs: 20,
    maxBatchBytes: 16384,
    readChunkBytes: 4096,
  });
  t.after(() => follower.stop());
  let inFlight = 0;
  let maxInFlight = 0;
  const batchBytes: number[] = [];
  const sequences: number[] = [];
  let lagSeenDuringRead = 0;
  follower.start(async (batch) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    batchBytes.push(batch.lines.reduce((sum, l) => sum + l.end - l.offset, 0));
    for (const line of batch.lines) {
      const seq = sequenceOf(line.bytes.toString());
      if (seq !== null) sequences.push(seq);
    }
    lagSeenDuringRead = Math.max(lagSeenDuringRead, follower.lag()[0]?.bytes ?? 0);
    await delay(1);
    inFlight -= 1;
  });
  // Deadlines only bound a failure: a loaded machine may take its time.
  const deadline = Date.now() + 60_000;
  while (sequences.length < 20000 && Date.now() < deadline) await delay(10);
  // The last batch is committed once its handler returns; the lag falls to zero then.
  while (follower.lag()[0]?.bytes !== 0 && Date.now() < deadline) await delay(10);
  const lagCaughtUp = follower.lag();
  await follower.stop();
  assert.deepEqual(sequences, range(0, 20000));
  assert.equal(maxInFlight, 1);
  assert.ok(batchBytes.length > 10, `${batchBytes.length} batches`);
  // One read chunk may overshoot the batch budget, never more.
  assert.ok(Math.max(...batchBytes) <= 16384 + 4096);
  // Lag is reported while behind and is zero once caught up.
  assert.ok(lagSeenDuringRead > 0);
  assert.deepEqual(lagCaughtUp, [{ path, bytes: 0 }]);
});

void test('a failing handler stops the follower with ERR_TAIL; its batch is not checkpointed', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 10);
  const follower = new LogFollower({ patterns: [path], pollIntervalMs: 20 });
  t.after(() => follower.stop());
  const fatal = new Promise<unknown>((resolve) => follower.once('fatal', resolve));
  const stopped = new Promise<void>((resolve) => follower.once('stopped', resolve));
  const sinkDown = new Error('disk full');
  follower.start(() => Promise.reject(sinkDown));
  const error = (await fatal) as { code: string; cause: unknown };
  await stopped;
  assert.equal(error.code, 'ERR_TAIL');
  assert.equal(error.cause, sinkDown);
  assert.equal(follower.checkpoints()[0]?.offset, 0);
});

void test('a path that is not a regular file is reported once as tail-error, and polling goes on', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  mkdirSync(path); // e.g. a misconfiguration, or a transient state during deployment
  const errors: { code: string; meta: Record<string, unknown> | undefined }[] = [];
  const { follower, collector } = follow(t, { patterns: [path] });
  follower.on('tail-error', (error) => errors.push(error));
  await collector.waitFor(() => errors.length > 0, 'the tail-error');
  // Several more polls (every 20 ms) find the same directory: still one report.
  await delay(150);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, 'ERR_TAIL');
  assert.equal(errors[0]?.meta?.code, 'ENOTFILE');
  rmSync(path, { recursive: true });
  createLog(path, 0, 5);
  await collector.waitForData(5);
  await follower.stop();
  assert.deepEqual(collector.sequences(), range(0, 5));
});
