import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { firstDifference, OutputReplay, reconcile } from '../../src/sink/reconcile.js';

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

const MARK = { dev: 1, ino: 2, size: 1000 };
const text = (...lines: string[]): Buffer => Buffer.from(lines.map((line) => `${line}\n`).join(''));

/** Feeds `batches` to a replay of `present`; returns what it let through, as text. */
function replay(present: Buffer, batches: Buffer[]): { replay: OutputReplay; written: string } {
  const r = new OutputReplay(present, MARK);
  const written = batches.map((batch) => r.admit(batch).toString()).join('');
  return { replay: r, written };
}

void test('replay in order: what is on disk is not written again, a torn last line is completed', () => {
  const { replay: r, written } = replay(Buffer.from('a\nb\nc'), [text('a'), text('b', 'cde', 'f')]);
  assert.equal(written, 'de\nf\n');
  assert.equal(r.done, true);
  assert.equal(r.diverged, false);
});

void test('replay out of order (the restart read other lines first): lines on disk are skipped, the others written, the unmatched stay', () => {
  // On disk: the rest of a file that is gone (x, y), then the first two lines of the next file.
  const present = text('x', 'y', 'b1', 'b2');
  const { replay: r, written } = replay(present, [text('b1'), text('b2', 'b3'), text('b4')]);
  assert.equal(written, 'b3\nb4\n');
  assert.equal(r.diverged, true);
  assert.equal(r.done, false, 'x and y were never re-scored');
  assert.equal(r.unmatched, 4, 'x and y');
  assert.equal(r.accounted, 0, 'the first unmatched line is at the start: a checkpoint keeps all of it past the saved size');
});

void test('replay out of order: the saved size stops at the first line still unmatched', () => {
  const present = text('a', 'b', 'c', 'd');
  const r = new OutputReplay(present, MARK);
  assert.equal(r.admit(text('a')).toString(), '');
  assert.equal(r.accounted, 2);
  assert.equal(r.admit(text('c', 'b')).toString(), '');
  assert.equal(r.diverged, true);
  assert.equal(r.accounted, 6, 'a, b and c matched; d is the first unmatched');
  assert.equal(r.admit(text('e', 'd')).toString(), 'e\n');
  assert.equal(r.done, true);
  assert.equal(r.accounted, present.length);
});

void test('replay out of order counts copies: a line on disk twice is skipped twice, a third copy written', () => {
  const { written } = replay(text('z', 'r', 'r'), [text('r', 'r', 'r')]);
  assert.equal(written, 'r\n');
});

void test('replay out of order never matches a torn last fragment: its line is written whole (the writer cuts the fragment)', () => {
  const { replay: r, written } = replay(Buffer.from('x\nb1\nb2-par'), [text('b1', 'b2-partial')]);
  assert.equal(written, 'b2-partial\n');
  assert.equal(r.done, false);
  assert.equal(r.accounted, 0);
  r.finish();
  assert.equal(r.done, true);
});

void test('any re-read order of any subset of the lines on disk, plus new lines, writes each new line once and nothing on disk again', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat(200), { maxLength: 30 }),
      fc.uniqueArray(fc.nat(200), { maxLength: 30 }),
      fc.array(fc.nat(5), { maxLength: 30 }),
      (onDisk, reRead, cuts) => {
        const present = text(...onDisk.map((n) => `line ${n}`));
        const batches: Buffer[] = [];
        let at = 0;
        for (const cut of cuts) {
          if (at >= reRead.length) break;
          batches.push(text(...reRead.slice(at, at + cut + 1).map((n) => `line ${n}`)));
          at += cut + 1;
        }
        if (at < reRead.length) batches.push(text(...reRead.slice(at).map((n) => `line ${n}`)));
        const { replay: r, written } = replay(present, batches);
        const expected = reRead.filter((n) => !onDisk.includes(n)).map((n) => `line ${n}\n`).join('');
        assert.equal(written, expected);
        const left = onDisk.filter((n) => !reRead.includes(n));
        assert.equal(r.done, left.length === 0);
        assert.equal(r.unmatched, left.reduce((sum, n) => sum + `line ${n}\n`.length, 0));
        // The saved size stops at the first line left; everything before it was re-produced.
        const firstLeft = onDisk.findIndex((n) => !reRead.includes(n));
        const before = firstLeft === -1 ? onDisk : onDisk.slice(0, firstLeft);
        assert.equal(r.accounted, before.reduce((sum, n) => sum + `line ${n}\n`.length, 0));
      },
    ),
  );
});
