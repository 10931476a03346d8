/**
 * The split rule (src/hunt/split-point.ts): a free worker takes over the rest of a file only
 * when the wait it saves exceeds the re-read of the file's head it costs, at the cut where both
 * workers finish together; and the pool follows it: no split where a re-read never pays, splits
 * where one big file would keep one worker busy long after the others, with the same records in
 * the same order as one thread gives.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { discoverArchive, runPool } from '../../src/hunt/index.js';
import { forEachRecord } from '../../src/hunt/messages.js';
import { DEFAULT_SKIP_COST, skipCostOf, splitPoint } from '../../src/hunt/split-point.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { seededRandom as random } from '../helpers/zeek-writer.js';

void test('splitPoint: both finish together, the saving beats the re-read, or no split', () => {
  const next = random(1701);
  for (let i = 0; i < 20_000; i++) {
    const end = 1 + Math.floor(next() * 1e9);
    const done = Math.floor(next() * end);
    const k = next() < 0.1 ? 0 : next() * 0.9;
    const minBytes = Math.floor(next() * 1e6);
    const at = splitPoint(done, end, k, minBytes);
    const balanced = Math.max(done, Math.floor((end + done) / (2 - k)));
    if (at === null) {
      // Declined only when the balanced cut hands over too little or does not pay.
      assert.ok(end - balanced < minBytes || end - balanced <= k * balanced, `declined ${done}/${end} k ${k}`);
      continue;
    }
    assert.ok(at >= done && at < end && end - at >= minBytes, `cut ${at} in [${done}, ${end})`);
    // Reader: at - done; the free worker: re-read k·at, then end - at. Equal within a byte or two.
    assert.ok(Math.abs(at - done - (k * at + end - at)) <= 2, `balanced: ${at - done} vs ${k * at + end - at}`);
    assert.ok(end - at > k * at, 'the wait saved exceeds the re-read');
    // The run ends sooner than with the reader alone.
    assert.ok(Math.max(at - done, k * at + end - at) < end - done);
  }
});

void test('splitPoint: skipCost 0 halves what is left (the rule without costs); a re-read as dear as processing never pays', () => {
  const next = random(1702);
  for (let i = 0; i < 5000; i++) {
    const end = 1 + Math.floor(next() * 1e9);
    const done = Math.floor(next() * end);
    const minBytes = Math.floor(next() * 1e6);
    const middle = Math.max(done, Math.floor((done + end) / 2));
    assert.equal(splitPoint(done, end, 0, minBytes), end - middle >= minBytes ? middle : null);
    assert.equal(splitPoint(done, end, 1, 0), null);
    assert.equal(splitPoint(done, end, 5, 0), null);
  }
});

void test('splitPoint: late in the last of equal files it declines, early in a big file it splits', () => {
  const file = 22_000_000;
  // Ten equal files on two workers: one is free while the other is 70 % through its last file.
  // Halving the rest re-reads 85 % of the file to save 15 % of it; the rule declines.
  assert.equal(splitPoint(0.7 * file, file, DEFAULT_SKIP_COST, 1 << 20), null);
  // One huge file beside small ones: the free worker arrives 10 % in. It splits, past the middle
  // of what is left (0.55), since the free worker also re-reads the head: 1.1 / 1.85 = 0.595.
  const huge = 10 * file;
  const at = splitPoint(0.1 * huge, huge, DEFAULT_SKIP_COST, 1 << 20);
  assert.ok(at !== null && Math.abs(at / huge - 1.1 / (2 - DEFAULT_SKIP_COST)) < 1e-6, `cut at ${at === null ? 'none' : (at / huge).toFixed(3)}`);
  // Measured rates replace the default; missing ones fall back to it.
  assert.equal(skipCostOf(10, 1), 0.1);
  assert.equal(skipCostOf(undefined, 1), DEFAULT_SKIP_COST);
  assert.equal(skipCostOf(10, undefined), DEFAULT_SKIP_COST);
});

const weekText = gunzipSync(readFileSync(join(repoRoot, 'samples', 'week.log.gz'))).toString('utf8');
const weekLines = weekText.split('\n');
const header = weekLines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
const records = weekLines.filter((line) => line !== '' && !line.startsWith('#'));

/**
 * Every record the pool delivers, in order, as `path:line: record`; and its stats. `slow`: the
 * chunks of that file are consumed 40 ms apart, which holds its worker back (it stops after a
 * few chunks not consumed), whatever the machine's load does to the other worker's start.
 */
async function pooled(files: Awaited<ReturnType<typeof discoverArchive>>['files'], threads: number, skipCost?: number, slow?: string) {
  const got: string[] = [];
  const stats = await runPool({
    files,
    task: { kind: 'records' },
    range: {},
    threads,
    chunkRecords: 512,
    split: true,
    minSplitBytes: 64 * 1024,
    ...(skipCost === undefined ? {} : { skipCost }),
    onChunk: async (chunk, file) => {
      if (file.path === slow) await sleep(40);
      assert.deepEqual(chunk.errors, []);
      if (chunk.batch !== undefined) forEachRecord(chunk.batch, (record, line) => got.push(`${file.path}:${line}: ${JSON.stringify(record)}`));
    },
    onUnreadable: (file, message) => assert.fail(`${file.path}: ${message}`),
  });
  return { got, stats };
}

void test('pool: no split where the re-read never pays; halving when it is free; the same records either way', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'dce_rpc.a.log.gz'), gzipSync(weekText));
  writeFileSync(join(dir, 'dce_rpc.b.log'), weekText);
  const archive = await discoverArchive([dir]);
  assert.equal(archive.files.length, 2);
  const one = await pooled(archive.files, 1);
  assert.equal(one.got.length, 2 * records.length);
  // Three workers, two files: the third is free from the start and asks for a share at once.
  const never = await pooled(archive.files, 3, 1);
  assert.equal(never.stats.splits, 0, 'a re-read as dear as processing: no split');
  assert.deepEqual(never.got, one.got);
  const free = await pooled(archive.files, 3, 0);
  assert.ok(free.stats.splits > 0, `a free re-read: splits (${free.stats.splits})`);
  assert.deepEqual(free.got, one.got);
});

void test('pool, measured costs: one big file beside small ones is still shared, with the records of one thread', async () => {
  const dir = tempDir();
  // The big file holds the week three times over (13.6 MB, about 52 chunks of the reader) and
  // comes first (earliest records); the small ones hold 400 records each from the week's last
  // day, so they sort after it.
  writeFileSync(join(dir, 'dce_rpc.big.log.gz'), gzipSync([...header, ...records, ...records, ...records, ''].join('\n')));
  for (let i = 0; i < 4; i++) {
    const part = records.slice(records.length - 400 * (4 - i), records.length - 400 * (3 - i));
    writeFileSync(join(dir, `dce_rpc.small${i}.log.gz`), gzipSync([...header, ...part, ''].join('\n')));
  }
  const archive = await discoverArchive([dir]);
  assert.equal(archive.files.length, 5);
  assert.ok(archive.files[0]?.path.endsWith('dce_rpc.big.log.gz'), 'the big file first');
  const one = await pooled(archive.files, 1);
  // About 52 chunks (one per 256 KiB the reader hands over), consumed 40 ms apart: 2 s, and the
  // other worker may run at most 4 chunks ahead of that. The free worker, done with 1,600
  // small-file records, finds it a few percent in (it declines past 65 %, some 1.2 s of slack
  // for a slow start): the wait saved is far more than the re-read of the head.
  const two = await pooled(archive.files, 2, undefined, archive.files[0]?.path);
  assert.ok(two.stats.splits > 0, `the big file was shared (${two.stats.splits} splits)`);
  assert.deepEqual(two.got, one.got);
});
