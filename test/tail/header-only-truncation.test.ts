// A file whose header was handled before any record (a new Zeek file, or logrotate's first
// generation) is copytruncated and written again past the header's length between two polls: no
// fingerprint names its copy, and its inode is the live file's; the copies made since it was
// opened hold its records, and the live content is read from 0, not from past the old header.
import assert from 'node:assert/strict';
import { copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { actOnceBetweenPolls, appendLines, createLog, delay, follow, otherAndZeekLog, range, zeekHeader } from './harness.js';

void test('header handled, then copytruncate and regrowth past it between two polls: the copy, then the new content from 0', async (t) => {
  const { other, path } = otherAndZeekLog(tempDir(), 'dce_rpc.log');
  createLog(other, 1000, 1001);
  writeFileSync(path, zeekHeader('stamp-0'));
  const { collector, arm } = actOnceBetweenPolls(other, () => {
    appendLines(path, 0, 10);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendLines(path, 100, 200);
  });
  const { follower } = follow(t, { patterns: [other, path] }, collector);
  await collector.waitFor(() => collector.batches.some((b) => b.file.path === path), 'the header of dce_rpc.log');
  await collector.waitForData(1);
  await delay(100);
  arm();
  appendLines(other, 1001, 1002);
  await collector.waitFor(() => collector.sequences().includes(199), 'line 199', 10_000).catch(() => undefined);
  await delay(300);
  await follower.stop();
  const ofPath = collector.sequences().filter((_, i) => collector.sources[i]?.path !== other);
  assert.deepEqual(ofPath, [...range(0, 10), ...range(100, 200)]);
});
