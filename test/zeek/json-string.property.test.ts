/**
 * Property: a string Zeek's HEX policy leaves unescaped (no control but the five JSON short
 * escapes, no C1 control, private-use or invalid unit) is written exactly as JSON.stringify
 * writes it, however its quotes, backslashes and short controls fall (the writer copies the runs
 * between them as slices). A line of such values is one JSON object with the same values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatJsonRecord, formatJsonString } from '../../src/zeek/index.js';
import type { ZeekSchema } from '../../src/zeek/index.js';

const CLEAN = fc.oneof(
  fc.constantFrom('"', '\\', '\b', '\t', '\n', '\f', '\r', 'é', '😀', '漢', '\\x41', '""', '\\\\'),
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
);
const cleanString = fc.array(CLEAN, { maxLength: 40 }).map((pieces) => pieces.join(''));

void test('formatJsonString writes a clean string as JSON.stringify does', () => {
  fc.assert(
    fc.property(cleanString, (text) => assert.equal(formatJsonString(text), JSON.stringify(text))),
    { numRuns: 2000 },
  );
});

void test('formatJsonRecord: a line of clean strings parses back to the same values, keys in schema order', () => {
  const schema: ZeekSchema = { path: 'p', fields: [{ name: 'a', type: 'string' }, { name: 'b.c', type: 'string' }, { name: 'v', type: 'vector[string]' }, { name: 'n', type: 'count' }] };
  fc.assert(
    fc.property(fc.option(cleanString), cleanString, fc.array(cleanString, { maxLength: 4 }), fc.nat(), (a, b, v, n) => {
      const line = formatJsonRecord(schema, [a, b, v, n]);
      assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
      const expected = { ...(a === null ? {} : { a }), 'b.c': b, v, n };
      assert.equal(line, `${JSON.stringify(expected)}\n`);
    }),
    { numRuns: 1000 },
  );
});
