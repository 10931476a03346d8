import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canResume, decide, type OpenFileView } from '../../src/tail/decide.js';
import { fingerprintFromHead, fingerprintsCompatible } from '../../src/tail/fingerprint.js';
import { segmentRegExp } from '../../src/tail/glob.js';

const held: OpenFileView = {
  dev: '8',
  ino: '100',
  fingerprint: 'abc',
  fingerprintNow: 'abc',
  readPosition: 500,
  sizeNow: 500,
};
const samePath = { kind: 'present', dev: '8', ino: '100', size: 500 } as const;

void test('decide: nothing open', () => {
  assert.equal(decide(null, { kind: 'missing' }), 'idle');
  assert.equal(decide(null, { kind: 'unknown', errorCode: 'EACCES' }), 'idle');
  assert.equal(decide(null, samePath), 'open');
});

void test('decide: same file grown or caught up', () => {
  assert.equal(decide(held, samePath), 'caught-up');
  assert.equal(decide({ ...held, sizeNow: 900 }, { ...samePath, size: 900 }), 'read');
});

void test('decide: a stat error keeps reading the held file', () => {
  const unknown = { kind: 'unknown', errorCode: 'EACCES' } as const;
  assert.equal(decide({ ...held, sizeNow: 900 }, unknown), 'read');
  assert.equal(decide(held, unknown), 'caught-up');
});

void test('decide: rename-rotation, removal and symlink switch are rotations', () => {
  assert.equal(decide(held, { kind: 'missing' }), 'rotated');
  assert.equal(decide(held, { ...samePath, ino: '101' }), 'rotated');
  assert.equal(decide(held, { ...samePath, dev: '9' }), 'rotated');
  // Unread bytes in the held file do not change the decision: the caller drains first.
  assert.equal(decide({ ...held, sizeNow: 800 }, { kind: 'missing' }), 'rotated');
});

void test('decide: shrinking or a changed first record is truncation, even at another path', () => {
  assert.equal(decide({ ...held, sizeNow: 10 }, { ...samePath, size: 10 }), 'truncated');
  assert.equal(decide({ ...held, fingerprintNow: 'xyz', sizeNow: 900 }, samePath), 'truncated');
  assert.equal(decide({ ...held, fingerprintNow: '' }, samePath), 'truncated');
});

void test('decide: an empty recorded fingerprint is filled in, not a truncation', () => {
  assert.equal(decide({ ...held, fingerprint: '', fingerprintNow: 'abc' }, samePath), 'caught-up');
});

void test('canResume: same inode, same generation, long enough', () => {
  const saved = { dev: '8', ino: '100', fingerprint: 'abc', offset: 500 };
  assert.equal(canResume(saved, { dev: '8', ino: '100', size: 500, fingerprint: 'abc' }), true);
  assert.equal(canResume(saved, { dev: '8', ino: '100', size: 499, fingerprint: 'abc' }), false);
  assert.equal(canResume(saved, { dev: '8', ino: '100', size: 900, fingerprint: 'xyz' }), false);
  assert.equal(canResume(saved, { dev: '8', ino: '101', size: 900, fingerprint: 'abc' }), false);
  assert.equal(
    canResume({ ...saved, fingerprint: '' }, { dev: '8', ino: '100', size: 900, fingerprint: 'x' }),
    true,
  );
});

void test('fingerprint: skips the header, needs a complete first data line, is stable', () => {
  const header = '#separator \\x09\n#fields\tts\tuid\n';
  assert.equal(fingerprintFromHead(Buffer.from(header)), '');
  assert.equal(fingerprintFromHead(Buffer.from(`${header}1.0\tCa`)), '');
  const one = fingerprintFromHead(Buffer.from(`${header}1.0\tCa\n`));
  assert.match(one, /^[0-9a-f]{40}$/);
  assert.equal(fingerprintFromHead(Buffer.from(`${header}1.0\tCa\n2.0\tCb\n`)), one);
  // Another header (a different #open) with the same first record: same generation of content.
  assert.equal(fingerprintFromHead(Buffer.from(`#open\tx\n1.0\tCa\n`)), one);
  assert.notEqual(fingerprintFromHead(Buffer.from(`${header}1.0\tCb\n`)), one);
  // JSON logs have no header: the first line is the first record.
  assert.notEqual(fingerprintFromHead(Buffer.from('{"ts":1}\n')), '');
});

void test('fingerprint: a very long first line is hashed once 1 KiB of it is there', () => {
  const long = 'x'.repeat(2000);
  const partial = fingerprintFromHead(Buffer.from(long.slice(0, 1500)));
  assert.notEqual(partial, '');
  assert.equal(fingerprintFromHead(Buffer.from(`${long}\n`)), partial);
  assert.equal(fingerprintFromHead(Buffer.from(long.slice(0, 1000))), '');
});

void test('fingerprintsCompatible', () => {
  assert.equal(fingerprintsCompatible('', 'a'), true);
  assert.equal(fingerprintsCompatible('a', 'a'), true);
  assert.equal(fingerprintsCompatible('a', ''), false);
});

void test('glob segments', () => {
  assert.equal(segmentRegExp('logger-*').test('logger-1'), true);
  assert.equal(segmentRegExp('logger-*').test('proxy-1'), false);
  assert.equal(segmentRegExp('dce_rpc.?.log').test('dce_rpc.1.log'), true);
  assert.equal(segmentRegExp('dce_rpc.?.log').test('dce_rpcx1.log'), false);
  assert.equal(segmentRegExp('w[0-9]').test('w7'), true);
  assert.equal(segmentRegExp('w[!0-9]').test('w7'), false);
});

void test('decide: the same first record but other first 4 KiB is a truncation', () => {
  const digested = { ...held, headDigest: 'd1', headDigestNow: 'd1', sizeNow: 900 };
  assert.equal(decide(digested, { ...samePath, size: 900 }), 'read');
  assert.equal(decide({ ...digested, headDigestNow: 'd2' }, { ...samePath, size: 900 }), 'truncated');
  // A file that was shorter than 4 KiB when looked at has no digest to compare.
  assert.equal(decide({ ...digested, headDigest: '', headDigestNow: 'd2' }, { ...samePath, size: 900 }), 'read');
});
