import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { isIPv4Text, scanAsciiText, scanDecimal, scanIPv4, scanned } from '../../src/zeek/scan.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

void test('scanDecimal gives exactly Number(text) for plain decimals, and -1 for what it leaves to the slow path', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 53n - 1n), max: 2n ** 53n - 1n }), fc.integer({ min: 0, max: 22 }), (mantissa, point) => {
      let digits = (mantissa < 0n ? -mantissa : mantissa).toString().padStart(point + 1, '0');
      if (point > 0) digits = `${digits.slice(0, -point)}.${digits.slice(-point)}`;
      const text = `${mantissa < 0n ? '-' : ''}${digits}`;
      const end = scanDecimal(bytes(`${text}\tnext`), 0, text.length + 5, true, true);
      assert.equal(end, text.length, text);
      assert.equal(Object.is(scanned.value, Number(text)), true, `${text}: ${scanned.value} vs ${Number(text)}`);
    }),
    { seed: 16, numRuns: 2000 },
  );
  for (const text of ['', '-', '1e5', 'nan', 'inf', '1.2.3', '12a', '9007199254740993', '1.00000000000000000000001']) {
    assert.equal(scanDecimal(bytes(text), 0, text.length, true, true), -1, text);
  }
  assert.equal(scanDecimal(bytes('-5'), 0, 2, false, true), -1, 'no sign where unsigned');
  assert.equal(scanDecimal(bytes('1.5'), 0, 3, true, false), -1, 'no point where integral');
});

void test('scanIPv4 and isIPv4Text agree with node:net on random dotted text', () => {
  const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '00', '1a', '-1', '0001'));
  const text = fc.oneof(
    fc.array(part, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')),
    fc.string({ maxLength: 16 }),
  );
  fc.assert(
    fc.property(text, (s) => {
      // Zeek writes no leading zeros, but the check only needs parts of 1-3 digits within 0..255.
      const expected = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)?.slice(1).every((p) => Number(p) <= 255) ?? false;
      assert.equal(isIPv4Text(s), expected, JSON.stringify(s));
      if (expected && !/(^|\.)0\d/.test(s)) assert.ok(isIPv4(s), s);
      if ([...s].every((c) => c.charCodeAt(0) < 0x80)) assert.equal(scanIPv4(bytes(`${s}\tx`), 0, s.length + 2) === s.length, expected && !s.includes('\t'), JSON.stringify(s));
    }),
    { seed: 17, numRuns: 3000 },
  );
});

void test('scanAsciiText finds the tab, notes a backslash, refuses NUL and non-ASCII', () => {
  assert.equal(scanAsciiText(bytes('abc\tdef'), 0, 7), 3 * 2);
  assert.equal(scanAsciiText(bytes('a\\x41\tdef'), 0, 9), 5 * 2 + 1);
  assert.equal(scanAsciiText(bytes('abc'), 0, 3), 3 * 2);
  assert.equal(scanAsciiText(bytes('a\0c'), 0, 3), -1);
  assert.equal(scanAsciiText(Buffer.from('é'), 0, 2), -1);
});
