import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireStateLock, isProcessAlive, LOCK_FILE } from '../../src/state/state-lock.js';
import { tempDir } from '../helpers/tmp.js';

/** Pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

void test('a lock is taken, refused to a second holder while alive, and released', async () => {
  const dir = tempDir();
  const lock = await acquireStateLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  // Another live process (our parent) trying the same directory is refused.
  writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
  await assert.rejects(acquireStateLock(dir), (error: { code: string; meta: { holderPid: number } }) => {
    assert.equal(error.code, 'ERR_STATE');
    assert.equal(error.meta.holderPid, process.ppid);
    return true;
  });
  // Releasing does not remove a lock that is no longer ours.
  await lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), true);
});

void test('a stale lock from a dead pid, or a garbled one, is taken over', async () => {
  const dir = tempDir();
  const pid = deadPid();
  assert.equal(isProcessAlive(pid), false);
  writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
  const lock = await acquireStateLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  await lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);

  writeFileSync(join(dir, LOCK_FILE), 'garbage');
  const again = await acquireStateLock(dir);
  await again.release();
});

void test('isProcessAlive', () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(deadPid()), false);
});
