// A file read from its start before its first record was complete gets its fingerprint when the
// first record is delivered. That fingerprint must be the one of the record delivered, not of
// whatever the file's head holds by then: under copytruncate the head may already belong to the
// next generation, and a fingerprint taken from it makes the follower read that generation on
// from the old one's offset (losing the old one's rest in `.1` and the new one's first bytes).
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { actOnceBetweenPolls, appendLines, createLog, dataLine, delay, follow, otherAndZeekLog, range, zeekHeader } from './harness.js';

void test('an empty fingerprint is filled from the record delivered, not from a later generation at the head', async (t) => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const chunk = 1024;
  const header = zeekHeader('stamp-0');
  // Two over-long comment lines (skipped, and no record): the first ends inside the first read,
  // the second inside the second. Their 'overlong' events come synchronously inside the read,
  // which lets this test act at two exact instants of one batch.
  const first = `#${'a'.repeat(chunk - header.length - 200)}\n`;
  const second = `#${'b'.repeat(400)}\n`;
  assert.ok(header.length + first.length < chunk && header.length + first.length + second.length > chunk);
  writeFileSync(path, header + first + second);
  let overlongSeen = 0;
  const { follower, collector } = follow(t, { patterns: [path], pollIntervalMs: 20, readChunkBytes: chunk, maxLineBytes: 256 });
  follower.on('overlong', () => {
    overlongSeen += 1;
    // During the first read: Zeek writes the generation's first records (read by the second read).
    if (overlongSeen === 1) appendLines(path, 0, 10);
    // During the second read, after it read them: logrotate copies the file to .1 and truncates
    // it, and Zeek writes the next generation (no header after a truncation), longer than the first.
    if (overlongSeen === 2) {
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      appendLines(path, 100, 400);
    }
  });
  await collector.waitFor(() => collector.sequences().includes(399), 'line 399', 20_000).catch(() => undefined);
  await delay(200);
  await follower.stop();
  assert.equal(overlongSeen, 2, 'both over-long lines were read in the planned reads');
  assert.equal(collector.deliveredRanges(), '0-9 100-399');
  assert.ok(collector.data.every((line, i) => line === dataLine(collector.sequences()[i] as number)), 'no line made of two generations');
});

// The same under copytruncate between two polls: the live file was empty (just truncated) and
// held open at offset 0; before the next poll Zeek wrote a generation, logrotate copied it to .1
// and truncated again, and Zeek wrote the next. The live file's first record then names the
// later generation, and the one in between is only in .1: the follower must look for it before
// it reads the live file, not take the live file's new content for the one it was waiting for.
void test('a live file held empty that gains its first record looks for a generation copied away meanwhile', async (t) => {
  const { other, path } = otherAndZeekLog(tempDir(), 'dce_rpc.log');
  createLog(other, 1000, 1001);
  createLog(path, 0, 10);
  // Between two polls of the dce_rpc log.
  const { collector, arm } = actOnceBetweenPolls(other, () => {
    appendLines(path, 100, 110);
    writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(`${path}.1`)));
    rmSync(`${path}.1`);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendLines(path, 200, 210);
  });
  const { follower } = follow(t, { patterns: [other, path], pollIntervalMs: 20 }, collector);
  await collector.waitForData(11);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await collector.waitFor(() => collector.truncations.length === 1, 'the first truncation');
  await delay(100);
  arm();
  appendLines(other, 1001, 1002);
  await collector.waitFor(() => collector.sequences().includes(209), 'line 209', 20_000).catch(() => undefined);
  await delay(200);
  await follower.stop();
  const ofPath = collector.sequences().filter((_, i) => collector.sources[i]?.path !== other);
  assert.deepEqual(ofPath, [...range(0, 10), ...range(100, 110), ...range(200, 210)]);
});
