/**
 * Issue #15 items 4 and 5: a full disk must not leave a torn line or make the retry write a batch
 * twice, and a fragment at the end of anomalies.log (a `truncate` by hand, a crash mid-write)
 * must never be glued to the next record into a line a strict parser accepts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AnomalyLogWriter, type TornTail } from '../../src/sink/anomaly-log-writer.js';
import { createAnomalyFormatter } from '../../src/sink/format.js';
import { readZeekLog } from '../../src/zeek/index.js';
import type { ZeekSchema, ZeekValue } from '../../src/zeek/index.js';
import { mountSmallFs } from '../helpers/small-fs.js';
import { tempDir } from '../helpers/tmp.js';

const SCHEMA: ZeekSchema = {
  path: 'anomalies',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'operation', type: 'string' },
    { name: 'model', type: 'string' },
  ],
};

function row(i: number): ZeekValue[] {
  return [1_700_000_000 + i, `C${i}`, `op${i}`, 'km-20261206T000000Z-0123456789ab'];
}

/** Records and bad lines as the Zeek reader sees the file. */
async function readBack(path: string): Promise<{ uids: string[]; errors: number }> {
  const uids: string[] = [];
  let errors = 0;
  for await (const event of readZeekLog(path)) {
    if (event.kind === 'record') uids.push(String(event.values[1]));
    else if (event.kind === 'error') errors += 1;
  }
  return { uids, errors };
}

for (const format of ['zeek', 'json'] as const) {
  void test(`${format}: a fragment left by a truncate is cut off and kept aside, never glued to the next record`, async () => {
    const directory = tempDir();
    const formatter = createAnomalyFormatter({ format, schema: SCHEMA });
    const torn: TornTail[] = [];
    const make = (): AnomalyLogWriter => new AnomalyLogWriter({ directory, formatter, onTornTail: (t) => torn.push(t) });
    const path = join(directory, 'anomalies.log');
    let writer = make();
    await writer.open();
    await writer.appendBatch([0, 1, 2, 3].map((i) => formatter.record(row(i))));
    await writer.close();
    // Cut inside the value of the last column of record 3: as a line of its own the fragment
    // would be a valid TSV record with a shortened model id.
    const full = readFileSync(path);
    const cut = full.length - 6;
    truncateSync(path, cut);
    const fragment = full.subarray(full.lastIndexOf(0x0a, full.length - 2) + 1, cut);

    writer = make();
    const opened = await writer.open();
    assert.equal(opened.endsWithNewline, false);
    await writer.appendBatch([formatter.record(row(4))]);
    await writer.close();
    const { uids, errors } = await readBack(path);
    assert.deepEqual(uids, ['C0', 'C1', 'C2', 'C4']);
    assert.equal(errors, 0);
    assert.equal(torn.length, 1);
    assert.ok(torn[0]?.savedTo !== null && torn[0]?.savedTo !== undefined);
    assert.deepEqual(readFileSync(torn[0].savedTo), fragment);
    assert.equal(torn[0].bytes, fragment.length);
    assert.ok(!/anomalies\.[^/]*\.log$/.test(torn[0].savedTo), 'the fragment must not match the shipper glob anomalies.*.log');
  });
}

void test('continuesLine: bytes that complete a torn last line are appended to it', async () => {
  const directory = tempDir();
  const formatter = createAnomalyFormatter({ format: 'json', schema: SCHEMA });
  const path = join(directory, 'anomalies.log');
  let writer = new AnomalyLogWriter({ directory, formatter });
  await writer.open();
  const line = formatter.record(row(0));
  await writer.appendBatch(Buffer.from(line.slice(0, 10)));
  await writer.close();
  writer = new AnomalyLogWriter({ directory, formatter });
  await writer.open();
  await writer.appendBatch(Buffer.from(line.slice(10)), { continuesLine: true });
  await writer.close();
  assert.equal(readFileSync(path, 'utf8'), line);
});

const smallFs = mountSmallFs(2);

void test('ENOSPC: a failed batch is undone (no torn line), carries its errno, and the retry writes it once', { skip: typeof smallFs === 'string' ? smallFs : false }, async () => {
  if (typeof smallFs === 'string') return;
  const directory = join(smallFs.dir, 'out');
  const formatter = createAnomalyFormatter({ format: 'zeek', schema: SCHEMA });
  const writer = new AnomalyLogWriter({ directory, formatter });
  const path = join(directory, 'anomalies.log');
  await writer.open();
  await writer.appendBatch([formatter.record(row(0))]);
  await writer.sync();
  smallFs.fill();
  const sizeBefore = statSync(path).size;
  // Big enough that part of it may fit in the last free block before ENOSPC.
  const batch = Array.from({ length: 3000 }, (_, i) => formatter.record(row(i + 1)));
  await assert.rejects(writer.appendBatch(batch), (error: { code?: string; meta?: { errno?: string }; message: string }) => {
    assert.equal(error.code, 'ERR_SINK_WRITE');
    assert.equal(error.meta?.errno, 'ENOSPC');
    assert.match(error.message, /ENOSPC/);
    return true;
  });
  assert.equal(statSync(path).size, sizeBefore, 'the partial write was not undone');
  assert.equal(writer.identity()?.size, sizeBefore);
  smallFs.free();
  await writer.appendBatch(batch);
  await writer.close();
  const { uids, errors } = await readBack(path);
  assert.equal(errors, 0);
  assert.equal(uids.length, 3001);
  assert.equal(new Set(uids).size, 3001);
  assert.deepEqual(readdirSync(directory), ['anomalies.log']);
});

void test('ENOSPC while creating the file: the retry writes the header before any record', { skip: typeof smallFs === 'string' ? smallFs : false }, async () => {
  if (typeof smallFs === 'string') return;
  const directory = join(smallFs.dir, 'out2');
  const formatter = createAnomalyFormatter({ format: 'zeek', schema: SCHEMA });
  const writer = new AnomalyLogWriter({ directory, formatter });
  await writer.open();
  smallFs.fill();
  await assert.rejects(writer.appendBatch([formatter.record(row(0))]));
  smallFs.free();
  await writer.appendBatch([formatter.record(row(0))]);
  await writer.close();
  const text = readFileSync(join(directory, 'anomalies.log'), 'utf8');
  assert.match(text, /^#separator/);
  assert.equal((await readBack(join(directory, 'anomalies.log'))).uids.length, 1);
});
