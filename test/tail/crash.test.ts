/**
 * The daemon is killed with SIGKILL mid-stream and restarted from its state directory: no line
 * is lost, and only lines after the last checkpoint save (at most one batch) are repeated.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../../src/state/state-lock.js';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, createLog, delay, range, sequenceOf } from './harness.js';

const CHILD = fileURLToPath(new URL('./fixtures/follow-child.js', import.meta.url));

function outputSequences(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => sequenceOf(line) ?? -1);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

void test('SIGKILL mid-stream, rotation while down, restart: every line, at most one batch twice', async (t) => {
  const dir = tempDir();
  const stateDir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const output = join(dir, 'output.txt');
  createLog(path, 0, 20000);
  const children: ChildProcess[] = [];
  t.after(() => children.forEach((child) => child.kill('SIGKILL')));
  const startChild = (): ChildProcess => {
    const child = spawn(process.execPath, [CHILD, stateDir, output, path], { stdio: 'inherit' });
    children.push(child);
    return child;
  };

  const first = startChild();
  await until(() => outputSequences(output).length >= 3000, 'the first run to be mid-file');
  const killed = new Promise((resolve) => first.on('exit', resolve));
  first.kill('SIGKILL');
  await killed;
  const beforeCrash = outputSequences(output).length;
  assert.ok(beforeCrash < 20000, 'the kill must land mid-file for this test to mean anything');
  // The killed daemon's lock is stale now; the restart must take it over.
  assert.equal(existsSync(join(stateDir, LOCK_FILE)), true);

  // While down: Zeek rotates; the old file stays beside the path; a new one starts.
  appendLines(path, 20000, 20500);
  renameSync(path, join(dir, 'dce_rpc.2026-11-28-16-00-00.log'));
  createLog(path, 20500, 21000);

  const second = startChild();
  await until(() => new Set(outputSequences(output)).size >= 21000, 'all lines after restart');
  const exited = new Promise((resolve) => second.on('exit', resolve));
  second.kill('SIGTERM');
  await exited;

  const got = outputSequences(output);
  assert.deepEqual([...new Set(got)].sort((a, b) => a - b), range(0, 21000));
  const repeated = got.length - 21000;
  // Output is written, then the checkpoint counting that batch is saved: a kill in between
  // repeats that one batch (2 KiB of ~30-byte lines, plus a carried partial line: < 80 lines).
  assert.ok(repeated >= 0 && repeated <= 80, `${repeated} lines repeated`);
  // Apart from the one repeated batch, order is exact.
  const seen = new Set<number>();
  const deduplicated = got.filter((n) => !seen.has(n) && seen.add(n) !== undefined);
  assert.deepEqual(deduplicated, range(0, 21000));
  unlinkSync(output);
});
