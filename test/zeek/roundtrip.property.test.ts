/**
 * Property: any record survives write → read unchanged, in TSV and in JSON, and is one line.
 * Strings are built from bytes (decoded the way the reader decodes them) so they hold tabs,
 * newlines, backslashes, commas, the markers, a leading #, controls, invalid UTF-8 and emoji.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeZeekBytes, encodeZeekString } from '../../src/zeek/bytes.js';
import { ZeekLineDecoder, formatJsonRecord, formatTsvHeader, formatTsvRecord } from '../../src/zeek/index.js';
import type { ZeekSchema, ZeekValue } from '../../src/zeek/index.js';

const enc = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const ATOMS: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom(...['\t', '\n', '\r', '\\', ',', '-', '(empty)', '#', '\\x41', '\\\\', '|', ' ', '"', '\u0000', '\u007f', 'é', '😀', '\u0085', '\ue000', '\ufff0'].map(enc)),
  fc.integer({ min: 0x20, max: 0x7e }).map((b) => [b]),
  fc.integer({ min: 0, max: 0x1f }).map((b) => [b]),
  fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]),
);
const zeekString = fc.array(ATOMS, { maxLength: 8 }).map((atoms) => decodeZeekBytes(Buffer.from(atoms.flat())));
const wholeString = fc.oneof(zeekString, fc.constantFrom('-', '(empty)', '', '#x', ',', '\\'));

const SCHEMA: ZeekSchema = {
  path: 'prop',
  fields: [
    { name: 's', type: 'string' },
    { name: 'ts', type: 'time' },
    { name: 'iv', type: 'interval' },
    { name: 'd', type: 'double' },
    { name: 'c', type: 'count' },
    { name: 'i', type: 'int' },
    { name: 'p', type: 'port' },
    { name: 'a', type: 'addr' },
    { name: 'sn', type: 'subnet' },
    { name: 'b', type: 'bool' },
    { name: 'e', type: 'enum' },
    { name: 'ss', type: 'set[string]' },
    { name: 'vs', type: 'vector[string]' },
    { name: 'vc', type: 'vector[count]' },
    { name: 'id.orig_h', type: 'addr' },
  ],
};

const micros = (max: number): fc.Arbitrary<number> => fc.integer({ min: -max, max }).map((n) => n / 1e6);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const addr = fc.oneof(ipv4, fc.constantFrom('::1', '2001:db8::1', 'fe80::2aa:ff:fe9a:4ca2'));
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { freq: 5 });
// Zeek's own ambiguities: a one-element container holding '' is written `(empty)` like an empty
// one, and a vector holding one hole is written `-` like an unset vector.
const container = (arb: fc.Arbitrary<ZeekValue>): fc.Arbitrary<ZeekValue[]> =>
  fc.array(arb, { maxLength: 4 }).filter((list) => !(list.length === 1 && (list[0] === '' || list[0] === null)));

const record: fc.Arbitrary<ZeekValue[]> = fc.tuple(
  optional(wholeString),
  optional(micros(99_999_999_999_999).map((t) => Math.abs(t) >= 1e11 ? t / 10 : t).map((t) => Math.round(t * 1e6) / 1e6)),
  optional(micros(1e12)),
  optional(micros(1e12)),
  optional(fc.maxSafeNat()),
  optional(fc.maxSafeInteger()),
  optional(fc.integer({ min: 0, max: 65535 })),
  optional(addr),
  optional(fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`)),
  optional(fc.boolean()),
  optional(fc.constantFrom('SSH::LOG', 'Notice::ACTION_LOG')),
  optional(container(wholeString)),
  optional(container(fc.option(wholeString, { freq: 4 }) as fc.Arbitrary<ZeekValue>)),
  optional(container(fc.option(fc.maxSafeNat(), { freq: 4 }) as fc.Arbitrary<ZeekValue>)),
  optional(addr),
);

function readTsvLine(line: string): ZeekValue[] {
  const decoder = new ZeekLineDecoder({ file: 'prop' });
  const header = formatTsvHeader(SCHEMA, 0).trimEnd().split('\n');
  header.forEach((h, i) => decoder.decode(Buffer.from(h), i + 1, 0));
  const event = decoder.decode(Buffer.from(line, 'utf8'), 9, 0);
  assert.equal(event?.kind, 'record', event?.kind === 'error' ? event.reason : String(event?.kind));
  return event?.kind === 'record' ? event.values : [];
}

function oneLine(text: string): string {
  assert.ok(text.endsWith('\n'));
  const body = text.slice(0, -1);
  assert.ok(!body.includes('\n') && !body.includes('\r'), 'a record is exactly one line');
  return body;
}

void test('bytes → string → bytes is exact for any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual([...encodeZeekString(decodeZeekBytes(bytes))], [...bytes]);
    }),
    { numRuns: 2000 },
  );
});

void test('TSV: write → read gives the record back, on one line', () => {
  fc.assert(
    fc.property(record, (values) => {
      const line = oneLine(formatTsvRecord(SCHEMA, values));
      assert.ok(!line.startsWith('#'));
      assert.deepEqual(readTsvLine(line), values);
    }),
    { numRuns: 1500 },
  );
});

// Zeek's HEX policy writes a literal backslash unescaped, so the text `\x41` in a string reads
// back as the byte 0x41: the one case JSON cannot carry (documented in docs/zeek-format.md).
const jsonSafe = (values: ZeekValue[]): boolean =>
  JSON.stringify(values).search(/\\\\x[0-9a-fA-F]{2}/) === -1;

void test('JSON: write → read gives the record back, on one line', () => {
  fc.assert(
    fc.property(record, (values) => {
      fc.pre(jsonSafe(values));
      const line = oneLine(formatJsonRecord(SCHEMA, values));
      const event = new ZeekLineDecoder({ file: 'prop', jsonSchema: SCHEMA }).decode(Buffer.from(line, 'utf8'), 1, 0);
      if (values.every((v) => v === null)) {
        assert.equal(event?.kind, 'error'); // `{}`: nothing of the schema, not a record
        return;
      }
      assert.equal(event?.kind, 'record', event?.kind === 'error' ? event.reason : '');
      if (event?.kind === 'record') assert.deepEqual(event.values, values);
    }),
    { numRuns: 1500 },
  );
});
