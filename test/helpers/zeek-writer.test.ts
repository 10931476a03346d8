/**
 * The Zeek-style writer the rotation tests drive must itself lose nothing, however late its
 * archiver runs: a loaded CI machine once delayed logrotate's compression of `.1` past the next
 * rotation, whose copy then replaced the uncompressed `.1` (and the writer died on ENOENT).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { WriterOptions } from './zeek-writer.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'zeek-writer.js');

void test('logrotate layout: an archiver slower than the rotations loses no record (every line once in .N.gz or the live file)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'zeek-writer-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const records = Array.from({ length: 3000 }, (_, i) => `${1_700_000_000 + i}.000000\tC${i}\t10.0.0.1\t50000\t10.0.0.2\t445\t-\tsvcctl\tsvcctl\tOpenSCManagerW`);
  writeFileSync(join(root, 'records.tsv'), `${records.join('\n')}\n`);
  const live = join(root, 'spool', 'dce_rpc.log');
  const options: WriterOptions = {
    layout: 'logrotate',
    livePath: live,
    recordsFile: join(root, 'records.tsv'),
    fields: '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\trtt\tnamed_pipe\tendpoint\toperation',
    types: '#types\ttime\tstring\taddr\tport\taddr\tport\tinterval\tstring\tstring\tstring',
    perSecond: 3000,
    rotateEveryMs: 120,
    // Compression due well after the next rotation, as on a machine too loaded to run it in time.
    archiveDelayMs: 600,
    seed: 7,
    referenceDir: join(root, 'reference'),
  };
  const child = spawn(process.execPath, [WRITER, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `writer failed: ${stderr}`);
  const files = readdirSync(dirname(live));
  assert.ok(files.filter((name) => name.endsWith('.gz')).length >= 3, `too few rotations to test: ${files.join(', ')}`);
  assert.deepEqual(files.filter((name) => name.endsWith('.1')), [], 'an uncompressed .1 was left behind');
  const lines: string[] = [];
  for (const name of files) {
    const bytes = readFileSync(join(dirname(live), name));
    const text = name.endsWith('.gz') ? gunzipSync(bytes).toString() : bytes.toString();
    lines.push(...text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
  }
  assert.equal(lines.length, records.length, 'records lost or written twice');
  assert.deepEqual([...lines].sort(), [...records].sort());
});
