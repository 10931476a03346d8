/**
 * DceRpcLineDecoder is a shortcut, never a second opinion: line for line it must give exactly
 * what ZeekLineDecoder + toDceRpcRecord give (records bit for bit, errors with the same code,
 * line, offset and reason), in both product configurations (the daemon's `columns:
 * DCE_RPC_COLUMNS`, and every column as `score` reads). Checked on real logs, the repository's
 * fixtures, mutated lines, tricky numbers and addresses, header switches and generated records.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  DCE_RPC_COLUMNS,
  DCE_RPC_SCHEMA,
  DceRpcLineDecoder,
  ZeekLineDecoder,
  formatTsvHeader,
  formatTsvRecord,
  scanDceRpcLog,
  scanZeekLog,
  toDceRpcRecord,
} from '../../src/zeek/index.js';
import type { DceRpcDecodeResult, ZeekSchema, ZeekValue } from '../../src/zeek/index.js';
import { LineSplitter } from '../../src/zeek/line-splitter.js';
import { SHARED_ABSENT, repoRoot, sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const CONFIGURATIONS = [
  { name: 'daemon (columns = DCE_RPC_COLUMNS)', columns: DCE_RPC_COLUMNS },
  { name: 'score (every column)', columns: undefined },
] as const;

interface Tally {
  lines: number;
  /** Lines the generic decoder was asked about (headers, fallbacks). */
  slow: number;
  records: number;
  errors: number;
}

/**
 * Feeds `data` line by line to a fresh generic pair and a fresh DceRpcLineDecoder and asserts
 * equal results for every line, in both configurations. Returns the counts per configuration.
 */
function compare(data: Buffer, label: string): Tally[] {
  return CONFIGURATIONS.map(({ name, columns }) => {
    const options = columns === undefined ? { file: 'x.log' } : { file: 'x.log', columns };
    const generic = new ZeekLineDecoder(options);
    const fast = new DceRpcLineDecoder(options);
    const tally: Tally = { lines: 0, slow: 0, records: 0, errors: 0 };
    const slowDecode = fast.generic.decode.bind(fast.generic);
    fast.generic.decode = (line, lineNumber, offset) => {
      tally.slow += 1;
      return slowDecode(line, lineNumber, offset);
    };
    const wants: DceRpcDecodeResult[] = [];
    const onLine = (bytes: Buffer, line: number, offset: number): void => {
      tally.lines += 1;
      const event = generic.decode(bytes, line, offset);
      const want: DceRpcDecodeResult = event === null || event.kind !== 'record' ? event : toDceRpcRecord(event);
      wants.push(want);
      const got = fast.decode(bytes, line, offset);
      assert.deepStrictEqual(got, want, `${label} [${name}] line ${line}: ${JSON.stringify(bytes.toString('latin1'))}`);
      if (got !== null && !('kind' in got)) tally.records += 1;
      if (got !== null && 'kind' in got && got.kind === 'error') tally.errors += 1;
    };
    const splitter = new LineSplitter();
    splitter.push(data, onLine, () => assert.fail('no over-long lines here'));
    splitter.finish(onLine, () => assert.fail('no over-long lines here'));

    // The same lines as ranges of the read chunks (decodeIn, as the offline readers take them):
    // chunks of uneven sizes, so lines start anywhere in a chunk and some are joined from two.
    // The same results, and the fast path taken exactly as often.
    const ranged = new DceRpcLineDecoder(options);
    let rangedSlow = 0;
    const rangedSlowDecode = ranged.generic.decode.bind(ranged.generic);
    ranged.generic.decode = (line, lineNumber, offset) => {
      rangedSlow += 1;
      return rangedSlowDecode(line, lineNumber, offset);
    };
    let at = 0;
    const onRange = (bytes: Buffer, start: number, end: number, line: number, offset: number): void => {
      const got = ranged.decodeIn(bytes, start, end, line, offset);
      assert.deepStrictEqual(got, wants[at], `${label} [${name}] ranged line ${line}: ${JSON.stringify(bytes.toString('latin1', start, end))}`);
      at += 1;
    };
    const rangeSplitter = new LineSplitter();
    for (let p = 0, i = 0; p < data.length; i++) {
      const size = 1 + ((i * 7919) % 3000);
      rangeSplitter.pushTo(data.subarray(p, p + size), { line: onRange, overlong: () => assert.fail('no over-long lines here') });
      p += size;
    }
    rangeSplitter.finish((bytes, line, offset) => onRange(bytes, 0, bytes.length, line, offset), () => assert.fail('no over-long lines here'));
    assert.equal(at, wants.length, `${label} [${name}]: every line read as a range`);
    assert.equal(rangedSlow, tally.slow, `${label} [${name}]: the fast path takes ranges as it takes lines`);
    return tally;
  });
}

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

function readLog(path: string): Buffer {
  const data = readFileSync(path);
  return data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
}

/** Small deterministic PRNG (mulberry32), so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

function sampleValues(random: () => number, i: number): ZeekValue[] {
  return [
    1_600_000_000 + i + Math.floor(random() * 1e6) / 1e6,
    `C${Math.floor(random() * 1e12).toString(36)}`,
    pick(random, ['10.0.0.1', `10.0.${i % 256}.${Math.floor(random() * 256)}`, 'fe80::1', '2001:db8::a:1', '192.168.1.255']),
    Math.floor(random() * 65536),
    pick(random, ['10.0.0.1', '10.1.21.2', 'fe80::20c:29ff:fe3d:1', '::ffff:10.0.0.1']),
    pick(random, [445, 135, 49668, 0, 65535]),
    random() < 0.3 ? null : Math.floor(random() * 1e6) / 1e6,
    pick(random, ['\\pipe\\lsass', '\\PIPE\\srvsvc', '135', '', null, 'é\\x']),
    pick(random, ['samr', 'lsarpc', 'epmapper', '', null, 'a\tb', '-']),
    pick(random, ['SamrConnect5', 'unknown-42', 'unknown,-\t#', '(empty)', null, 'naïve']),
  ];
}

/** Field texts the fast path must either parse exactly as the generic path or leave to it. */
const TRICKY = [
  '-', '(empty)', '', '0', '-0', '00', '01', '007', '.5', '5.', '-.5', '-5.', '.', '-', '--1', '+1', '1e5', '1E5', '1e-5',
  '1.5e3', '0x10', '1_000', ' 1', '1 ', '1.2.3', 'nan', 'inf', '-inf', 'NaN', 'Infinity', '65535', '65536', '99999', '100000',
  '0000000000080', '00000070000', '-1', '4294967296', '9007199254740991', '9007199254740992', '99999999999999999999',
  '1700000000.123456', '1700000000.1234567890123456789012', '0.1234567890123456789012', '0.12345678901234567890123',
  '0.00000000000000000000001', '1.0000000000000000000000', '-0.0000000000000000000001', '1.7976931348623157e308', '1e400', '10.0.0.1', '10.0.0.256', '10.0.0', '10.0.0.1.1', '1.2.3.04', '1.2.3.0004', '::1',
  'fe80::1%eth0', '2001:db8::1', ':::', '1::2::3', '::ffff:1.2.3.4', 'T', 'F', 'TF', 't', '\\x41', '\\\\', '\\', 'a\\tb',
  '\\x2d', '(empty', 'é', '\u0000', '\r', 'x\u0080y', '\u00ff',
];

function fuzzLog(seed: number, count: number): Buffer {
  const random = prng(seed);
  const parts: Buffer[] = [Buffer.from(formatTsvHeader(DCE_RPC_SCHEMA, 0))];
  for (let i = 0; i < count; i++) {
    const line = Buffer.from(formatTsvRecord(DCE_RPC_SCHEMA, sampleValues(random, i)).slice(0, -1), 'utf8');
    const roll = random();
    let out: Buffer;
    if (roll < 0.45) out = line;
    else if (roll < 0.75) {
      // One field replaced by a tricky text.
      const fields = line.toString('latin1').split('\t');
      fields[Math.floor(random() * fields.length)] = Buffer.from(pick(random, TRICKY), 'utf8').toString('latin1');
      out = Buffer.from(fields.join('\t'), 'latin1');
    } else if (roll < 0.82) {
      out = Buffer.from(line);
      const flips = 1 + Math.floor(random() * 3);
      for (let k = 0; k < flips; k++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    } else if (roll < 0.87) out = line.subarray(0, Math.floor(random() * line.length));
    else if (roll < 0.91) {
      const at = Math.floor(random() * line.length);
      out = Buffer.concat([line.subarray(0, at), Buffer.from('\t'), line.subarray(at)]);
    } else if (roll < 0.94) out = Buffer.concat([line, Buffer.from('\r')]);
    else if (roll < 0.97) {
      // A tab removed: one column short.
      const at = line.indexOf(9, Math.floor(random() * line.length));
      out = at === -1 ? line : Buffer.concat([line.subarray(0, at), line.subarray(at + 1)]);
    } else out = Buffer.concat([line, Buffer.from('\textra')]);
    for (let k = 0; k < out.length; k++) if (out[k] === 0x0a) out[k] = 0x20;
    parts.push(out, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

void test('the fast path equals the generic path on fuzzed dce_rpc lines', () => {
  const tallies = compare(fuzzLog(7, 60_000), 'fuzz');
  for (const tally of tallies) {
    assert.equal(tally.lines, 60_000 + 8);
    // Sanity: the fast path does take the clean lines (about half), and errors are exercised.
    assert.ok(tally.lines - tally.slow > 20_000, `fast path used (${tally.lines - tally.slow} of ${tally.lines})`);
    assert.ok(tally.errors > 5_000, `errors exercised (${tally.errors})`);
  }
});

void test('the fast path equals the generic path on every tricky text in every column', () => {
  const base = formatTsvRecord(DCE_RPC_SCHEMA, sampleValues(prng(1), 0)).slice(0, -1).split('\t');
  const lines: string[] = [formatTsvHeader(DCE_RPC_SCHEMA, 0)];
  for (let column = 0; column < base.length; column++) {
    for (const text of TRICKY) {
      const fields = [...base];
      fields[column] = text;
      lines.push(`${fields.join('\t')}\n`);
    }
  }
  compare(Buffer.from(lines.join(''), 'utf8'), 'tricky');
});

void test('remembered values: prefixes, extensions, crowded buckets and escapes match the generic path', () => {
  // The interned columns (id.orig_h, id.resp_h, named_pipe, endpoint, operation) are matched against texts
  // seen before they are scanned. These values share first bytes (one bucket, more texts than it
  // holds), are prefixes and extensions of each other, differ only in escapes or a last byte,
  // and include unset, empty, invalid and over-long texts, in random order so each is seen both
  // as a remembered text and as a near miss of one.
  const shared = ['lsa', 'lsarpc', 'lsarpcX', 'lsarpd', 'lsb', 'ls', 'l', '-', '(empty)', '(empty', '\\pipe\\lsass',
    '\\pipe\\lsas', '\\pipe\\lsassX', '\\pipe\\samr', '\\pipe\\srvsvc', '\\pipe\\x41', '\\x41', 'A',
    'é', 'x\x80', 'ls\x00a', 'L'.repeat(64), 'L'.repeat(65), 'L'.repeat(66), '10.0.0.1', '10.0.0.10', '10.0.0.1a', '10.0.0.256',
    '1.2.3.4', '1.2.3.45', 'fe80::1', 'fe80::1g', '::'];
  const originators = ['10.0.0.1', '10.0.0.10', '10.0.0.100', '10.0.0.11', '1.2.3.4', '1.2.3.45', 'fe80::1', 'fe80::10', '::', '-'];
  const random = prng(99);
  const base = [...DCE_ROW];
  const lines: string[] = [header(DCE_FIELDS)];
  for (let i = 0; i < 20_000; i++) {
    const fields = [...base];
    for (const column of [4, 7, 8, 9]) fields[column] = pick(random, shared);
    // Valid ones only (invalid addresses take the same path in id.resp_h): most lines stay records.
    fields[2] = pick(random, originators);
    lines.push(`${fields.join('\t')}${random() < 0.1 ? '\r' : ''}\n`);
  }
  for (const tally of compare(Buffer.from(lines.join(''), 'utf8'), 'remembered')) {
    assert.equal(tally.lines, 20_000 + 8);
    assert.ok(tally.records > 2_000, `records decoded (${tally.records})`);
    assert.ok(tally.lines - tally.slow > 2_000, `fast path used (${tally.lines - tally.slow})`);
  }
});

void test("a sensor's working set is remembered: hundreds of hosts and dozens of pipes sharing first bytes", () => {
  // What a network logs: originators and responders of one prefix, pipe names that all begin `\\pipe\\` or
  // `\\PIPE\\`. Once each was seen, a record's interned columns are found, not decoded again
  // (a bucket by the first two bytes held 4 such texts: nearly every line missed). Then a churn
  // of thousands of distinct values, which evicts from every bucket, still matching the generic path.
  const responders = Array.from({ length: 240 }, (_, i) => `10.${(i * 7) % 3}.${(i * 13) % 256}.${i}`);
  const pipes = Array.from({ length: 40 }, (_, i) => `\\${i % 2 === 0 ? 'pipe' : 'PIPE'}\\svc${i}`);
  const row = (respHost: string, pipe: string, origHost = respHost): string => {
    const fields = [...DCE_ROW];
    fields[2] = origHost;
    fields[4] = respHost;
    fields[7] = pipe;
    return `${fields.join('\t')}\n`;
  };
  const decoder = new DceRpcLineDecoder({ file: 'x.log' });
  const decodeAll = (text: string): void => {
    const splitter = new LineSplitter();
    splitter.push(Buffer.from(text, 'utf8'), (bytes, line, offset) => decoder.decode(bytes, line, offset), () => assert.fail('no over-long lines here'));
  };
  const cycle = responders.map((respHost, i) => row(respHost, pipes[i % pipes.length] as string)).join('');
  decodeAll(header(DCE_FIELDS) + cycle);
  const firstSeen = decoder.internMisses;
  assert.ok(firstSeen >= 2 * responders.length + pipes.length, `every value decoded once (${firstSeen})`);
  for (let round = 0; round < 5; round++) decodeAll(cycle);
  // Hash collisions may cost a few (a bucket holds 4): far below one a line, 1,200 lines of 3.
  assert.ok(decoder.internMisses - firstSeen < 60, `misses after the first sight: ${decoder.internMisses - firstSeen}`);

  const random = prng(7);
  const churn = [header(DCE_FIELDS)];
  for (let i = 0; i < 20_000; i++) {
    const many = `10.${Math.floor(random() * 40)}.${Math.floor(random() * 256)}.${Math.floor(random() * 4)}`;
    churn.push(row(random() < 0.5 ? many : pick(random, responders), random() < 0.3 ? `\\pipe\\p${Math.floor(random() * 3000)}` : pick(random, pipes), random() < 0.5 ? pick(random, responders) : many));
  }
  for (const tally of compare(Buffer.from(churn.join(''), 'utf8'), 'churn')) assert.equal(tally.records, 20_000);
});

/** A header block for `fields` (name and type), with optional marker overrides. */
function header(fields: [string, string][], markers: { separator?: string; unset?: string; empty?: string; set?: string } = {}): string {
  const sep = markers.separator ?? '\t';
  const hex = `\\x${sep.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return [
    `#separator ${hex}`,
    `#set_separator${sep}${markers.set ?? ','}`,
    `#empty_field${sep}${markers.empty ?? '(empty)'}`,
    `#unset_field${sep}${markers.unset ?? '-'}`,
    `#path${sep}dce_rpc`,
    `#open${sep}2026-01-01-00-00-00`,
    `#fields${sep}${fields.map((f) => f[0]).join(sep)}`,
    `#types${sep}${fields.map((f) => f[1]).join(sep)}`,
    '',
  ].join('\n');
}

const DCE_FIELDS: [string, string][] = DCE_RPC_SCHEMA.fields.map((f) => [f.name, f.type]);
const DCE_ROW = ['1700000000.5', 'Cabc', '10.0.0.1', '49152', '10.0.0.2', '445', '0.000123', '\\pipe\\lsass', 'samr', 'SamrConnect5'];

void test('header switches mid-stream: Corelight and Zeek 8 columns, reordering, other types and markers', () => {
  const corelight: [string, string][] = [['_path', 'string'], ['_system_name', 'string'], ['_write_ts', 'time'], ['_node', 'string'], ...DCE_FIELDS];
  const zeek8: [string, string][] = [
    ...DCE_FIELDS.slice(0, 6),
    ['id.ctx.vlan', 'int'],
    ['id.ctx.inner_vlan', 'count'],
    ...DCE_FIELDS.slice(6),
  ];
  const reordered: [string, string][] = [...DCE_FIELDS].reverse();
  const extras: [string, string][] = [
    ...DCE_FIELDS,
    ['flag', 'bool'],
    ['net', 'subnet'],
    ['tags', 'set[string]'],
    ['ports', 'vector[port]'],
    ['peer', 'addr'],
    ['p', 'port'],
    ['d', 'double'],
  ];
  const noRtt: [string, string][] = DCE_FIELDS.filter((f) => f[0] !== 'rtt');
  const duplicate: [string, string][] = [...DCE_FIELDS, ['ts', 'time'], ['uid', 'count']];
  const tsString: [string, string][] = DCE_FIELDS.map((f): [string, string] => (f[0] === 'ts' ? ['ts', 'string'] : f));
  const portCount: [string, string][] = DCE_FIELDS.map((f): [string, string] => (f[0] === 'id.orig_p' ? ['id.orig_p', 'count'] : f));
  const noTs: [string, string][] = DCE_FIELDS.filter((f) => f[0] !== 'ts');
  const row = (fields: [string, string][], extra: Record<string, string[]>, sep = '\t'): string[] => {
    const variants = [DCE_ROW, ['-', '-', '-', '-', '-', '-', '-', '-', '-', '-'], ['1.5', '(empty)', 'fe80::1', '0', '::1', '65535', '-', '(empty)', '-', 'x\\x41']];
    return variants.map((v) => {
      const byName = new Map(DCE_FIELDS.map((f, i) => [f[0], v[i] as string]));
      return fields
        .map((f, i) => extra[f[0]]?.[i % (extra[f[0]]?.length ?? 1)] ?? byName.get(f[0]) ?? '-')
        .join(sep);
    });
  };
  const blocks: string[] = [];
  const add = (fields: [string, string][], extra: Record<string, string[]> = {}, markers: Parameters<typeof header>[1] = {}): void => {
    blocks.push(header(fields, markers));
    const sep = markers.separator ?? '\t';
    for (const line of row(fields, extra, sep)) blocks.push(`${line}\n`);
    for (const line of row(fields, { ...extra, ts: ['1e9'], uid: ['\\x2d'] }, sep)) blocks.push(`${line}\n`);
  };
  add(DCE_FIELDS);
  add(corelight, { _path: ['dce_rpc'], _system_name: ['sensor'], _write_ts: ['1700000000.000001', 'X', '-'], _node: ['worker-1'] });
  add(zeek8, { 'id.ctx.vlan': ['-', '-12', '1.5'], 'id.ctx.inner_vlan': ['7', '-', 'x'] });
  add(reordered);
  add(extras, { flag: ['T', 'F', 'maybe'], net: ['10.0.0.0/8'], tags: ['a,b', '(empty)'], ports: ['1,2'], peer: ['1.2.3.4', '::1', 'nope'], p: ['80', '70000'], d: ['1.5', '1e3', '-'] });
  add(extras, { net: ['-'], tags: ['-'], ports: ['-'], peer: ['-'], p: ['-'], d: ['-'] });
  add(noRtt);
  add(duplicate, { uid: ['12', 'abc'] });
  add(tsString);
  add(portCount, { 'id.orig_p': ['70000', '12'] });
  add(noTs);
  add(DCE_FIELDS, {}, { unset: 'NONE' });
  add(DCE_FIELDS, {}, { empty: 'EMPTY' });
  add(DCE_FIELDS, {}, { set: ';' });
  add(DCE_FIELDS, {}, { separator: ',' });
  add(DCE_FIELDS);
  const tallies = compare(Buffer.from(blocks.join(''), 'utf8'), 'headers');
  for (const tally of tallies) assert.ok(tally.records > 10, `records decoded (${tally.records})`);
});

void test('a header block being read, #fields without #types, and lines before any header', () => {
  const text = [
    `${DCE_ROW.join('\t')}\n`,
    header(DCE_FIELDS),
    `${DCE_ROW.join('\t')}\n`,
    '#separator \\x09\n',
    `${DCE_ROW.join('\t')}\n`,
    `#fields\t${DCE_FIELDS.map((f) => f[0]).join('\t')}\n`,
    `${DCE_ROW.join('\t')}\n`,
    header(DCE_FIELDS),
    '\n',
    '\r\n',
    `${DCE_ROW.join('\t')}\r\n`,
    `${DCE_ROW.join('\t')}\r\r\n`,
    '#close\t2026-01-01-00-00-00\n',
    `${DCE_ROW.join('\t')}`,
  ].join('');
  compare(Buffer.from(text), 'blocks');
});

void test('the fast path equals the generic path on generated records (fast-check)', () => {
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', '+', 'e', ':', 'a', 'f', '\\', 'x', '\t', ' ', '(', ')'), maxLength: 10 }),
    fc.constantFrom(...TRICKY),
  );
  const field = (arbitrary: fc.Arbitrary<ZeekValue>): fc.Arbitrary<ZeekValue> => fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: fc.constant(null) });
  const record = fc.tuple(
    fc.oneof(fc.double({ min: 0, max: 2e9, noNaN: true }), fc.integer({ min: 0, max: 2e9 }).map((n) => n / 1e6)),
    field(text),
    field(fc.oneof(fc.ipV4(), fc.ipV6())),
    field(fc.integer({ min: 0, max: 65535 })),
    field(fc.oneof(fc.ipV4(), fc.ipV6())),
    field(fc.integer({ min: 0, max: 65535 })),
    field(fc.double({ min: 0, max: 100, noNaN: true })),
    field(text),
    field(text),
    field(text),
  );
  const raw = fc.array(text, { minLength: 10, maxLength: 10 });
  fc.assert(
    fc.property(fc.array(fc.oneof(record.map((values) => ({ values })), raw.map((fields) => ({ fields }))), { maxLength: 30 }), (rows) => {
      const lines = rows.map((r) => ('values' in r ? formatTsvRecord(DCE_RPC_SCHEMA, r.values) : `${r.fields.join('\t').replaceAll('\n', ' ')}\n`));
      compare(Buffer.from(formatTsvHeader(DCE_RPC_SCHEMA, 0) + lines.join(''), 'utf8'), 'fast-check');
    }),
    { numRuns: 300 },
  );
});

void test('the fast path equals the generic path on the repository fixtures and samples', () => {
  const files = [...filesUnder(join(repoRoot, 'test', 'fixtures')), join(repoRoot, 'samples', 'week.log.gz')];
  let records = 0;
  for (const path of files) {
    if (!/\.log(\.gz)?$/.test(path) && !/writer-baselines/.test(path)) continue;
    records += compare(readLog(path), path)[1]?.records ?? 0;
  }
  assert.ok(records > 1000, `fixtures hold records (${records})`);
});

void test('the fast path equals the generic path on the real logs in ../shared', (t) => {
  const dir = sharedPath('data', 'real');
  if (dir === null) {
    t.skip(SHARED_ABSENT);
    return;
  }
  let records = 0;
  for (const path of filesUnder(dir)) {
    if (!/\.log(\.gz)?$/.test(path)) continue;
    records += compare(readLog(path), path)[0]?.records ?? 0;
  }
  assert.ok(records > 7000, `real logs hold records (${records})`);
});

void test('scanDceRpcLog gives what scanZeekLog + toDceRpcRecord give, with the same locations', async () => {
  const dir = tempDir();
  const path = join(dir, 'dce_rpc.log');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path, fuzzLog(11, 5_000));
  const want: unknown[] = [];
  await scanZeekLog(path, (event) => {
    if (event.kind !== 'record') want.push(event);
    else {
      const record = toDceRpcRecord(event);
      want.push('kind' in record ? record : { record, line: event.line, offset: event.offset, file: event.file });
    }
  }, { maxLineBytes: 300 });
  const got: unknown[] = [];
  const stats = await scanDceRpcLog(path, (event, where) => {
    got.push('kind' in event ? event : { record: event, line: where.line, offset: where.offset, file: where.file });
  }, { maxLineBytes: 300 });
  assert.deepStrictEqual(got, want);
  assert.equal(stats.records, want.filter((e) => typeof e === 'object' && e !== null && 'record' in e).length);
  assert.equal(stats.errors, want.filter((e) => typeof e === 'object' && e !== null && (e as { kind?: string }).kind === 'error').length);
});

/** Unused-schema guard: the helper above builds TSV headers the decoder accepts. */
void test('the header helper writes a block the decoder reads', () => {
  const decoder = new ZeekLineDecoder({ file: 'x' });
  let schema: ZeekSchema | null = null;
  for (const line of header(DCE_FIELDS).split('\n')) {
    const event = decoder.decode(Buffer.from(line), 1, 0);
    if (event?.kind === 'header') schema = event.schema;
  }
  assert.deepEqual(schema?.fields, DCE_RPC_SCHEMA.fields);
});
