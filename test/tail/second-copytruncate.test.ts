// Probe for mechanism 2 (copy into test/tail/, build, run): a second copytruncate while the first
// truncation's copy is being caught up. On tail-race f594eb3 it delivered '0-999 1100-1199'.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, createLog, delay, follow } from './harness.js';

void test('probe: second copytruncate during the truncation catch-up', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  createLog(path, 0, 100);
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 20, maxBatchBytes: 2048, readChunkBytes: 1024 });
  await collector.waitForData(100);
  collector.handlerDelayMs = 30;
  appendLines(path, 100, 1000);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await collector.waitForData(200);
  writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(`${path}.1`)));
  rmSync(`${path}.1`);
  appendLines(path, 1000, 1100);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  appendLines(path, 1100, 1200);
  collector.handlerDelayMs = 0;
  await collector.waitFor(() => collector.sequences().includes(1199), 'line 1199', 20000).catch(() => undefined);
  await delay(500);
  await follower.stop();
  assert.equal(collector.deliveredRanges(), '0-1199');
});
