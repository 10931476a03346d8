/**
 * `zeek-anomalyd demo` (npm run demo) as a user runs it: a child process that must exit 0, print
 * explained anomalies and a summary in which every live record was scored, and clean up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { CLI } from './harness.js';

void test('demo replays the sample week, prints explained anomalies and a summary, and cleans up', { timeout: 90_000 }, () => {
  const result = spawnSync(process.execPath, [CLI, 'demo', '--rows', '12000', '--seconds', '6'], { encoding: 'utf8', timeout: 80_000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const out = result.stdout;
  const dir = /zeek-anomalyd demo in (\S+)/.exec(out)?.[1];
  assert.ok(dir !== undefined, out);
  assert.equal(existsSync(dir), false, 'the temporary directory is removed');
  const summary = /summary: (\d+) of (\d+) live records scored, (\d+) anomalies/.exec(out);
  assert.ok(summary !== null, out);
  assert.equal(summary[1], summary[2], 'every live record scored once');
  const anomalies = Number(summary[3]);
  assert.ok(anomalies > 0);
  assert.equal(out.match(/^ {4}why: /gm)?.length, anomalies, 'each anomaly printed with its explanation');
  assert.match(out, /sensor: [1-9]\d* rotations, 1 truncation/);
  const caught = /labelled attack sessions in the live part: (\d+), caught: (\d+)/.exec(out);
  assert.ok(caught !== null && Number(caught[1]) > 0 && Number(caught[2]) > 0, out);
});
