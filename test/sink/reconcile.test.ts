import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { firstDifference, reconcile } from '../../src/sink/reconcile.js';

const lines = fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\n', ' ') + '\n'), {
  maxLength: 12,
});

void test('any prefix of the batch (cut anywhere, even mid-line or mid-character) reconciles to its suffix', () => {
  fc.assert(
    fc.property(lines, fc.nat(), (batchLines, cutSeed) => {
      const expected = Buffer.from(batchLines.join(''), 'utf8');
      const cut = expected.length === 0 ? 0 : cutSeed % (expected.length + 1);
      const present = Buffer.from(expected.subarray(0, cut));
      const result = reconcile(expected, present);
      assert.equal(result.kind, 'append');
      if (result.kind !== 'append') return;
      assert.equal(result.alreadyPresent, cut);
      assert.deepEqual(Buffer.concat([present, result.bytes]), expected);
    }),
  );
});

void test('a complete batch needs nothing appended', () => {
  const expected = Buffer.from('a\nb\n');
  const result = reconcile(expected, Buffer.from(expected));
  assert.equal(result.kind, 'append');
  assert.equal(result.kind === 'append' ? result.bytes.length : -1, 0);
});

void test('present bytes that differ from the batch are a mismatch at the first differing byte', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (raw, at, flip) => {
      const expected = Buffer.from(raw);
      const index = at % expected.length;
      const present = Buffer.from(expected.subarray(0, index + 1));
      present[index] = ((present[index] as number) ^ flip) & 0xff;
      const result = reconcile(expected, present);
      assert.equal(result.kind, 'mismatch');
      if (result.kind !== 'mismatch') return;
      assert.equal(result.reason, 'diverged');
      assert.equal(result.firstDifferenceAt, index);
      assert.equal(result.expectedLength, expected.length);
      assert.equal(result.presentLength, index + 1);
    }),
  );
});

void test('bytes after a complete batch are reported as present-longer', () => {
  const expected = Buffer.from('x\ty\n');
  const result = reconcile(expected, Buffer.from('x\ty\nextra'));
  assert.equal(result.kind, 'mismatch');
  assert.equal(result.kind === 'mismatch' ? result.reason : null, 'present-longer');
  assert.equal(result.kind === 'mismatch' ? result.firstDifferenceAt : null, expected.length);
});

void test('the mismatch fallback terminates a torn line before rewriting the whole batch', () => {
  const expected = Buffer.from('new-1\nnew-2\n');
  const torn = reconcile(expected, Buffer.from('old-partial'));
  assert.equal(torn.kind, 'mismatch');
  assert.equal(torn.kind === 'mismatch' ? torn.fallback.toString() : '', '\nnew-1\nnew-2\n');
  const whole = reconcile(expected, Buffer.from('other\n'));
  assert.equal(whole.kind === 'mismatch' ? whole.fallback.toString() : '', 'new-1\nnew-2\n');
});

void test('firstDifference agrees with a byte-by-byte scan', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      assert.equal(firstDifference(a, b), i);
    }),
  );
});
