/**
 * A file read in parts (what the pool does at the end of a run, when a free worker takes over
 * part of the last file): parts that tile the file give every record, bad line, header and
 * gzip problem exactly once, in order, with the whole file's line numbers, for plain, gzip and
 * truncated gzip files cut at random places (seeded); and the pool, splitting files between
 * workers, delivers what one reader gives.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { discoverArchive, runPool } from '../../src/hunt/index.js';
import { forEachRecord } from '../../src/hunt/messages.js';
import { scanLogFile } from '../../src/hunt/scan.js';
import type { ReadRange } from '../../src/zeek/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { seededRandom as random } from '../helpers/zeek-writer.js';

const weekText = gunzipSync(readFileSync(join(repoRoot, 'samples', 'week.log.gz'))).toString('utf8');

/** The week with bad lines, an over-long field, and a second header block in the middle (a concatenated log). */
function hostileWeek(): string {
  const lines = weekText.split('\n');
  const header = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
  const middle = Math.floor(lines.length / 2);
  lines.splice(middle, 0, '#close\t2024-01-01-00-00-00', ...header);
  lines.splice(1000, 0, 'not a record');
  lines.splice(30_000, 0, '1700000000.0\tbad\tline');
  return lines.join('\n');
}

/** Every event of `path` (or of the part `range`), as comparable text. */
async function events(path: string, range?: ReadRange): Promise<string[]> {
  const seen: string[] = [];
  await scanLogFile(
    path,
    (event, where) => {
      if (!('kind' in event)) seen.push(`${where.line}: ${JSON.stringify(event)}`);
      else if (event.kind === 'header') seen.push(`${where.line}: header`);
      else seen.push(`${event.file}:${event.line}: ${event.code} ${event.reason}`);
    },
    undefined,
    range,
  );
  return seen;
}

void test('parts that tile a file give every event once, in order, with its line number (plain, gzip, cut gzip)', async () => {
  const dir = tempDir();
  const text = hostileWeek();
  const plain = join(dir, 'dce_rpc.log');
  writeFileSync(plain, text);
  const gz = join(dir, 'dce_rpc.log.gz');
  const compressed = gzipSync(text);
  writeFileSync(gz, compressed);
  const cut = join(dir, 'dce_rpc.cut.log.gz');
  writeFileSync(cut, compressed.subarray(0, Math.floor(compressed.length * 0.6)));
  const size = Buffer.byteLength(text);
  // Cut points at line starts (a split lands on one) and inside lines.
  const lineStarts = [...text.matchAll(/\n/g)].map((m) => (m.index) + 1);
  for (const path of [plain, gz, cut]) {
    const whole = await events(path);
    assert.ok(whole.length > 20_000, path);
    assert.ok(whole.filter((e) => e.includes(': column-count ')).length >= (path === cut ? 1 : 2), 'the bad lines are reported');
    if (path === cut) assert.equal(whole.filter((e) => e.includes('truncated-input')).length, 1, 'the cut is reported once');
    for (const seed of [21, 22, 23]) {
      const next = random(seed);
      const parts = 2 + Math.floor(next() * 5);
      const cuts = Array.from({ length: parts - 1 }, () =>
        next() < 0.5 ? (lineStarts[Math.floor(next() * lineStarts.length)] as number) : Math.floor(next() * size),
      ).sort((a, b) => a - b);
      const bounds = [0, ...cuts, Infinity];
      const pieces: string[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const range: ReadRange = { from: bounds[i] as number, to: bounds[i + 1] as number, committed: bounds[i] as number };
        pieces.push(...(await events(path, range)));
      }
      assert.deepEqual(pieces, whole, `${path}, seed ${seed}, cuts ${cuts.join(' ')}`);
    }
  }
});

void test('the pool splitting files between free workers gives what one reader gives, in order (records, bad lines, a cut .gz)', async () => {
  const dir = tempDir();
  const text = hostileWeek();
  writeFileSync(join(dir, 'dce_rpc.a.log'), text);
  writeFileSync(join(dir, 'dce_rpc.b.log.gz'), gzipSync(text));
  const compressed = gzipSync(text);
  writeFileSync(join(dir, 'dce_rpc.c.log.gz'), compressed.subarray(0, Math.floor(compressed.length * 0.7)));
  const archive = await discoverArchive([dir]);
  assert.equal(archive.files.length, 3);
  assert.ok(archive.files.every((file) => (file.uncompressedBytes ?? 0) > 0), 'sizes known for splitting');
  // One reader per file, in the workers' own words for bad lines.
  const expected: string[] = [];
  for (const file of archive.files) {
    await scanLogFile(file.path, (event, where) => {
      if (!('kind' in event)) expected.push(`${file.path}:${where.line}: ${JSON.stringify(event)}`);
      else if (event.kind === 'error') expected.push(`${event.file}:${event.line}: ${event.reason}`);
    });
  }
  assert.ok(expected.some((e) => e.includes('dce_rpc.c.log.gz:') && e.includes('cut off')), 'the cut file is reported');
  for (const threads of [3, 5]) {
    const got: string[] = [];
    const stats = await runPool({
      files: archive.files,
      task: { kind: 'records' },
      range: {},
      threads,
      chunkRecords: 512,
      split: true,
      minSplitBytes: 64 * 1024,
      // The splitting itself, not the rule of when it pays (split-point.test.ts): always halve.
      skipCost: 0,
      onChunk: (chunk, file) => {
        // A chunk's bad lines come before its records only within what it covers: order them by line.
        const lines: [number, string][] = chunk.errors.map((e) => [Number(/:(\d+): /.exec(e.slice(file.path.length))?.[1]), e.replace(/\n$/, '')]);
        if (chunk.batch !== undefined) {
          forEachRecord(chunk.batch, (record, line) => lines.push([line, `${file.path}:${line}: ${JSON.stringify(record)}`]));
        }
        got.push(...lines.sort((a, b) => a[0] - b[0]).map(([, e]) => e));
      },
      onUnreadable: (file, message) => assert.fail(`${file.path}: ${message}`),
    });
    assert.ok(stats.splits > 0, `free workers took over parts (${stats.splits} splits, ${threads} threads)`);
    assert.equal(got.length, expected.length, `${threads} threads`);
    assert.deepEqual(got, expected, `${threads} threads`);
  }
});
