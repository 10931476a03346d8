/**
 * The writer against Zeek's own writer baselines (test/fixtures/zeek/writer-baselines, copied from
 * zeek/zeek; the comparison rules are those of ../shared/data/zeek-writer-baselines/README.md):
 * drop btest's first line, ignore #open/#close, mask the first timestamp per line.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unescapeTsv } from '../../src/zeek/bytes.js';
import {
  ZeekLineDecoder,
  formatJsonRecord,
  formatTsvHeader,
  formatTsvRecord,
} from '../../src/zeek/index.js';
import type { JsonWriteOptions, TsvFormat, ZeekSchema, ZeekValue } from '../../src/zeek/index.js';

const ROOT = fileURLToPath(new URL('../../../test/fixtures/zeek/writer-baselines/', import.meta.url));
const MASK = 'XXXXXXXXXX.XXXXXX';
const STAND_IN = '1234567890.123456';

/** The baseline's lines after btest's banner (a missing final newline is tolerated). */
function baseline(name: string): string[] {
  const text = readFileSync(join(ROOT, name), 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  assert.ok(lines[0]?.startsWith('### BTest'), `${name} has the btest banner`);
  return lines.slice(1);
}

/** btest's diff-remove-first-timestamp canonifier. */
function mask(line: string): string {
  return line.replace(/(^|[^0-9])([0-9]{9,10}\.[0-9]{1,8})/, `$1${MASK}`);
}

function isOpenClose(line: string, prefix: string): boolean {
  return line.startsWith(`${prefix}open`) || line.startsWith(`${prefix}close`);
}

interface Decoded {
  schema: ZeekSchema;
  format: TsvFormat;
  rows: { values: ZeekValue[]; source: string }[];
}

/** Reads a TSV baseline with our reader (masked times replaced by a stand-in time). */
function readTsv(lines: string[], options: Partial<ConstructorParameters<typeof ZeekLineDecoder>[0]> = {}): Decoded {
  const decoder = new ZeekLineDecoder({ file: 'baseline', ...options });
  let schema = options.headerlessTsv?.schema ?? null;
  let format: TsvFormat | null = null;
  const rows: Decoded['rows'] = [];
  lines.forEach((line, index) => {
    const event = decoder.decodeText(line.replaceAll(MASK, STAND_IN), index + 1, 0);
    if (event === null) return;
    if (event.kind === 'error') assert.fail(`line ${index + 1}: ${event.reason}`);
    if (event.kind === 'header') {
      schema = event.schema;
      format = event.format;
    } else rows.push({ values: event.values, source: line });
  });
  assert.ok(schema !== null);
  return { schema, format: format ?? { separator: '|', setSeparator: ',', emptyField: '(empty)', unsetField: '-', metaPrefix: '#' }, rows };
}

// ascii-escape-binary is written with enable_utf_8=F (a pre-4.2 default we do not emulate);
// ascii-double's `-0.0` row cannot survive reading (it is checked from its inputs below).
const TSV_SKIP = new Set(['ascii-escape-binary/test.log', 'ascii-double/test.log', 'ascii-tsv/ssh-filtered.log', 'ascii-options/ssh.log']);

const tsvBaselines = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join(ROOT, d.name)).map((f) => `${d.name}/${f}`))
  .filter((name) => {
    const first = baseline(name)[0] ?? '';
    return /^(#|PREFIX<>)separator /.test(first) && !TSV_SKIP.has(name);
  });

void test('every TSV writer baseline: read back, written again byte for byte (headers too)', async (t) => {
  assert.ok(tsvBaselines.length >= 25, `found ${tsvBaselines.length} TSV baselines`);
  for (const name of tsvBaselines) {
    await t.test(name, () => {
      const lines = baseline(name);
      const { schema, format, rows } = readTsv(lines);
      const prefix = format.metaPrefix;
      const expectedHeader = lines.filter((l) => l.startsWith(prefix) && !isOpenClose(l, prefix));
      const ourHeader = formatTsvHeader(schema, 0, format).trimEnd().split('\n').filter((l) => !isOpenClose(l, prefix));
      assert.deepEqual(ourHeader, expectedHeader.slice(0, ourHeader.length));
      assert.ok(rows.length > 0);
      for (const row of rows) {
        const ours = formatTsvRecord(schema, row.values, format).slice(0, -1);
        assert.equal(row.source.includes(MASK) ? mask(ours) : ours, row.source);
      }
    });
  }
});

void test('ascii-options (no meta lines, | separator) reads with a given schema and writes back', () => {
  const schema: ZeekSchema = {
    path: 'ssh',
    fields: [
      { name: 't', type: 'time' }, { name: 'id.orig_h', type: 'addr' }, { name: 'id.orig_p', type: 'port' },
      { name: 'id.resp_h', type: 'addr' }, { name: 'id.resp_p', type: 'port' }, { name: 'status', type: 'string' },
      { name: 'country', type: 'string' },
    ],
  };
  const lines = baseline('ascii-options/ssh.log');
  const { rows } = readTsv(lines, { headerlessTsv: { schema, format: { separator: '|' } } });
  assert.equal(rows.length, 5);
  for (const row of rows) assert.equal(mask(formatTsvRecord(schema, row.values, { separator: '|' }).slice(0, -1)), row.source);
});

const DOUBLES = [
  2153226000.0, 2153226000.1, Number('2153226000.123456789'), 1.0, 1.1, 1.123456789, -1.123456789, 1.1234, 0.1234, 5e4, -5e4,
  3.14e15, -3.14e15, 1.79e308, -1.79e308, 1.23456789e-5, 2.23e-308, -2.23e-308, Infinity, -Infinity, -0.0, NaN,
];

void test('ascii-double: doubles in TSV and JSON from the test inputs', () => {
  const schema: ZeekSchema = { path: 'test', fields: [{ name: 'd', type: 'double' }] };
  const tsv = baseline('ascii-double/test.log').filter((l) => !l.startsWith('#'));
  assert.deepEqual(DOUBLES.map((d) => formatTsvRecord(schema, [d]).trimEnd()), tsv);
  // Zeek writes JSON null for NaN/inf (they are set, not unset).
  const json = baseline('ascii-double/json.log');
  const ours = DOUBLES.map((d) => formatJsonRecord(schema, [d]).trimEnd());
  assert.deepEqual(ours, json);
});

void test('ascii-timestamps: time with exactly six decimals', () => {
  const schema: ZeekSchema = { path: 'test', fields: [{ name: 't', type: 'time' }] };
  const inputs = [1234567890, 1234567890.0, 1234567890.01, 1234567890.001, 1234567890.0001, 1234567890.00001, 1234567890.000001, Number('1234567890.0000001'), 2385642157];
  const data = baseline('ascii-timestamps/test.log').filter((l) => !l.startsWith('#'));
  assert.deepEqual(inputs.map((t) => formatTsvRecord(schema, [t]).trimEnd()), data);
});

void test('escaping from the scripts\' own inputs: markers, set separator, leading #, bytes', () => {
  const strings = (n: number): ZeekSchema => ({ path: 'test', fields: Array.from({ length: n }, (_, i) => ({ name: `s${i}`, type: 'string' })) });
  const data = (name: string): string[] => baseline(name).filter((l) => !l.startsWith('#'));
  assert.deepEqual([formatTsvRecord(strings(3), ['-', null, '']).trimEnd()], data('ascii-escape-notset-str/test.log'));
  const set: ZeekSchema = { path: 'test', fields: [{ name: 'ss', type: 'set[string]' }] };
  assert.equal(formatTsvRecord(set, [[',', 'CC', ',,', 'AA']]).trimEnd(), data('ascii-escape-set-separator/test.log')[0]);
  assert.equal(formatTsvRecord(set, [['EMPTY']], { emptyField: 'EMPTY' }).trimEnd(), data('ascii-escape-empty-str/test.log')[0]);
  assert.equal(formatTsvRecord(set, [['®']], { setSeparator: '®' }).trimEnd(), data('ascii-utf8-enabled-set-separator-escape/test.log')[0]);
  const comment: ZeekSchema = { path: 'test', fields: [{ name: 'data', type: 'string' }, { name: 'c', type: 'count' }] };
  assert.deepEqual(['Test1', '#Kaputt', 'Test2'].map((s) => formatTsvRecord(comment, [s, 42]).trimEnd()), data('ascii-line-like-comment/test.log'));
  assert.deepEqual([formatTsvRecord(strings(1), ['foo \n\t\0 bar']).trimEnd()], data('ascii-utf8-enabled-control-characters/test.log'));
  const binary: ZeekSchema = { path: 'ssh', fields: [{ name: 'data', type: 'string' }, { name: 'data2', type: 'string' }] };
  const rows = ['abc\n\udcffdef', 'abc|\udcffdef', 'abc\udcff|def'].map((s) => formatTsvRecord(binary, [s, 'DATA2'], { separator: '|' }).trimEnd());
  assert.deepEqual(rows, data('ascii-binary/ssh.log'));
});

void test('ascii-json-utf8: the HEX policy (default) from the reversible TSV-policy inputs', () => {
  const schema: ZeekSchema = { path: 'ssh', fields: [{ name: 's', type: 'string' }] };
  const inputs = baseline('ascii-json-utf8/ssh.log.tsv').map((line) => unescapeTsv((JSON.parse(line) as { s: string }).s));
  const hex = baseline('ascii-json-utf8/ssh.log.hex');
  assert.equal(inputs.length, 49);
  inputs.forEach((input, i) => assert.equal(formatJsonRecord(schema, [input]).trimEnd(), hex[i], `row ${i + 1}`));
});

void test('JSON time formats, unset fields and negative times', () => {
  const ts: ZeekSchema = { path: 'test', fields: [{ name: 'ts', type: 'time' }] };
  const one = (options: JsonWriteOptions): string => formatJsonRecord(ts, [-315619200], options).trimEnd();
  assert.deepEqual([one({})], baseline('ascii-negative-ts/test.log.ts_epoch'));
  assert.deepEqual([one({ timestamps: 'millis' })], baseline('ascii-negative-ts/test.log.ts_millis'));
  assert.deepEqual([one({ timestamps: 'iso8601' })], baseline('ascii-negative-ts/test.log.ts_iso8601'));
  const iso = [1215620010.0054321, 533782861.9, -0.4, -0.5, -0.6, -1.0, -1.4, -1.5, -1.6, -99];
  const isoLines = baseline('ascii-json-iso-timestamps/ssh.log').map((l) => (JSON.parse(l) as { t: string }).t);
  const tSchema: ZeekSchema = { path: 'ssh', fields: [{ name: 't', type: 'time' }] };
  assert.deepEqual(iso.map((t) => (JSON.parse(formatJsonRecord(tSchema, [t], { timestamps: 'iso8601' })) as { t: string }).t), isoLines);
  const optional: ZeekSchema = { path: 'testing', fields: [{ name: 'ts', type: 'time' }, { name: 'msg', type: 'string' }] };
  assert.deepEqual([formatJsonRecord(optional, [null, 'Testing 1 2 3 ']).trimEnd()], baseline('ascii-json-optional/testing.log'));
  assert.deepEqual([formatJsonRecord(optional, [null, 'Testing 1 2 3 '], { includeUnset: true }).trimEnd()], baseline('ascii-json-optional/testing_nullfields.log'));
});

void test('JSON baselines read back with the TSV twin\'s schema and are written again identically', () => {
  const http = readTsv(baseline('json-non-printable-escaping/http.log.tsv'));
  const jsonLines = baseline('json-non-printable-escaping/http.log.json');
  const decoder = new ZeekLineDecoder({ file: 'http.log.json', jsonSchema: http.schema });
  jsonLines.forEach((line, i) => {
    const event = decoder.decodeText(line.replace(MASK, STAND_IN), i + 1, 0);
    assert.equal(event?.kind, 'record', event?.kind === 'error' ? event.reason : '');
    if (event?.kind === 'record') assert.equal(mask(formatJsonRecord(http.schema, event.values).trimEnd()), line);
  });
  const types: ZeekSchema = {
    path: 'ssh',
    fields: [
      ['b', 'bool'], ['i', 'int'], ['e', 'enum'], ['c', 'count'], ['p', 'port'], ['sn', 'subnet'], ['a', 'addr'],
      ['d', 'double'], ['t', 'time'], ['iv', 'interval'], ['s', 'string'], ['sc', 'set[count]'], ['ss', 'set[string]'],
      ['se', 'set[string]'], ['vc', 'vector[count]'], ['ve', 'vector[string]'], ['vn', 'vector[count]'], ['f', 'func'],
    ].map(([name, type]) => ({ name: name ?? '', type: type ?? '' })),
  };
  const [line] = baseline('ascii-json/ssh.log');
  assert.ok(line !== undefined);
  const event = new ZeekLineDecoder({ file: 'ssh.log', jsonSchema: types }).decodeText(line.replace(MASK, '1215620010.54321'), 1, 0);
  assert.equal(event?.kind, 'record');
  if (event?.kind === 'record') {
    assert.deepEqual(event.values[16], [0, null, 2]);
    assert.equal(mask(formatJsonRecord(types, event.values).trimEnd()), line);
  }
});
