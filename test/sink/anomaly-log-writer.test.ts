import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AnomalyLogWriter } from '../../src/sink/anomaly-log-writer.js';
import { createAnomalyFormatter } from '../../src/sink/format.js';
import type { AnomalyFormatter } from '../../src/sink/format.js';
import { reconcile } from '../../src/sink/reconcile.js';
import { readZeekLog } from '../../src/zeek/index.js';
import type { ZeekSchema, ZeekValue } from '../../src/zeek/index.js';
import { tempDir } from '../helpers/tmp.js';

const SCHEMA: ZeekSchema = {
  path: 'anomalies',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'operation', type: 'string' },
    { name: 'score', type: 'double' },
  ],
};

function row(i: number): ZeekValue[] {
  return [1_700_000_000 + i, `C${i}`, `10.0.${i % 7}.${i % 250}`, 135, i % 3 === 0 ? null : `op\t${i}`, i / 8];
}

/** A writer on a fresh directory with a settable clock. */
function setup(format: 'zeek' | 'json' = 'zeek', options: { rotateIntervalMs?: number; formatter?: AnomalyFormatter } = {}) {
  const directory = tempDir();
  const clock = { now: new Date(2026, 10, 28, 16, 20, 0).getTime() };
  const formatter = options.formatter ?? createAnomalyFormatter({ format, schema: SCHEMA });
  const make = (): AnomalyLogWriter =>
    new AnomalyLogWriter({ directory, formatter, rotateIntervalMs: options.rotateIntervalMs ?? 0, clock: () => clock.now });
  const path = join(directory, 'anomalies.log');
  return { directory, clock, formatter, make, path };
}

async function readBack(path: string): Promise<{ records: ZeekValue[][]; headers: number; errors: number }> {
  const records: ZeekValue[][] = [];
  let headers = 0;
  let errors = 0;
  for await (const event of readZeekLog(path)) {
    if (event.kind === 'record') records.push(event.values);
    else if (event.kind === 'header') headers += 1;
    else errors += 1;
  }
  return { records, headers, errors };
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

void test('TSV: one header, records read back by the Zeek reader, identity matches the file', async () => {
  const { make, path, formatter } = setup();
  const writer = make();
  assert.deepEqual(await writer.open(), { existing: 'none', endsWithNewline: true });
  assert.equal(existsSync(path), false, 'no empty file before the first write');
  await writer.appendBatch([0, 1, 2].map((i) => formatter.record(row(i))));
  await writer.appendBatch([formatter.record(row(3))]);
  await writer.sync();
  const info = statSync(path);
  assert.deepEqual(writer.identity(), { dev: info.dev, ino: info.ino, size: info.size });
  await writer.close();
  const back = await readBack(path);
  assert.equal(back.headers, 1);
  assert.equal(back.errors, 0);
  assert.deepEqual(back.records, [0, 1, 2, 3].map(row));
  assert.equal(count(readFileSync(path, 'utf8'), '#close'), 0, 'a shutdown does not close the log');
});

void test('built-in rotation writes #close, renames by open time and starts a fresh header lazily', async () => {
  const { make, path, clock, formatter, directory } = setup('zeek', { rotateIntervalMs: 3600_000 });
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(1))]);
  assert.equal(await writer.rotateIfDue(new Date(2026, 10, 28, 16, 59, 59).getTime()), null);
  clock.now = new Date(2026, 10, 28, 17, 0, 0).getTime();
  const rotated = await writer.rotateIfDue();
  assert.equal(rotated, join(directory, 'anomalies.2026-11-28-16-20-00.log'));
  const closed = readFileSync(rotated, 'utf8');
  assert.ok(closed.endsWith('#close\t2026-11-28-17-00-00\n'), closed.slice(-60));
  assert.equal(existsSync(path), false, 'the new file appears with the next write');
  assert.equal(writer.identity(), null);
  clock.now += 5000;
  await writer.appendBatch([formatter.record(row(2))]);
  await writer.close();
  const fresh = readFileSync(path, 'utf8');
  assert.ok(fresh.includes('#open\t2026-11-28-17-00-05\n'));
  assert.equal(count(fresh, '#fields'), 1);
  assert.deepEqual((await readBack(path)).records, [row(2)]);
  assert.deepEqual((await readBack(rotated)).records, [row(1)]);
});

void test('two rotations within one second do not overwrite each other', async () => {
  const { make, formatter, directory } = setup();
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(1))]);
  const first = await writer.rotate();
  await writer.appendBatch([formatter.record(row(2))]);
  const second = await writer.rotate();
  assert.notEqual(first, second);
  assert.equal(readdirSync(directory).filter((f) => f.startsWith('anomalies.2026')).length, 2);
  await writer.close();
});

for (const how of ['renamed', 'deleted'] as const) {
  void test(`a file ${how} under the writer is recreated with a header on the next batch`, async () => {
    const { make, path, formatter, directory } = setup();
    const writer = make();
    await writer.open();
    await writer.appendBatch([formatter.record(row(1))]);
    const moved = join(directory, 'moved.log');
    if (how === 'renamed') renameSync(path, moved);
    else unlinkSync(path);
    const movedBefore = how === 'renamed' ? readFileSync(moved, 'utf8') : '';
    await writer.appendBatch([formatter.record(row(2))]);
    await writer.close();
    const back = await readBack(path);
    assert.equal(back.headers, 1);
    assert.deepEqual(back.records, [row(2)]);
    if (how === 'renamed') assert.equal(readFileSync(moved, 'utf8'), movedBefore, 'the moved file is left untouched');
  });
}

void test('reopen after a logrotate move starts a new file with a header; a logrotate-created empty file is adopted', async () => {
  const { make, path, formatter, directory } = setup();
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(1))]);
  renameSync(path, join(directory, 'anomalies.log.1'));
  await writer.reopen();
  assert.ok(existsSync(path), 'reopen creates the file at once');
  await writer.appendBatch([formatter.record(row(2))]);
  assert.deepEqual((await readBack(path)).records, [row(2)]);
  assert.deepEqual((await readBack(join(directory, 'anomalies.log.1'))).records, [row(1)]);

  renameSync(path, join(directory, 'anomalies.log.2'));
  writeFileSync(path, ''); // logrotate's `create`
  const created = statSync(path);
  await writer.reopen();
  await writer.appendBatch([formatter.record(row(3))]);
  await writer.close();
  assert.equal(statSync(path).ino, created.ino);
  const back = await readBack(path);
  assert.equal(back.headers, 1);
  assert.deepEqual(back.records, [row(3)]);
});

void test('copytruncate: a file truncated in place gets its header back before the next batch', async () => {
  const { make, path, formatter } = setup();
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(1))]);
  truncateSync(path, 0);
  await writer.appendBatch([formatter.record(row(2))]);
  await writer.close();
  const back = await readBack(path);
  assert.equal(back.headers, 1);
  assert.deepEqual(back.records, [row(2)]);
});

void test('restart appends to a file with our header without writing a second one', async () => {
  const { make, path, formatter } = setup();
  const first = make();
  await first.open();
  await first.appendBatch([formatter.record(row(1))]);
  await first.close();
  const second = make();
  assert.deepEqual(await second.open(), { existing: 'appended', endsWithNewline: true });
  await second.appendBatch([formatter.record(row(2))]);
  await second.close();
  const text = readFileSync(path, 'utf8');
  assert.equal(count(text, '#fields'), 1);
  assert.deepEqual((await readBack(path)).records, [row(1), row(2)]);
});

void test('restart sets aside a TSV file with another schema, or one that ends in #close', async () => {
  const { make, path, formatter, directory } = setup();
  const otherFormatter = createAnomalyFormatter({ format: 'zeek', schema: { ...SCHEMA, fields: SCHEMA.fields.slice(0, 3) } });
  writeFileSync(path, otherFormatter.header(0) + otherFormatter.record(row(9).slice(0, 3)));
  const writer = make();
  const opened = await writer.open();
  assert.equal(opened.existing, 'set-aside');
  assert.ok(opened.setAsidePath !== undefined && existsSync(opened.setAsidePath));
  assert.equal(existsSync(path), false);
  await writer.appendBatch([formatter.record(row(1))]);
  await writer.close();

  appendFileSync(path, formatter.close(Date.now())); // rotation interrupted before the rename
  const again = make();
  assert.equal((await again.open()).existing, 'set-aside');
  await again.close();
  assert.equal(existsSync(path), false);
  assert.equal(readdirSync(directory).filter((f) => /^anomalies\.\d{4}-/.test(f)).length, 2);
});

void test('crash mid-write: the torn line is left alone and readTail + reconcile completes the batch exactly once', async () => {
  const { make, path, formatter } = setup();
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(1))]);
  const pending = await writer.prepare(); // what the daemon records before writing a batch
  const batch = Buffer.from([2, 3, 4].map((i) => formatter.record(row(i))).join(''));
  await writer.close();
  appendFileSync(path, batch.subarray(0, 30)); // the crash: only part of the write reached the file

  const restarted = make();
  const opened = await restarted.open();
  assert.equal(opened.existing, 'appended');
  assert.equal(opened.endsWithNewline, false);
  assert.equal(statSync(path).size, pending.size + 30, 'open does not "fix" the torn line');
  assert.deepEqual(restarted.identity()?.ino, pending.ino);
  const present = await restarted.readTail(pending.size);
  const decision = reconcile(batch, present);
  assert.equal(decision.kind, 'append');
  if (decision.kind === 'append') await restarted.appendBatch(decision.bytes, { continuesLine: true });
  await restarted.close();
  const back = await readBack(path);
  assert.equal(back.errors, 0);
  assert.deepEqual(back.records, [1, 2, 3, 4].map(row));
});

void test('JSON: every line is a valid object, no header, restart appends', async () => {
  const { make, path, formatter } = setup('json');
  const writer = make();
  await writer.open();
  await writer.appendBatch([0, 1].map((i) => formatter.record(row(i))));
  await writer.close();
  const again = make();
  assert.equal((await again.open()).existing, 'appended');
  await again.appendBatch(Buffer.from(formatter.record(row(2))));
  await again.rotate();
  await again.close();
  const rotated = readdirSync(join(path, '..')).find((f) => f !== 'anomalies.log');
  assert.ok(rotated !== undefined);
  const lines = readFileSync(join(path, '..', rotated), 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(objects.map((o) => o['uid']), ['C0', 'C1', 'C2']);
  assert.equal('operation' in (objects[0] as object), false, 'unset fields are left out');
  assert.equal((objects[1] as Record<string, unknown>)['operation'], 'op\t1');
});

void test('JSON with ECS names writes ECS keys to the file', async () => {
  const formatter = createAnomalyFormatter({ format: 'json', fieldNames: 'ecs', schema: SCHEMA });
  const { make, path } = setup('json', { formatter });
  const writer = make();
  await writer.open();
  await writer.appendBatch([formatter.record(row(5))]);
  await writer.close();
  const object = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(object['source.ip'], '10.0.5.5');
  assert.equal(object['destination.port'], 135);
  assert.equal(object['event.kind'], 'alert');
});

void test('an unwritable directory fails with ERR_SINK_WRITE', async () => {
  const { directory, formatter } = setup();
  const blocker = join(directory, 'not-a-dir');
  writeFileSync(blocker, '');
  const writer = new AnomalyLogWriter({ directory: blocker, formatter });
  await assert.rejects(writer.open(), (error: unknown) => (error as { code?: string }).code === 'ERR_SINK_WRITE');
});
