/**
 * Issue 15 item 9: a .gz is read as zcat reads it, everywhere one is read. Garbage after a valid
 * member used to lose the tail (4,315 of 5,000 lines, where zcat gives all 5,000); a cut member
 * lost what the inflater had buffered. Checked on the inflater itself (seeded random chunkings,
 * every cut of a small file, against gzip(1) where it is installed), on `score` and `train` with
 * 1 and 2 hunt workers (real processes), and on the daemon's follower catching up an archive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { scanDceRpcLog, inflateGzip, type GzipProblem } from '../../src/zeek/index.js';
import { openLog } from '../../src/tail/log-file.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { appendLines, createLog, delay, follow, range, zeekctlTree } from '../tail/harness.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const sampleIni = join(repoRoot, 'samples', 'sample.ini');
const weekText = gunzipSync(readFileSync(join(repoRoot, 'samples', 'week.log.gz'))).toString('utf8');
const GARBAGE = Buffer.from('\nthis is not gzip: a log appended after compression\n'.repeat(20));

/** The sample week's header and first `count` records, as a Zeek TSV log. */
function weekHead(count: number): string {
  const lines = weekText.split('\n');
  const header = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
  const records = lines.filter((line) => line !== '' && !line.startsWith('#')).slice(0, count);
  return `${[...header, ...records].join('\n')}\n`;
}

/** Park-Miller: the same chunkings on every run of a seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

async function* inChunks(bytes: Buffer, next: () => number): AsyncGenerator<Buffer> {
  let at = 0;
  while (at < bytes.length) {
    // Mostly small, sometimes a single byte, sometimes large: member boundaries land anywhere.
    const roll = next();
    const size = roll < 0.2 ? 1 : roll < 0.9 ? 1 + Math.floor(next() * 300) : 1 + Math.floor(next() * 100_000);
    // A turn of the event loop per chunk, as a file stream gives.
    await new Promise((resolve) => setImmediate(resolve));
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** Inflates in libuv's pool, as the main thread does, or on this thread, as a hunt worker does. */
type InflateMode = 'pool' | 'this thread';

async function inflate(bytes: Buffer, seed: number, mode: InflateMode = 'pool'): Promise<{ output: Buffer; problems: GzipProblem[] }> {
  const problems: GzipProblem[] = [];
  const chunks: Buffer[] = [];
  const options = { chunkSize: 4096, onThisThread: mode === 'this thread' };
  for await (const chunk of inflateGzip(inChunks(bytes, random(seed)), (p) => problems.push(p), options)) chunks.push(chunk);
  return { output: Buffer.concat(chunks), problems };
}

/** What gzip(1) recovers (null when gzip is not installed). */
function zcat(path: string): Buffer | null {
  const result = spawnSync('gzip', ['-dc', path], { maxBuffer: 256 * 1024 * 1024 });
  return result.error === undefined ? result.stdout : null;
}

const plain = Buffer.from(weekHead(5000));
const member = gzipSync(plain);
const dir = tempDir('zeek-anomalyd-gzip-');

for (const mode of ['pool', 'this thread'] as const) {
  void test(`${mode}: garbage after a member: every byte zcat gives, then one trailing-garbage problem at its byte offset`, async () => {
    const withGarbage = Buffer.concat([member, GARBAGE]);
    const path = join(dir, `garbage-${mode.replace(' ', '-')}.log.gz`);
    writeFileSync(path, withGarbage);
    const reference = zcat(path);
    if (reference !== null) assert.ok(reference.equals(plain), 'zcat recovers the whole member');
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { output, problems } = await inflate(withGarbage, seed, mode);
      assert.ok(output.equals(plain), `seed ${seed}: ${output.length} of ${plain.length} bytes`);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]?.kind, 'trailing-garbage');
      assert.equal(problems[0]?.offset, member.length);
      assert.equal(problems[0]?.uncompressedOffset, plain.length);
      assert.match(problems[0]?.detail ?? '', new RegExp(`${GARBAGE.length} bytes of non-gzip data .* at byte ${member.length}`));
    }
  });

  void test(`${mode}: concatenated members and zero padding are one clean file; a CRC mismatch is reported after the data`, async () => {
    const cut = [0, 1, 777, 40_000, plain.length];
    const members = cut.slice(1).map((end, i) => gzipSync(plain.subarray(cut[i], end)));
    const multi = Buffer.concat([...members, Buffer.alloc(1024)]);
    for (const seed of [11, 12, 13]) {
      const { output, problems } = await inflate(multi, seed, mode);
      assert.ok(output.equals(plain), `seed ${seed}`);
      assert.deepEqual(problems, []);
    }
    const bad = Buffer.from(member);
    bad.writeUInt32LE((bad.readUInt32LE(bad.length - 8) ^ 1) >>> 0, bad.length - 8);
    const { output, problems } = await inflate(bad, 21, mode);
    assert.ok(output.equals(plain));
    assert.equal(problems[0]?.kind, 'corrupt');
    assert.match(problems[0]?.detail ?? '', /CRC/);
  });

  void test(`${mode}: a member cut anywhere yields the exact prefix, then one truncated problem`, async () => {
    const small = gzipSync(plain.subarray(0, 6000));
    for (let end = 1; end < small.length; end += 1) {
      const { output, problems } = await inflate(small.subarray(0, end), end, mode);
      assert.ok(plain.subarray(0, output.length).equals(output), `cut at ${end}: not a prefix`);
      assert.equal(problems.length, 1, `cut at ${end}`);
      assert.equal(problems[0]?.kind, 'truncated', `cut at ${end}`);
    }
    // Past the header the cut keeps everything inflated: nothing held back is lost.
    const { output } = await inflate(small.subarray(0, small.length - 8), 99, mode);
    assert.ok(output.equals(plain.subarray(0, 6000)));
  });
}

void test('corrupt deflate data anywhere: this thread gives the same bytes and the same problem as the pool', async () => {
  const small = gzipSync(plain.subarray(0, 60_000));
  let corrupt = 0;
  for (let at = 20; at < small.length - 8; at += Math.floor(small.length / 40)) {
    const bad = Buffer.from(small);
    bad[at] = (bad[at] as number) ^ 0x5a;
    const pool = await inflate(bad, at, 'pool');
    const here = await inflate(bad, at, 'this thread');
    assert.ok(here.output.equals(pool.output), `flipped byte ${at}: ${here.output.length} vs ${pool.output.length} bytes`);
    assert.deepEqual(here.problems, pool.problems, `flipped byte ${at}`);
    if (pool.problems[0]?.kind === 'corrupt') corrupt += 1;
  }
  assert.ok(corrupt >= 20, `${corrupt} of the flips were reported corrupt`);
});

void test('this thread: a worker inflates while every libuv pool thread is blocked (no pool round trip per chunk)', async () => {
  // Each FIFO opened for reading holds one pool thread in open(2), using no CPU, until a writer
  // comes. With every pool thread held, an inflate that needs the pool cannot move.
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: poolSize }, (_, i) => join(dir, `pool-${i}.fifo`));
  for (const fifo of fifos) assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const held = fifos.map((fifo) => open(fifo, 'r'));
  try {
    let guard: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      inflate(Buffer.concat([member, GARBAGE]), 5, 'this thread'),
      new Promise<null>((resolve) => (guard = setTimeout(() => resolve(null), 20_000))),
    ]);
    clearTimeout(guard);
    assert.ok(result !== null, 'the inflate waited for the blocked thread pool');
    assert.ok(result.output.equals(plain));
    assert.deepEqual(result.problems.map((p) => p.kind), ['trailing-garbage']);
  } finally {
    // O_RDWR on a FIFO never blocks (Linux): it is the writer each held open(2) waits for.
    const writers = fifos.map((fifo) => openSync(fifo, constants.O_RDWR));
    for (const handle of await Promise.all(held)) await handle.close();
    for (const fd of writers) closeSync(fd);
  }
});

void test('score/train/eval reader: garbage costs no record and is one FILE:LINE error; a cut member keeps every whole line', async () => {
  const path = join(dir, 'reader.log.gz');
  writeFileSync(path, Buffer.concat([member, GARBAGE]));
  let records = 0;
  const errors: string[] = [];
  const stats = await scanDceRpcLog(path, (event) => {
    if (!('kind' in event)) records += 1;
    else if (event.kind === 'error') errors.push(`${event.file}:${event.line}: ${event.code}: ${event.reason}`);
  });
  assert.equal(records, 5000);
  assert.equal(stats.errors, 1);
  const dataEnd = plain.toString('utf8').split('\n').length;
  assert.equal(errors[0], `${path}:${dataEnd}: trailing-garbage: ${GARBAGE.length} bytes of non-gzip data after gzip member 1, at byte ${member.length}, ignored (as zcat does)`);

  const cutPath = join(dir, 'cut.log.gz');
  writeFileSync(cutPath, member.subarray(0, Math.floor(member.length * 0.7)));
  const readable = gunzipSync(readFileSync(cutPath), { finishFlush: 2 /* Z_SYNC_FLUSH */ }).toString('utf8');
  const wholeLines = readable.slice(0, readable.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  let cutRecords = 0;
  const cutErrors: string[] = [];
  await scanDceRpcLog(cutPath, (event, where) => {
    if (!('kind' in event)) cutRecords += 1;
    else if (event.kind === 'error') cutErrors.push(`${where.line}: ${event.code}: ${event.reason}`);
  });
  assert.equal(cutRecords, wholeLines);
  assert.equal(cutErrors.length, 1);
  assert.match(cutErrors[0] as string, /^\d+: truncated-input: gzip member 1 \(at byte 0\) is cut off at byte \d+.*unfinished line \d+ is dropped/);
});

let modelPath = '';
before(() => {
  modelPath = join(dir, 'model.json');
  writeFileSync(join(dir, 'plain.log'), plain);
  const trained = spawnSync(process.execPath, [cli, 'train', '-c', sampleIni, '-o', modelPath, '--json', join(dir, 'plain.log')], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
});

void test('score and train, with 1 and 2 hunt workers: a .gz with garbage after it gives what the plain log gives', () => {
  const gz = join(dir, 'tail-garbage.log.gz');
  writeFileSync(gz, Buffer.concat([member, GARBAGE]));
  const runScore = (input: string, threads: string): { status: number | null; stdout: string; stderr: string; anomalies: string } => {
    const out = join(dir, `score-${threads}-${input.endsWith('.gz') ? 'gz' : 'plain'}.log`);
    const result = spawnSync(process.execPath, [cli, 'score', '-c', sampleIni, '-m', modelPath, '-o', out, '--format', 'json', '--json', '-j', threads, input], { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, anomalies: result.status === null ? '' : readFileSync(out, 'utf8') };
  };
  const reference = runScore(join(dir, 'plain.log'), '1');
  assert.equal(reference.status, 0, reference.stderr);
  for (const threads of ['1', '2']) {
    const scored = runScore(gz, threads);
    // Exit 1: bad input was seen (the garbage), as with any parse error; nothing of the data is lost.
    assert.equal(scored.status, 1, scored.stderr);
    assert.equal(scored.anomalies, reference.anomalies, `-j ${threads}: the anomalies differ from the plain log's`);
    const summary = JSON.parse(scored.stdout) as { records: number; parse_errors: number };
    assert.equal(summary.records, 5000);
    assert.equal(summary.parse_errors, 1);
    assert.match(scored.stderr, new RegExp(`^${gz.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: \\d+ bytes of non-gzip data after gzip member 1, at byte ${member.length}`));

    const train = spawnSync(process.execPath, [cli, 'train', '-c', sampleIni, '-o', join(dir, `m-${threads}.json`), '--json', '-j', threads, gz], { encoding: 'utf8' });
    assert.ok(train.status === 0 || train.status === 1, train.stderr);
    assert.match(train.stderr, /non-gzip data after gzip member 1/);
    assert.match(train.stdout, /"records":5000\b/);
  }
});

void test('the daemon\'s follower: an archive with garbage after it is caught up whole and the garbage is warned about with its offset', async (t) => {
  const root = tempDir();
  const { spool, logs, path } = zeekctlTree(root);
  createLog(path, 0, 500);
  const run1 = follow(t, { patterns: [path] });
  await run1.collector.waitForData(500);
  await run1.follower.stop();
  const saved = run1.follower.checkpoints();
  appendLines(path, 500, 4000);
  // zeekctl archives the file while the daemon is down; something appended junk to the archive.
  const rotated = join(spool, 'dce_rpc.2026-01-05-10-00-00.log');
  renameSync(path, rotated);
  const archived = gzipSync(readFileSync(rotated));
  writeFileSync(join(logs, 'dce_rpc.10:00:00-11:00:00.log.gz'), Buffer.concat([archived, GARBAGE]));
  rmSync(rotated);
  createLog(path, 4000, 4100);

  const run2 = follow(t, { patterns: [path], archives: [join(root, 'logs', '*', 'dce_rpc.*.log.gz')], checkpoints: saved });
  const warnings: string[] = [];
  run2.follower.on('tail-error', (error) => warnings.push(error.message));
  await run2.collector.waitFor(() => run2.collector.data.length >= 3600, 'the rest of the archive and the live file');
  await delay(100);
  await run2.follower.stop();
  assert.deepEqual([...run1.collector.sequences(), ...run2.collector.sequences()], range(0, 4100));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] as string, new RegExp(`dce_rpc\\.10:00:00-11:00:00\\.log\\.gz: ${GARBAGE.length} bytes of non-gzip data after gzip member 1, at byte ${archived.length}`));
});

void test('the daemon\'s gzip reader: a cut archive gives every byte before the cut, then fails (retried later, not taken for whole)', async () => {
  const path = join(dir, 'being-written.log.gz');
  writeFileSync(path, member.subarray(0, Math.floor(member.length / 2)));
  const expected = gunzipSync(readFileSync(path), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  const opened = await openLog(path);
  assert.ok(opened !== null);
  const chunks: Buffer[] = [];
  let position = 0;
  let failure: unknown = null;
  try {
    for (;;) {
      const buffer = Buffer.alloc(7000);
      const n = await opened.reader.read(buffer, position);
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
      position += n;
    }
  } catch (error) {
    failure = error;
  } finally {
    opened.reader.dispose();
    await opened.handle.close();
  }
  assert.ok(Buffer.concat(chunks).equals(expected), `${position} of ${expected.length} bytes before the failure`);
  assert.equal((failure as NodeJS.ErrnoException | null)?.code, 'Z_BUF_ERROR');
  assert.match(String((failure as Error).message), /cut off at byte/);
});
