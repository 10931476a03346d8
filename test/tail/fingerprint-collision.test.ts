// A file's fingerprint is its first data line (past the `#` header, so Zeek's constant
// `#separator \x09` opening is not what tells TSV files apart). Files whose first records are the
// same (JSON logs, which have no header, from a source that starts every file with the same
// record) share it. Sharing a first line must not make two files one: every rotated file with
// other content is read, and the live file does not hide a rotated one that merely starts alike.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { actOnceBetweenPolls, delay, follow, otherAndZeekLog } from './harness.js';

/** The same first record in every file, then records `from`..`to`-1 (JSON, no header). */
function jsonLog(from: number, to: number): string {
  const lines = ['{"ts":1700000000.0,"uid":"CSTART","operation":"start"}'];
  for (let n = from; n < to; n += 1) lines.push(JSON.stringify({ ts: 1700000000 + n, uid: `C${n}`, operation: `op${n % 7}`, pad: 'x'.repeat(200) }));
  return `${lines.join('\n')}\n`;
}

/** Record numbers delivered (NaN for a line that is no record: a piece of one). */
function sequencesOf(data: readonly string[]): number[] {
  return data.flatMap((line) => {
    try {
      const uid = (JSON.parse(line) as { uid: string }).uid;
      return uid === 'CSTART' ? [] : [Number(uid.slice(1))];
    } catch {
      return [NaN];
    }
  });
}

void test('rotated files and a live file with the same first record are all read, in order', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.json');
  writeFileSync(path, jsonLog(0, 30));
  const run1 = follow(t, { patterns: [path] });
  await run1.collector.waitFor(() => sequencesOf(run1.collector.data).includes(29), 'record 29');
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  // While the daemon is down: two rotations (Zeek's rename), each new file starting alike.
  renameSync(path, join(dir, 'dce_rpc.2026-01-05-00-00-00.json'));
  writeFileSync(path, jsonLog(30, 60));
  renameSync(path, join(dir, 'dce_rpc.2026-01-05-01-00-00.json'));
  writeFileSync(path, jsonLog(60, 90));
  const run2 = follow(t, { patterns: [path], checkpoints: saved });
  await run2.collector.waitFor(() => sequencesOf(run2.collector.data).includes(89), 'record 89', 10_000).catch(() => undefined);
  await delay(700);
  await run2.follower.stop();
  assert.deepEqual(sequencesOf(run2.collector.data), Array.from({ length: 60 }, (_, i) => 30 + i));
  assert.ok(!run2.collector.events.includes('gap'), `no gap: ${run2.collector.events.join(',')}`);
});

// Truncated in place and written again past the read position between two polls, the new content
// starting with the same record: the first 4 KiB differ, so it is a truncation (the copy's rest
// is read, then the new content from 0), not more of the same file.
void test('a live file truncated and regrown between two polls with the same first record is read again from 0', async (t) => {
  const { other, path } = otherAndZeekLog(tempDir(), 'dce_rpc.json');
  writeFileSync(other, jsonLog(1000, 1001));
  writeFileSync(path, jsonLog(0, 30));
  // Between two polls of the JSON log.
  const { collector, arm } = actOnceBetweenPolls(other, () => {
    appendFileSync(path, jsonLog(30, 35).split('\n').slice(1).join('\n'));
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, jsonLog(35, 100));
  });
  const { follower } = follow(t, { patterns: [other, path] }, collector);
  await collector.waitFor(() => sequencesOf(collector.data).includes(29), 'record 29');
  await delay(100);
  arm();
  appendFileSync(other, `${JSON.stringify({ ts: 1700001001, uid: 'C1001' })}\n`);
  await collector.waitFor(() => sequencesOf(collector.data).includes(99), 'record 99', 10_000).catch(() => undefined);
  await delay(300);
  await follower.stop();
  const ofPath = sequencesOf(collector.data.filter((_, i) => collector.sources[i]?.path !== other));
  assert.deepEqual(ofPath, Array.from({ length: 100 }, (_, i) => i));
});
