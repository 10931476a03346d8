import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { TrainingWindow } from '../../src/state/training-window.js';
import type { WindowRow } from '../../src/state/training-window.js';
import { tempDir } from '../helpers/tmp.js';

const text = fc.option(fc.constantFrom('', 'a', 'b', 'svcctl', '\\pipe\\lsass', 'ünï', 'x\ty'), { nil: null });
const rowArb: fc.Arbitrary<WindowRow> = fc.record({
  ts: fc.integer({ min: 0, max: 1000 }).map((n) => 1_700_000_000 + n + 0.25),
  origHost: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2', 'fe80::1'), { nil: null }),
  respHost: text,
  respPort: fc.option(fc.constantFrom(0, 135, 445, 49667), { nil: null }),
  namedPipe: text,
  endpoint: text,
  operation: text,
});

type Op = { kind: 'add'; rows: WindowRow[] } | { kind: 'evict'; at: number } | { kind: 'persist' } | { kind: 'reload' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.array(rowArb, { maxLength: 12 }).map((rows) => ({ kind: 'add' as const, rows })) },
  { weight: 2, arbitrary: fc.integer({ min: 300, max: 1500 }).map((n) => ({ kind: 'evict' as const, at: 1_700_000_000 + n })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'persist' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

/** The obvious implementation the window must agree with. */
class ModelWindow {
  rows: WindowRow[] = [];
  constructor(
    readonly maxRows: number,
    readonly maxAgeMs: number,
  ) {}
  add(row: WindowRow): void {
    this.rows.push({ ...row });
    if (this.rows.length > this.maxRows) this.rows.shift();
  }
  evict(now: number): void {
    const cutoff = now - this.maxAgeMs / 1000;
    while (this.rows.length > 0 && (this.rows[0] as WindowRow).ts < cutoff) this.rows.shift();
  }
}

function rowsOf(window: TrainingWindow): WindowRow[] {
  return [...window.records()].map(({ ts, origHost, respHost, respPort, namedPipe, endpoint, operation }) => ({
    ts,
    origHost,
    respHost,
    respPort,
    namedPipe,
    endpoint,
    operation,
  }));
}

void test('add/evict/persist/reload agree with a plain array model (exact replay of evictions)', async () => {
  const root = tempDir();
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 5, max: 200 }),
      fc.array(opArb, { minLength: 10, maxLength: 40 }),
      async (maxRows, compactAfterJournalRows, ops) => {
      const directory = await mkdtemp(join(root, `run-${run++}-`));
      const options = { maxRows, maxAgeMs: 500_000, directory, compactAfterJournalRows };
      const model = new ModelWindow(maxRows, options.maxAgeMs);
      let persisted: WindowRow[] = [];
      let window = (await TrainingWindow.load(options)).window;
      for (const op of ops) {
        switch (op.kind) {
          case 'add':
            for (const row of op.rows) {
              window.add(row);
              model.add(row);
            }
            break;
          case 'evict':
            window.evict(op.at);
            model.evict(op.at);
            break;
          case 'persist':
            await window.persist();
            persisted = [...model.rows];
            break;
          case 'reload': {
            await window.close();
            const loaded = await TrainingWindow.load(options);
            assert.deepEqual(loaded.warnings, []);
            window = loaded.window;
            model.rows = [...persisted];
            break;
          }
        }
        assert.deepEqual(rowsOf(window), model.rows);
        assert.equal(window.size, model.rows.length);
      }
      await window.close();
    }),
    { numRuns: 100 },
  );
});

void test('unset and empty strings stay distinct; timeSpan covers out-of-order ts', () => {
  const window = new TrainingWindow({ maxRows: 10, maxAgeMs: 0 });
  assert.equal(window.timeSpan(), null);
  const base: WindowRow = { ts: 20, origHost: '10.0.0.1', respHost: null, respPort: null, namedPipe: '', endpoint: null, operation: '' };
  window.add(base);
  window.add({ ...base, ts: 5, respHost: '', operation: null, respPort: 135 });
  assert.deepEqual(window.row(0), base);
  assert.equal(window.row(1).respHost, '');
  assert.equal(window.row(1).operation, null);
  assert.equal(window.row(1).respPort, 135);
  assert.deepEqual(window.timeSpan(), { oldest: 5, newest: 20 });
  assert.equal(window.evict(1e12), 0, 'maxAgeMs 0 never evicts by age');
  const record = [...window.records()][0];
  assert.equal(record?.uid, null);
});

function row(i: number, host = `10.0.${i >> 8}.${i & 255}`): WindowRow {
  return { ts: 1_700_000_000 + i, origHost: host, respHost: '10.1.1.1', respPort: 445, namedPipe: 'svcctl', endpoint: 'svcctl', operation: i % 2 === 0 ? 'OpenSCManagerW' : null };
}

void test('a torn last journal entry is ignored with a warning and the rest is kept', async () => {
  const directory = tempDir();
  const options = { maxRows: 100, maxAgeMs: 0, directory };
  const { window } = await TrainingWindow.load(options);
  for (let i = 0; i < 5; i++) window.add(row(i));
  await window.persist();
  for (let i = 5; i < 8; i++) window.add(row(i));
  await window.persist();
  await window.close();
  const journal = join(directory, 'training-window.journal');
  const full = readFileSync(journal);
  // Crash mid-append of a third entry.
  appendFileSync(journal, full.subarray(full.indexOf('\n') + 1, full.indexOf('\n') + 40));
  const loaded = await TrainingWindow.load(options);
  assert.equal(loaded.warnings.length, 1);
  assert.equal(loaded.warnings[0]?.code, 'ERR_STATE');
  assert.deepEqual(rowsOf(loaded.window), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => row(i)));
  // The damaged journal was folded into a fresh snapshot; the next load is clean.
  loaded.window.add(row(8));
  await loaded.window.persist();
  await loaded.window.close();
  const again = await TrainingWindow.load(options);
  assert.deepEqual(again.warnings, []);
  assert.equal(again.window.size, 9);
  await again.window.close();
});

void test('a corrupt snapshot is refused with ERR_STATE; openOrReset sets it aside and starts empty', async () => {
  const directory = tempDir();
  const options = { maxRows: 100, maxAgeMs: 0, directory };
  const { window } = await TrainingWindow.load(options);
  for (let i = 0; i < 20; i++) window.add(row(i));
  await window.compact();
  await window.close();
  const snapshot = join(directory, 'training-window.snapshot');
  const bytes = readFileSync(snapshot);
  bytes[bytes.length - 30] = (bytes[bytes.length - 30] as number) ^ 0xff;
  writeFileSync(snapshot, bytes);
  await assert.rejects(TrainingWindow.load(options), (error: unknown) => {
    const e = error as { code?: string; message?: string };
    return e.code === 'ERR_STATE' && (e.message ?? '').includes('corrupt');
  });
  const opened = await TrainingWindow.openOrReset(options);
  assert.equal(opened.reset?.code, 'ERR_STATE');
  assert.equal(opened.window.size, 0);
  assert.equal(existsSync(snapshot), false);
  assert.ok(readdirSync(directory).some((f) => f.startsWith('training-window.snapshot.corrupt-')));
  opened.window.add(row(1));
  await opened.window.persist();
  await opened.window.close();
  assert.equal((await TrainingWindow.load(options)).window.size, 1);
});

void test('a crash between writing the snapshot and replacing the journal loses and duplicates nothing', async () => {
  const directory = tempDir();
  const options = { maxRows: 100, maxAgeMs: 0, directory };
  const { window } = await TrainingWindow.load(options);
  for (let i = 0; i < 10; i++) window.add(row(i));
  await window.persist();
  const journal = join(directory, 'training-window.journal');
  const oldJournal = readFileSync(journal);
  for (let i = 10; i < 12; i++) window.add(row(i));
  await window.compact();
  await window.close();
  writeFileSync(journal, oldJournal); // as if the journal replacement never happened
  const loaded = await TrainingWindow.load(options);
  assert.equal(loaded.warnings.length, 1);
  assert.deepEqual(rowsOf(loaded.window), Array.from({ length: 12 }, (_, i) => row(i)));
  await loaded.window.close();
});

void test('compaction forgets dictionary values only evicted rows used', async () => {
  const directory = tempDir();
  const { window } = await TrainingWindow.load({ maxRows: 1000, maxAgeMs: 0, directory });
  const v6 = (i: number): WindowRow => row(i, `fd00::${i.toString(16)}`);
  for (let i = 0; i < 5000; i++) window.add(v6(i));
  assert.equal(window.dictionarySizes().origHost, 5000);
  await window.compact();
  assert.equal(window.dictionarySizes().origHost, 1000);
  assert.equal(window.dictionarySizes().operation, 1);
  assert.deepEqual(rowsOf(window), Array.from({ length: 1000 }, (_, i) => v6(4000 + i)));
  await window.close();
});

void test('IPv4 addresses are kept as numbers: a flood of them fills no dictionary, and every host text comes back exactly', async () => {
  const directory = tempDir();
  const options = { maxRows: 300_000, maxAgeMs: 0, directory };
  const { window } = await TrainingWindow.load(options);
  // Text that looks like an address but is not the canonical dotted quad stays text.
  const odd = ['010.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', ' 1.2.3.4', '1.2.3.4 ', '0.0.0.0', '255.255.255.255', '1..2.3', '', 'host-a', '::ffff:1.2.3.4'];
  const rows: WindowRow[] = [];
  for (let i = 0; i < 200_000; i++) {
    const origHost = i < odd.length ? (odd[i] as string) : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    rows.push({ ...row(i, origHost), respHost: `172.16.${(i >> 8) & 255}.${i & 255}` });
  }
  for (const r of rows.slice(0, 150_000)) window.add(r);
  await window.persist();
  await window.compact();
  for (const r of rows.slice(150_000)) window.add(r);
  await window.persist();
  assert.ok(window.dictionarySizes().origHost <= odd.length, JSON.stringify(window.dictionarySizes()));
  assert.equal(window.dictionarySizes().respHost, 0);
  assert.deepEqual(window.foldedValues().origHost, 0);
  await window.close();
  const again = await TrainingWindow.load(options);
  assert.deepEqual(rowsOf(again.window), rows);
  await again.window.close();
});

/** A version 1 snapshot (before addresses were numbers) of `rows`, as the old code wrote it. */
function versionOneSnapshot(rows: WindowRow[]): Buffer {
  const names = ['origHost', 'respHost', 'namedPipe', 'endpoint', 'operation'] as const;
  const dictionaries = names.map(() => new Map<string, number>());
  const codes = names.map(() => new Uint32Array(rows.length));
  rows.forEach((r, i) =>
    names.forEach((name, c) => {
      const value = r[name];
      const dictionary = dictionaries[c] as Map<string, number>;
      if (value !== null && !dictionary.has(value)) dictionary.set(value, dictionary.size + 1);
      (codes[c] as Uint32Array)[i] = value === null ? 0 : (dictionary.get(value) as number);
    }),
  );
  const header = Buffer.from(JSON.stringify({ generation: 3, rows: rows.length, headSeq: 0, columns: names, dictionaries: dictionaries.map((d) => [...d.keys()]) }));
  const start = Buffer.alloc(Math.ceil((16 + header.length) / 8) * 8);
  start.write('ZAWINDOW', 0, 'latin1');
  start.writeUInt32LE(1, 8);
  start.writeUInt32LE(header.length, 12);
  header.copy(start, 16);
  const ts = Float64Array.from(rows, (r) => r.ts);
  const ports = Int32Array.from(rows, (r) => r.respPort ?? -1);
  const body = Buffer.concat([start, ...[ts, ports, ...codes].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}

void test('a version 1 snapshot (addresses in dictionaries) still loads, and compaction turns its addresses into numbers', async () => {
  const directory = tempDir();
  const rows = Array.from({ length: 3000 }, (_, i) => row(i, i % 7 === 0 ? `fd00::${i}` : `10.0.${i >> 8}.${i & 255}`));
  writeFileSync(join(directory, 'training-window.snapshot'), versionOneSnapshot(rows));
  writeFileSync(join(directory, 'training-window.journal'), `${journalHeader(3)}`);
  const options = { maxRows: 5000, maxAgeMs: 0, directory };
  const { window, warnings } = await TrainingWindow.load(options);
  assert.deepEqual(warnings, []);
  assert.deepEqual(rowsOf(window), rows);
  await window.compact();
  assert.equal(window.dictionarySizes().origHost, rows.filter((r) => r.origHost?.includes(':') === true).length);
  assert.deepEqual(rowsOf(window), rows);
  await window.close();
  const again = await TrainingWindow.load(options);
  assert.deepEqual(rowsOf(again.window), rows);
  await again.window.close();
});

function journalHeader(generation: number): string {
  const json = JSON.stringify({ journal: 1, generation });
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

void test('a smaller maxRows on load keeps the newest rows', async () => {
  const directory = tempDir();
  const first = (await TrainingWindow.load({ maxRows: 50, maxAgeMs: 0, directory })).window;
  for (let i = 0; i < 40; i++) first.add(row(i));
  await first.compact();
  for (let i = 40; i < 45; i++) first.add(row(i));
  await first.persist();
  await first.close();
  const loaded = (await TrainingWindow.load({ maxRows: 10, maxAgeMs: 0, directory })).window;
  assert.deepEqual(rowsOf(loaded), Array.from({ length: 10 }, (_, i) => row(35 + i)));
  await loaded.close();
});

void test('constructor rejects nonsense limits', () => {
  assert.throws(() => new TrainingWindow({ maxRows: 0, maxAgeMs: 0 }), RangeError);
  assert.throws(() => new TrainingWindow({ maxRows: 10, maxAgeMs: -1 }), RangeError);
});

/** The obvious implementation of the thinning policy (sample_every = auto). */
class ThinningModel {
  rows: WindowRow[] = [];
  stride = 1;
  offered = 0;
  constructor(readonly maxRows: number, readonly maxAgeMs: number) {}
  offer(row: WindowRow): boolean {
    const index = this.offered++;
    if (index % this.stride !== 0) return false;
    while (this.rows.length === this.maxRows) {
      this.rows = this.rows.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
      if (index % this.stride !== 0) return false;
    }
    this.rows.push({ ...row });
    return true;
  }
  evict(now: number): void {
    const cutoff = now - this.maxAgeMs / 1000;
    while (this.rows.length > 0 && (this.rows[0] as WindowRow).ts < cutoff) this.rows.shift();
    if (this.stride > 1 && this.rows.length < this.maxRows / 4) this.stride /= 2;
  }
  state(): { rows: WindowRow[]; stride: number; offered: number } {
    return { rows: [...this.rows], stride: this.stride, offered: this.offered };
  }
}

void test('thinning (offer/evict/persist/reload) agrees with a plain array model, across restarts', async () => {
  const root = tempDir();
  let run = 0;
  const thinOp: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.array(rowArb, { maxLength: 30 }).map((rows) => ({ kind: 'add' as const, rows })) },
    { weight: 1, arbitrary: fc.integer({ min: 300, max: 1500 }).map((n) => ({ kind: 'evict' as const, at: 1_700_000_000 + n })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'persist' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
  );
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 5, max: 100 }), fc.array(thinOp, { minLength: 10, maxLength: 40 }), async (maxRows, compactAfterJournalRows, ops) => {
      const directory = await mkdtemp(join(root, `thin-${run++}-`));
      const options = { maxRows, maxAgeMs: 500_000, directory, compactAfterJournalRows, whenFull: 'thin' as const };
      const model = new ThinningModel(maxRows, options.maxAgeMs);
      let persisted = model.state();
      let window = (await TrainingWindow.load(options)).window;
      for (const op of ops) {
        switch (op.kind) {
          case 'add':
            for (const row of op.rows) assert.equal(window.offer(row), model.offer(row));
            break;
          case 'evict':
            window.evict(op.at);
            model.evict(op.at);
            break;
          case 'persist':
            await window.persist();
            persisted = model.state();
            break;
          case 'reload': {
            await window.close();
            const loaded = await TrainingWindow.load(options);
            assert.deepEqual(loaded.warnings, []);
            window = loaded.window;
            model.rows = [...persisted.rows];
            model.stride = persisted.stride;
            model.offered = persisted.offered;
            break;
          }
        }
        assert.deepEqual(rowsOf(window), model.rows);
        assert.equal(window.stride, model.stride);
        assert.equal(window.offered, model.offered);
        assert.ok(window.size <= maxRows);
      }
      await window.close();
    }),
    { numRuns: 100 },
  );
});

void test('a window that fits the site: a small site keeps everything, a large one an even sample', () => {
  const small = new TrainingWindow({ maxRows: 1000, maxAgeMs: 0, whenFull: 'thin' });
  for (let i = 0; i < 800; i++) small.offer(row(i));
  assert.equal(small.size, 800, 'below the limit every record is kept');
  assert.equal(small.stride, 1);

  const large = new TrainingWindow({ maxRows: 1000, maxAgeMs: 0, whenFull: 'thin' });
  for (let i = 0; i < 100_000; i++) large.offer(row(i));
  assert.equal(large.stride, 128, '100,000 records into 1,000 rows: 1 in 128');
  assert.ok(large.size > 500 && large.size <= 1000, `size ${large.size}`);
  const ts = [...large.records()].map((r) => r.ts - 1_700_000_000);
  assert.equal(ts[0], 0, 'the oldest record stays');
  // Even over time: every gap between kept records is the stride (the records are one per second).
  for (let i = 1; i < ts.length; i++) assert.equal((ts[i] as number) - (ts[i - 1] as number), 128, `gap at ${i}`);
  assert.ok((ts.at(-1) as number) >= 100_000 - 128, 'and it reaches the newest records');

  const fixed = new TrainingWindow({ maxRows: 1000, maxAgeMs: 0 });
  for (let i = 0; i < 5000; i++) fixed.offer(row(i));
  assert.equal(fixed.size, 1000);
  assert.equal(fixed.row(0).ts, 1_700_000_000 + 4000, "whenFull 'drop-oldest' keeps the newest rows");
});

void test('a thinned window survives a restart with its stride, and a crash before the snapshot keeps the old state', async () => {
  const directory = tempDir();
  const options = { maxRows: 100, maxAgeMs: 0, directory, whenFull: 'thin' as const };
  const { window } = await TrainingWindow.load(options);
  for (let i = 0; i < 90; i++) window.offer(row(i));
  await window.persist();
  for (let i = 90; i < 150; i++) window.offer(row(i));
  assert.equal(window.stride, 2);
  // Crash here: the thinning has not been written; the saved state is the 90 rows before it.
  const crashed = (await TrainingWindow.load(options)).window;
  assert.equal(crashed.size, 90);
  assert.equal(crashed.stride, 1);
  await crashed.close();
  await window.persist();
  await window.close();
  const resumed = (await TrainingWindow.load(options)).window;
  assert.deepEqual(rowsOf(resumed), rowsOf(window));
  assert.equal(resumed.stride, 2);
  assert.equal(resumed.offered, 150);
  assert.equal(resumed.offer(row(150)), true, 'offer 150 is a multiple of the stride');
  assert.equal(resumed.offer(row(151)), false);
  await resumed.close();
});
