import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DCE_RPC_SCHEMA, ZeekLineDecoder, formatTsvHeader, toDceRpcRecord } from '../../src/zeek/index.js';
import type { DecodeResult, ZeekRecord, ZeekParseError, ZeekSchema } from '../../src/zeek/index.js';

/** Feeds text lines (1-based numbering, offsets as in the joined text) and collects results. */
function feed(decoder: ZeekLineDecoder, text: string): Exclude<DecodeResult, null>[] {
  const out: Exclude<DecodeResult, null>[] = [];
  let offset = 0;
  text.split('\n').forEach((line, index) => {
    const bytes = Buffer.from(line, 'latin1');
    const result = decoder.decode(bytes, index + 1, offset);
    if (result !== null) out.push(result);
    offset += bytes.length + 1;
  });
  return out;
}

const records = (events: Exclude<DecodeResult, null>[]): ZeekRecord[] =>
  events.filter((e): e is ZeekRecord => e.kind === 'record');
const errors = (events: Exclude<DecodeResult, null>[]): ZeekParseError[] =>
  events.filter((e): e is ZeekParseError => e.kind === 'error');

const header = (schema: ZeekSchema): string => formatTsvHeader(schema, 0);

const LINE =
  '1361916332.298338\tCsNHVHa1lzFtvJzT8\t172.16.133.6\t1728\t172.16.128.202\t445\t0.092110\t\\\\PIPE\\\\browser\tbrowser\tBrowserrQueryOtherDomains';

void test('TSV: columns by name, \\\\ unescaped, numbers and ports typed', () => {
  const events = feed(new ZeekLineDecoder({ file: 'f' }), header(DCE_RPC_SCHEMA) + LINE);
  assert.equal(events[0]?.kind, 'header');
  const [record] = records(events);
  assert.ok(record);
  assert.deepEqual(record.values, [
    1361916332.298338, 'CsNHVHa1lzFtvJzT8', '172.16.133.6', 1728, '172.16.128.202', 445, 0.09211,
    '\\PIPE\\browser', 'browser', 'BrowserrQueryOtherDomains',
  ]);
  assert.equal(record.line, 9);
  const dce = toDceRpcRecord(record);
  assert.ok(!('kind' in dce));
  assert.equal(dce.namedPipe, '\\PIPE\\browser');
  assert.equal(dce.respPort, 445);
});

void test('TSV: leading extra columns (Corelight) and id.ctx.* do not shift the mapping', () => {
  const schema: ZeekSchema = {
    path: 'dce_rpc',
    fields: [
      { name: '_path', type: 'string' },
      { name: '_write_ts', type: 'time' },
      ...DCE_RPC_SCHEMA.fields.slice(0, 6),
      { name: 'id.ctx.vlan', type: 'int' },
      ...DCE_RPC_SCHEMA.fields.slice(6),
    ],
  };
  const parts = LINE.split('\t');
  const line = ['dce_rpc', '1.5', ...parts.slice(0, 6), '-', ...parts.slice(6)].join('\t');
  const [record] = records(feed(new ZeekLineDecoder({ file: 'f' }), header(schema) + line));
  assert.ok(record);
  const dce = toDceRpcRecord(record);
  assert.ok(!('kind' in dce));
  assert.equal(dce.origHost, '172.16.133.6');
  assert.equal(dce.operation, 'BrowserrQueryOtherDomains');
});

void test('TSV: unset and empty stay distinct; sets split; \\x2c inside elements; trailing CR', () => {
  const schema: ZeekSchema = {
    path: 't',
    fields: [
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string' },
      { name: 's', type: 'set[string]' },
      { name: 'v', type: 'vector[count]' },
      { name: 'e', type: 'vector[string]' },
    ],
  };
  const text = header(schema) + '-\t(empty)\ta\\x2cb,c\t1,-,3\t(empty)\r\n\\x2d\t\\x28empty)\t-\t(empty)\tx,(empty)';
  const got = records(feed(new ZeekLineDecoder({ file: 'f' }), text));
  assert.deepEqual(got[0]?.values, [null, '', ['a,b', 'c'], [1, null, 3], []]);
  assert.deepEqual(got[1]?.values, ['-', '(empty)', null, [], ['x', '']]);
});

void test('TSV: \\xNN and \\\\ unescape left to right, bytes decoded as UTF-8 or kept as escapes', () => {
  const schema: ZeekSchema = { path: 't', fields: [{ name: 's', type: 'string' }] };
  const text = header(schema) + ['\\\\x41', '\\x41\\\\', '\\xc3\\xa9', 'a\\xffb', '\\x09\\x0a'].join('\n');
  const got = records(feed(new ZeekLineDecoder({ file: 'f' }), text)).map((r) => r.values[0]);
  assert.deepEqual(got, ['\\x41', 'A\\', 'é', 'a\udcffb', '\t\n']);
});

void test('TSV: a new header block mid-stream switches the schema', () => {
  const other: ZeekSchema = { path: 'x', fields: [{ name: 'n', type: 'count' }, { name: 'ts', type: 'time' }] };
  const text = header(DCE_RPC_SCHEMA) + LINE + '\n#close\t2020-01-01-00-00-00\n' + header(other) + '7\t1.5';
  const events = feed(new ZeekLineDecoder({ file: 'f' }), text);
  const got = records(events);
  assert.equal(got.length, 2);
  assert.equal(got[1]?.schema.path, 'x');
  assert.deepEqual(got[1]?.values, [7, 1.5]);
  assert.equal(events.filter((e) => e.kind === 'header').length, 2);
});

void test('TSV: bad lines become typed errors and decoding goes on', () => {
  const bad = [
    LINE.split('\t').slice(0, 9).join('\t'), // 9 columns
    LINE.replace('1361916332.298338', '13619x6332.2'), // time
    LINE.replace('\t1728\t', '\t70000\t'), // port
    LINE.replace('172.16.133.6', '172.16.133.256'), // addr
    LINE.replace('browser\t', 'bro\0wser\t'), // NUL
  ];
  const text = header(DCE_RPC_SCHEMA) + [LINE, ...bad, LINE].join('\n');
  const events = feed(new ZeekLineDecoder({ file: 'f.log' }), text);
  assert.equal(records(events).length, 2);
  const errs = errors(events);
  assert.deepEqual(
    errs.map((e) => [e.code, e.line]),
    [['column-count', 10], ['bad-value', 11], ['bad-value', 12], ['bad-value', 13], ['binary', 14]],
  );
  assert.ok(errs.every((e) => e.file === 'f.log' && e.offset > 0));
  const invalidUtf8 = new ZeekLineDecoder({ file: 'f' });
  feed(invalidUtf8, header(DCE_RPC_SCHEMA));
  assert.equal(invalidUtf8.decode(Buffer.from([0x61, 0xff, 0x62]), 1, 0)?.kind, 'error');
  // One stray byte in an otherwise valid record decodes to a single U+FFFD, keeping the line's
  // length: it must still be reported as binary, not read as a record holding U+FFFD.
  for (const stray of [0x80, 0xc3, 0xff]) {
    const bytes = Buffer.from(LINE, 'latin1');
    bytes[bytes.indexOf('browser')] = stray;
    const result = invalidUtf8.decode(bytes, 2, 0);
    assert.equal(result?.kind === 'error' ? result.code : result?.kind, 'binary', `byte 0x${stray.toString(16)}`);
  }
  const noHeader = new ZeekLineDecoder({ file: 'f' }).decode(Buffer.from(LINE), 1, 0);
  assert.equal(noHeader?.kind === 'error' ? noHeader.code : '', 'no-header');
});

void test('JSON: dotted, underscored and nested keys; extra keys harmless; missing or null is unset', () => {
  const lines = [
    '{"_path":"dce_rpc","ts":1606866068.78847,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":445,"named_pipe":"\\\\pipe\\\\lsass","endpoint":"samr","operation":"SamrConnect5"}',
    '{"@stream":"dce_rpc","ts":1.606866068e9,"uid":"C2","id_orig_h":"10.0.0.1","id_orig_p":2,"id_resp_h":"::1","id_resp_p":135,"rtt":8.58306884765625e-05,"named_pipe":null}',
    '{"ts":"2018-03-24T17:15:25.396014Z","id":{"orig_h":"10.0.0.3","orig_p":3,"resp_h":"10.0.0.4","resp_p":445}}',
    '{"ts":1606866068788}',
  ];
  const got = records(feed(new ZeekLineDecoder({ file: 'f' }), lines.join('\n')));
  assert.equal(got.length, 4);
  assert.deepEqual(got[0]?.values.slice(6), [null, '\\pipe\\lsass', 'samr', 'SamrConnect5']);
  assert.deepEqual(got[1]?.values.slice(0, 8), [1606866068, 'C2', '10.0.0.1', 2, '::1', 135, 8.58306884765625e-5, null]);
  assert.equal(got[2]?.values[0], Date.UTC(2018, 2, 24, 17, 15, 25) / 1000 + 0.396014);
  assert.equal(got[2]?.values[2], '10.0.0.3');
  assert.equal(got[3]?.values[0], 1606866068.788);
});

void test('JSON: invalid JSON, non-objects, non-records and bad values are errors', () => {
  const lines = ['{"ts":1', '[1,2]', '{"preview":false,"result":{}}', '{"ts":"yesterday"}', '{"ts":1,"id.orig_p":-4}', '{"ts":2}'];
  const events = feed(new ZeekLineDecoder({ file: 'f' }), lines.join('\n'));
  assert.deepEqual(
    errors(events).map((e) => [e.code, e.line]),
    [['invalid-json', 1], ['invalid-json', 2], ['not-a-record', 3], ['bad-value', 4], ['bad-value', 5]],
  );
  assert.equal(records(events).length, 1);
});

void test('JSON: Zeek HEX-policy \\xNN text is read back as bytes', () => {
  const schema: ZeekSchema = { path: 't', fields: [{ name: 's', type: 'string' }] };
  const decoder = new ZeekLineDecoder({ file: 'f', jsonSchema: schema });
  const got = records(feed(decoder, '{"s":"a\\\\x07b\\\\xc3\\\\xa9"}'));
  assert.equal(got[0]?.values[0], 'a\u0007bé');
  const literal = new ZeekLineDecoder({ file: 'f', jsonSchema: schema, jsonHexEscapes: false });
  assert.equal(records(feed(literal, '{"s":"a\\\\x07"}'))[0]?.values[0], 'a\\x07');
});

void test('columns option decodes only the requested columns', () => {
  const decoder = new ZeekLineDecoder({ file: 'f', columns: ['ts', 'endpoint'] });
  const [record] = records(feed(decoder, header(DCE_RPC_SCHEMA) + LINE.replace('172.16.133.6', 'not-an-addr')));
  assert.ok(record);
  assert.equal(record.values[0], 1361916332.298338);
  assert.equal(record.values[2], null);
  assert.equal(record.values[8], 'browser');
});

void test('toDceRpcRecord rejects a record without a usable ts', () => {
  const schema: ZeekSchema = { path: 'x', fields: [{ name: 'uid', type: 'string' }] };
  const [record] = records(feed(new ZeekLineDecoder({ file: 'f' }), header(schema) + 'C1'));
  assert.ok(record);
  const result = toDceRpcRecord(record);
  assert.ok('kind' in result && result.kind === 'error');
});

void test('escaped-string memo stays right across ASCII and non-ASCII lines', () => {
  const schema: ZeekSchema = { path: 't', fields: [{ name: 's', type: 'string' }, { name: 'n', type: 'count' }] };
  const decoder = new ZeekLineDecoder({ file: 'f' });
  const lines = [...header(schema).trimEnd().split('\n'), '\\\\a\t1', 'é\\\\b\t2', '\\\\a\t3', 'é\\\\b\t4', '\\\\c\t5'];
  const got = lines
    .map((line, i) => decoder.decode(Buffer.from(line, 'utf8'), i + 1, 0))
    .filter((e): e is ZeekRecord => e?.kind === 'record')
    .map((r) => r.values[0]);
  assert.deepEqual(got, ['\\a', 'é\\b', '\\a', 'é\\b', '\\c']);
});

void test('TSV: decimals with more than 22 fraction digits are exact, not divided by a missing power of ten', () => {
  const schema: ZeekSchema = { path: 'x', fields: [{ name: 'd', type: 'double' }] };
  const texts = ['0.00000000000000000000001', '-0.0000000000000000000000123', '1.0000000000000000000000', '0.1234567890123456789012'];
  const events = feed(new ZeekLineDecoder({ file: 'f' }), header(schema) + texts.join('\n'));
  assert.deepEqual(records(events).map((r) => r.values[0]), texts.map(Number));
  // The slow (non-tab) path too.
  const comma = '#separator \\x2c\n#fields,d\n#types,double\n' + texts.join('\n');
  assert.deepEqual(records(feed(new ZeekLineDecoder({ file: 'f' }), comma)).map((r) => r.values[0]), texts.map(Number));
});
