// Checkpoints without a fingerprint ({inode, '', offset}): saved by versions before 0b9caf4 when a
// file was opened before its first record, and still saved past a header read before any record.
// They name only an inode, and logrotate's copytruncate keeps the inode for every generation: a
// restart must not take the live generation for the one the checkpoint was in when copies were
// rotated after the save (those hold the generations in between), nor read again copies from
// before it.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { FileCheckpoint } from '../../src/tail/types.js';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, createLog, delay, follow, range } from './harness.js';

function emptyCheckpoint(path: string, offset = 0): FileCheckpoint {
  const info = statSync(path, { bigint: true });
  return { path, dev: String(info.dev), ino: String(info.ino), fingerprint: '', offset, line: 1 };
}

/** logrotate's copytruncate + compress: `.1.gz` shifted to `.2.gz`, the live file copied to a new `.1.gz`. */
function copytruncate(path: string, mtimeMs: number): void {
  if (existsSync(`${path}.1.gz`)) renameSync(`${path}.1.gz`, `${path}.2.gz`);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(`${path}.1`)));
  rmSync(`${path}.1`);
  utimesSync(`${path}.1.gz`, mtimeMs / 1000, mtimeMs / 1000);
}

/** A restart from `saved` (saved at `savedAtMs`) until line `last` is read: the lines delivered. */
async function resumeFrom(t: TestContext, saved: FileCheckpoint, savedAtMs: number, last: number): Promise<number[]> {
  const { follower, collector } = follow(t, { patterns: [saved.path], checkpoints: [saved], checkpointsSavedAtMs: savedAtMs });
  await collector.waitFor(() => collector.sequences().includes(last), `line ${last}`, 10_000).catch(() => undefined);
  await delay(200);
  await follower.stop();
  return collector.sequences();
}

void test('an inode-only checkpoint: generations copied away since it was saved are read before the live one', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const now = Date.now();
  // Read before the save: generation 0-9, copied away long before (.2.gz by the end).
  createLog(path, 0, 10);
  copytruncate(path, now - 100_000);
  // Saved while the live file was empty (just truncated).
  const saved = emptyCheckpoint(path);
  const savedAtMs = now - 50_000;
  // While the daemon was down: 10-19 written, copied away; 20-29 live.
  appendLines(path, 10, 20);
  copytruncate(path, now - 10_000);
  appendLines(path, 20, 30);
  assert.deepEqual(await resumeFrom(t, saved, savedAtMs, 29), range(10, 30));
});

void test('an inode-only checkpoint with nothing rotated since its save resumes in the live file', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const now = Date.now();
  createLog(path, 0, 10);
  copytruncate(path, now - 100_000);
  const saved = emptyCheckpoint(path);
  appendLines(path, 10, 20);
  assert.deepEqual(await resumeFrom(t, saved, now - 50_000, 19), range(10, 20));
});
