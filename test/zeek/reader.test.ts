import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isDaemonError } from '../../src/errors.js';
import { LineSplitter } from '../../src/zeek/line-splitter.js';
import {
  DCE_RPC_SCHEMA,
  formatTsvClose,
  formatTsvHeader,
  formatTsvRecord,
  primeDecoderFromFile,
  readZeekLog,
  scanZeekLog,
} from '../../src/zeek/index.js';
import type { ReadEvent, ZeekValue } from '../../src/zeek/index.js';
import { tempDir } from '../helpers/tmp.js';

function sampleLog(count: number): string {
  let text = formatTsvHeader(DCE_RPC_SCHEMA, 0);
  for (let i = 0; i < count; i++) {
    const values: ZeekValue[] = [1600000000 + i, `C${i}`, '10.0.0.1', 1000 + i, '10.0.0.2', 445, i % 2 ? null : 0.5, '\\pipe\\lsass', 'samr', `Op${i}`];
    text += formatTsvRecord(DCE_RPC_SCHEMA, values);
  }
  return text + formatTsvClose(0);
}

async function collect(path: string, options = {}): Promise<ReadEvent[]> {
  const events: ReadEvent[] = [];
  for await (const event of readZeekLog(path, options)) events.push(event);
  return events;
}

void test('plain and gzip logs read the same, with line numbers and byte offsets', async () => {
  const dir = tempDir();
  const text = sampleLog(500);
  writeFileSync(join(dir, 'a.log'), text);
  writeFileSync(join(dir, 'a.log.gz'), gzipSync(text));
  const plain = await collect(join(dir, 'a.log'));
  const gz = await collect(join(dir, 'a.log.gz'), { displayName: join(dir, 'a.log') });
  assert.deepEqual(gz, plain);
  const records = plain.filter((e) => e.kind === 'record');
  assert.equal(records.length, 500);
  const bytes = Buffer.from(text);
  for (const record of records) {
    const end = bytes.indexOf(0x0a, record.offset);
    assert.equal(bytes.toString('utf8', record.offset, end), formatTsvRecord(DCE_RPC_SCHEMA, record.values).trimEnd());
    assert.equal(record.line, 9 + records.indexOf(record));
  }
});

void test('scanZeekLog counts records and errors', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), sampleLog(10).replace('\tOp3\n', '\tOp3\textra\n'));
  const seen: ReadEvent[] = [];
  const stats = await scanZeekLog(join(dir, 'a.log'), (e) => seen.push(e));
  assert.deepEqual(stats, { lines: 19, records: 9, errors: 1 });
  assert.equal(seen.filter((e) => e.kind === 'error')[0]?.line, 12);
});

void test('a truncated gzip yields the good records, then one truncated-input error', async () => {
  const dir = tempDir();
  const gz = gzipSync(sampleLog(5000));
  writeFileSync(join(dir, 'cut.log.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  const events = await collect(join(dir, 'cut.log.gz'));
  const records = events.filter((e) => e.kind === 'record');
  const errors = events.filter((e) => e.kind === 'error');
  assert.ok(records.length > 100 && records.length < 5000, `got ${records.length} records`);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.kind === 'error' ? errors[0].code : '', 'truncated-input');
  assert.equal(events.at(-1)?.kind, 'error');
});

void test('missing files and directories are clear ERR_INPUT_UNREADABLE errors', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'sub'));
  for (const path of [join(dir, 'nope.log'), join(dir, 'sub')]) {
    await assert.rejects(collect(path), (error: unknown) => isDaemonError(error) && error.code === 'ERR_INPUT_UNREADABLE');
    await assert.rejects(scanZeekLog(path, () => undefined), (error: unknown) => isDaemonError(error) && error.code === 'ERR_INPUT_UNREADABLE');
  }
});

void test('an over-long line is one error, without buffering it, and reading goes on', async () => {
  const dir = tempDir();
  const lines = sampleLog(3).split('\n');
  lines.splice(9, 0, 'x'.repeat(5000));
  writeFileSync(join(dir, 'long.log'), lines.join('\n'));
  const events = await collect(join(dir, 'long.log'), { maxLineBytes: 1000 });
  const errors = events.filter((e) => e.kind === 'error');
  assert.deepEqual(errors.map((e) => [e.kind === 'error' ? e.code : '', e.line]), [['line-too-long', 10]]);
  assert.equal(events.filter((e) => e.kind === 'record').length, 3);
});

void test('primeDecoderFromFile lets a tailer resume mid-file', async () => {
  const dir = tempDir();
  const path = join(dir, 'live.log');
  const text = sampleLog(20);
  writeFileSync(path, text);
  const { decoder, header } = await primeDecoderFromFile(path, {});
  assert.equal(header?.schema.fields.length, 10);
  const bytes = readFileSync(path);
  let resume = 0;
  for (let i = 0; i < 18; i++) resume = bytes.indexOf(0x0a, resume) + 1; // past line 18
  const splitter = new LineSplitter({ startOffset: resume, startLine: 19 });
  const got: string[] = [];
  splitter.push(bytes.subarray(resume), (line, n, offset) => {
    const event = decoder.decode(line, n, offset);
    if (event?.kind === 'record') got.push(`${n}:${String(event.values[9])}`);
  }, () => undefined);
  assert.deepEqual(got, ['19:Op10', '20:Op11', '21:Op12', '22:Op13', '23:Op14', '24:Op15', '25:Op16', '26:Op17', '27:Op18', '28:Op19']);
});

void test('primeDecoderFromFile with resumeOffset uses the header block in force at that offset', async () => {
  const dir = tempDir();
  const path = join(dir, 'restarted.log');
  const other = { path: 'dce_rpc', fields: [{ name: 'n', type: 'count' }, ...DCE_RPC_SCHEMA.fields] };
  const first = sampleLog(3);
  const second = formatTsvHeader(other, 0) + '7\t' + formatTsvRecord(DCE_RPC_SCHEMA, [1, 'C', '1.2.3.4', 1, '1.2.3.5', 2, null, null, 'e', 'o']);
  writeFileSync(path, first + second);
  const resume = Buffer.byteLength(first + formatTsvHeader(other, 0));
  const { decoder, header } = await primeDecoderFromFile(path, { resumeOffset: resume });
  assert.equal(header?.schema.fields[0]?.name, 'n');
  const tail = readFileSync(path).subarray(resume);
  const event = decoder.decode(tail.subarray(0, tail.indexOf(0x0a)), 30, resume);
  assert.equal(event?.kind, 'record');
  if (event?.kind === 'record') assert.equal(event.values[0], 7);
});

void test('an exception thrown by the scan callback reaches the caller as itself', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), sampleLog(3));
  const boom = new Error('consumer failed');
  await assert.rejects(
    scanZeekLog(join(dir, 'a.log'), (event) => {
      if (event.kind === 'record') throw boom;
    }),
    (error: unknown) => error === boom,
  );
});

void test('stopping readZeekLog early is fine', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), sampleLog(2000));
  let seen = 0;
  for await (const event of readZeekLog(join(dir, 'a.log'))) {
    if (event.kind === 'record' && ++seen === 5) break;
  }
  assert.equal(seen, 5);
});
