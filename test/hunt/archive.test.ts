/**
 * Archive discovery on real directory trees: zeekctl's and the supervisor's layouts, what a walk
 * must leave alone, globs, time bounds, and the progress line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { discoverArchive, listLogFiles, outsideRange, parseTimeBound, progressLine } from '../../src/hunt/index.js';
import { tempDir } from '../helpers/tmp.js';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\tdce_rpc',
  '#open\t2024-01-01-00-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\trtt\tnamed_pipe\tendpoint\toperation',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tinterval\tstring\tstring\tstring',
].join('\n');

function log(...ts: number[]): string {
  return `${HEADER}\n${ts.map((t) => `${t.toFixed(6)}\tCx\t10.0.0.1\t50000\t10.0.0.2\t445\t-\t\\\\pipe\\\\srvsvc\tsrvsvc\tNetrShareEnum`).join('\n')}\n`;
}

function put(path: string, text: string, gzip = path.endsWith('.gz')): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, gzip ? gzipSync(text) : text);
}

void test('zeekctl and supervisor layouts: archives, spool and log-queue files; not current, shadows, other logs', async () => {
  const root = tempDir();
  const zeek = join(root, 'zeek');
  put(join(zeek, 'logs', '2024-01-02', 'dce_rpc.00:00:00-01:00:00.log.gz'), log(1704153600));
  put(join(zeek, 'logs', '2024-01-02', 'dce_rpc.01:00:00-02:00:00-logger-1.log.gz'), log(1704157200));
  put(join(zeek, 'logs', '2024-01-02', 'conn.00:00:00-01:00:00.log.gz'), 'conn');
  put(join(zeek, 'spool', 'zeek', 'dce_rpc.log'), log(1704160800));
  put(join(zeek, 'spool', 'zeek', '.shadow.dce_rpc.log'), 'shadow');
  symlinkSync(join(zeek, 'spool', 'zeek'), join(zeek, 'logs', 'current'));
  const supervisor = join(root, 'supervisor');
  put(join(supervisor, 'archive', '2024-01-01', 'dce_rpc.23:00:00-00:00:00.log.gz'), log(1704150000));
  put(join(supervisor, 'archive', '2024-01-01', 'dce_rpc.23:00:00-00:00:00.log.gz.tmp'), 'half-written');
  put(join(supervisor, 'log-queue', 'dce_rpc__2024-01-02-00-00-00__2024-01-02-01-00-00__.log'), log(1704153700));

  const logs = await listLogFiles([join(zeek, 'logs')]);
  assert.deepEqual(
    logs.map((p) => p.slice(zeek.length + 1)),
    ['logs/2024-01-02/dce_rpc.00:00:00-01:00:00.log.gz', 'logs/2024-01-02/dce_rpc.01:00:00-02:00:00-logger-1.log.gz'],
    'logs/current (the live spool) is not entered',
  );
  const all = await discoverArchive([zeek, supervisor, join(zeek, 'logs', '2024-01-02')]);
  assert.deepEqual(
    all.files.map((f) => [f.path.slice(root.length + 1), f.firstTs]),
    [
      ['supervisor/archive/2024-01-01/dce_rpc.23:00:00-00:00:00.log.gz', 1704150000],
      ['zeek/logs/2024-01-02/dce_rpc.00:00:00-01:00:00.log.gz', 1704153600],
      ['supervisor/log-queue/dce_rpc__2024-01-02-00-00-00__2024-01-02-01-00-00__.log', 1704153700],
      ['zeek/logs/2024-01-02/dce_rpc.01:00:00-02:00:00-logger-1.log.gz', 1704157200],
      ['zeek/spool/zeek/dce_rpc.log', 1704160800],
    ],
    'each file once, in record-time order',
  );
  const globbed = await listLogFiles([`${zeek}/logs/2024-01-0[12]/dce_rpc.*.log.gz`]);
  assert.equal(globbed.length, 2);
  await assert.rejects(listLogFiles([`${zeek}/logs/1999-*/dce_rpc.*.log.gz`]), /no file matches/);
  await assert.rejects(listLogFiles([join(root, 'missing.log')]), /cannot open .*missing\.log: no such file/);
  await assert.rejects(listLogFiles([join(zeek, 'spool', 'empty-dir-that-is-not-there')]), /no such file/);
});

void test('a plain file is probed at both ends; a JSON log at its head', async () => {
  const root = tempDir();
  put(join(root, 'a.log'), log(200, 100, 300));
  put(join(root, 'b.log'), '{"ts":150.5,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":445}\n');
  const archive = await discoverArchive([join(root, 'a.log'), join(root, 'b.log')]);
  assert.deepEqual(
    archive.files.map((f) => [f.path.slice(root.length + 1), f.firstTs, f.lastTs]),
    [
      ['b.log', 150.5, 150.5],
      ['a.log', 200, 300],
    ],
  );
});

void test('time bounds: parsing, and which files are provably outside', () => {
  assert.equal(parseTimeBound('since', '2024-05-01'), Date.UTC(2024, 4, 1) / 1000);
  assert.equal(parseTimeBound('since', '2024-05-01T12:30:00+02:00'), Date.UTC(2024, 4, 1, 10, 30) / 1000);
  assert.equal(parseTimeBound('since', '1714521600.5'), 1714521600.5);
  assert.throws(() => parseTimeBound('until', 'yesterday'), /--until must be an ISO 8601 time/);
  assert.throws(() => parseTimeBound('until', '2024-13-45'), /--until must be/);
  const day = Date.UTC(2024, 0, 10) / 1000;
  const gz = { path: '/a/logs/2024-01-10/dce_rpc.00:00:00-01:00:00.log.gz', bytes: 1, gzip: true, firstTs: day + 60, lastTs: null };
  assert.equal(outsideRange(gz, { until: day + 60 }), true, 'first record at --until');
  assert.equal(outsideRange(gz, { until: day + 61 }), false);
  assert.equal(outsideRange(gz, { since: day + 2 * 86_400 }), true, 'day directory two days before --since');
  assert.equal(outsideRange(gz, { since: day + 2 * 86_400 - 1 }), false, 'inside the time-zone margin');
  assert.equal(outsideRange({ ...gz, path: '/a/dce_rpc.log.gz' }, { since: day + 30 * 86_400 }), false, 'no day directory: read it');
  const plain = { ...gz, gzip: false, lastTs: day + 3600 };
  assert.equal(outsideRange(plain, { since: day + 3600 }), false, 'last record at --since is in');
  assert.equal(outsideRange(plain, { since: day + 3600.5 }), true);
});

void test('the progress line: records/s, files done and an ETA once a file is done', () => {
  const base = { records: 500_000, filesDone: 0, files: 10, bytesDone: 0, bytes: 1000, recordsInDoneFiles: 0, elapsedMs: 1000 };
  assert.match(progressLine('scoring', base), /0\/10 files {2}500k records\/s {2}ETA --:--$/);
  const later = progressLine('scoring', { ...base, records: 1_200_000, filesDone: 2, bytesDone: 200, recordsInDoneFiles: 1_000_000, elapsedMs: 1000 });
  // 5,000 records per byte x 1000 bytes = 5M expected, 3.8M left at 1.2M/s = 3 s.
  assert.match(later, /\[#{6} {18}\] {2}24% {2}2\/10 files {2}1\.20M records\/s {2}ETA 00:03$/);
});
