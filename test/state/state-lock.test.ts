import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireStateLock, isProcessAlive, LOCK_FILE, processStartTime } from '../../src/state/state-lock.js';
import { tempDir } from '../helpers/tmp.js';

/** Pid of a process that has certainly exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

void test('a lock is taken, refused to a second holder while alive, and released', async () => {
  const dir = tempDir();
  const lock = await acquireStateLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').trim(), `${process.pid} ${processStartTime(process.pid)}`);
  // Another live process (our parent, as if it were a daemon that took the lock) is refused.
  writeFileSync(join(dir, LOCK_FILE), `${process.ppid} ${processStartTime(process.ppid)}\n`);
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
  assert.match(readFileSync(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} \\d+\n$`));
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

// Issue #15 item 7: a lock file holding any live pid blocked the start, so pid reuse after a
// crash (another process got the dead daemon's pid) kept the daemon down for good.
void test('pid reuse: a live pid that is not the process that wrote the lock does not hold it', async () => {
  const dir = tempDir();
  // The parent's pid with another start time: the pid was reused.
  const start = Number(processStartTime(process.ppid));
  writeFileSync(join(dir, LOCK_FILE), `${process.ppid} ${start + 1}\n`);
  const taken = await acquireStateLock(dir);
  await taken.release();
  // An old-style lock (pid only) naming a live process that is not zeek-anomalyd: taken over.
  writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`);
  const again = await acquireStateLock(dir);
  await again.release();
  // An old-style lock naming a live zeek-anomalyd process: refused.
  const daemon = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'zeek-anomalyd', 'run'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, LOCK_FILE), `${daemon.pid}\n`);
    await assert.rejects(acquireStateLock(dir), (error: { meta: { holderPid: number } }) => error.meta.holderPid === daemon.pid);
  } finally {
    daemon.kill('SIGKILL');
  }
});
