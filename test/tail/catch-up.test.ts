/**
 * Issue 14: rotation discovery as a pure function, without files. Each case is what the listings
 * of one sensor layout show after a restart or a rotation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmGap, planCatchUp, type CatchUpCandidate, type CatchUpFrom } from '../../src/tail/catch-up.js';
import { compareLogOrder, orderKeyFromHead } from '../../src/tail/log-file.js';

function file(name: string, hour: number, options: Partial<CatchUpCandidate> = {}): CatchUpCandidate {
  return {
    path: `/logs/${name}`,
    dev: '1',
    ino: String(100 + hour),
    sizeOnDisk: 1000,
    mtimeMs: 1_000_000 + hour * 3_600_000,
    compressed: name.endsWith('.gz'),
    fingerprint: `fp-${hour}`,
    openStamp: `2026-01-05-${String(hour).padStart(2, '0')}-00-00`,
    firstTs: 1767571200 + hour * 3600,
    origin: 'archive',
    ...options,
  };
}

function from(hour: number, offset: number, options: Partial<CatchUpFrom> = {}): CatchUpFrom {
  return {
    path: '/spool/dce_rpc.log',
    dev: '1',
    ino: String(100 + hour),
    fingerprint: `fp-${hour}`,
    offset,
    line: 42,
    openStamp: `2026-01-05-${String(hour).padStart(2, '0')}-00-00`,
    firstTs: 1767571200 + hour * 3600,
    finished: false,
    ...options,
  };
}

const paths = (plan: ReturnType<typeof planCatchUp>): string[] => plan.steps.map((s) => `${s.file.path}@${s.offset}`);

void test('the checkpointed file is still the live file: resume there, nothing else', () => {
  const plan = planCatchUp({ from: from(3, 500), candidates: [file('a.gz', 1), file('b.gz', 2)], live: { dev: '1', ino: '103', fingerprint: 'fp-3', size: 900 } });
  assert.deepEqual(plan.steps, []);
  assert.deepEqual(plan.live, { offset: 500, line: 42 });
  assert.equal(plan.resumedLive, true);
});

void test('zeekctl: checkpointed file archived as .gz, later ones too: resume inside it, then the rest in order', () => {
  const candidates = [
    file('2026-01-05/dce_rpc.05:00:00-06:00:00.log.gz', 5),
    file('2026-01-05/dce_rpc.03:00:00-04:00:00.log.gz', 3),
    file('2026-01-05/dce_rpc.01:00:00-02:00:00.log.gz', 1),
    file('2026-01-05/dce_rpc.04:00:00-05:00:00.log.gz', 4),
  ];
  const plan = planCatchUp({ from: from(3, 500), candidates, live: { dev: '1', ino: '106', fingerprint: 'fp-6', size: 10 } });
  assert.deepEqual(paths(plan), [
    '/logs/2026-01-05/dce_rpc.03:00:00-04:00:00.log.gz@500',
    '/logs/2026-01-05/dce_rpc.04:00:00-05:00:00.log.gz@0',
    '/logs/2026-01-05/dce_rpc.05:00:00-06:00:00.log.gz@0',
  ]);
  assert.equal(plan.steps[0]?.line, 42);
  assert.deepEqual(plan.live, { offset: 0, line: 1 });
  assert.equal(plan.gap, null);
});

void test('a file both beside the path and half-archived is read once, from the plain copy', () => {
  const beside = file('dce_rpc.2026-01-05-04-00-00.log', 4, { origin: 'beside', ino: '900' });
  const archived = file('2026-01-05/dce_rpc.04:00:00-05:00:00.log.gz', 4, { ino: '901' });
  const plan = planCatchUp({ from: from(3, 500, { finished: true }), candidates: [archived, beside, file('x.gz', 3)], live: null });
  assert.deepEqual(paths(plan), ['/logs/dce_rpc.2026-01-05-04-00-00.log@0']);
  assert.equal(plan.live, null);
});

void test('a finished checkpoint is not read again; a file with the live content is not a candidate', () => {
  const plan = planCatchUp({
    from: from(3, 1000, { finished: true }),
    candidates: [file('c.gz', 3), file('copy-of-live', 4, { fingerprint: 'fp-live' })],
    live: { dev: '1', ino: '555', fingerprint: 'fp-live', size: 10 },
  });
  assert.deepEqual(paths(plan), []);
});

void test('logrotate: names shift (.1.gz becomes .2.gz), identity follows the content', () => {
  const candidates = [
    file('dce_rpc.log.3.gz', 1),
    file('dce_rpc.log.2.gz', 2),
    file('dce_rpc.log.1.gz', 3),
  ];
  const plan = planCatchUp({ from: from(2, 77), candidates, live: { dev: '1', ino: '1', fingerprint: 'fp-9', size: 5 } });
  assert.deepEqual(paths(plan), ['/logs/dce_rpc.log.2.gz@77', '/logs/dce_rpc.log.1.gz@0']);
});

void test('the checkpointed file was deleted: a gap from its offset, later files still read by its saved order key', () => {
  const plan = planCatchUp({ from: from(3, 500), candidates: [file('a.gz', 2), file('b.gz', 4), file('c.gz', 5)], live: null });
  assert.deepEqual(plan.gap, { file: from(3, 500), fromOffset: 500 });
  assert.deepEqual(paths(plan), ['/logs/b.gz@0', '/logs/c.gz@0']);
});

void test('a checkpoint from before issue 14 (no order key) and its file gone: a gap, no guessing', () => {
  const plan = planCatchUp({ from: from(3, 500, { openStamp: null, firstTs: null }), candidates: [file('b.gz', 4)], live: null });
  assert.equal(plan.gap?.fromOffset, 500);
  assert.deepEqual(paths(plan), []);
});

void test('truncated in place with nothing unread and no copy: no gap', () => {
  const plan = planCatchUp({ from: from(3, 500, { nothingKnownUnread: true }), candidates: [], live: { dev: '1', ino: '103', fingerprint: 'fp-new', size: 10 } });
  assert.equal(plan.gap, null);
  assert.deepEqual(plan.live, { offset: 0, line: 1 });
});

void test('new install: files written since the install are read whole, older archives are not', () => {
  const installedAt = 1_000_000 + 3 * 3_600_000;
  const plan = planCatchUp({ from: null, newerThanMs: installedAt, candidates: [file('old.gz', 1), file('x.gz', 2), file('new.gz', 4)], live: null });
  assert.deepEqual(paths(plan), ['/logs/new.gz@0']);
  assert.deepEqual(planCatchUp({ from: null, candidates: [file('new.gz', 4)], live: null }).steps, []);
});

void test('several followed logs: archives only resume the checkpointed file, later files only from beside it', () => {
  const plan = planCatchUp({
    from: from(3, 10),
    candidates: [file('a.gz', 3), file('other-logger.gz', 4), file('dce_rpc.x.log', 5, { origin: 'beside' })],
    live: null,
    laterFromArchives: false,
  });
  assert.deepEqual(paths(plan), ['/logs/a.gz@10', '/logs/dce_rpc.x.log@0']);
});

void test('a checkpoint taken before the first record was complete matches by inode only', () => {
  const early = from(3, 300, { fingerprint: '' });
  assert.equal(planCatchUp({ from: early, candidates: [], live: { dev: '1', ino: '103', fingerprint: 'fp-3', size: 900 } }).resumedLive, true);
  const plan = planCatchUp({ from: early, candidates: [file('renamed', 3)], live: { dev: '1', ino: '7', fingerprint: 'fp-7', size: 1 } });
  assert.deepEqual(paths(plan), ['/logs/renamed@300']);
});

void test('order: #open first, then the first record ts, then mtime', () => {
  const a = { openStamp: '2026-01-05-01-00-00', firstTs: 50, mtimeMs: 9 };
  const b = { openStamp: '2026-01-05-02-00-00', firstTs: 10, mtimeMs: 1 };
  assert.ok(compareLogOrder(a, b) < 0);
  assert.ok(compareLogOrder({ ...a, openStamp: null }, b) > 0);
  assert.ok(compareLogOrder({ openStamp: null, firstTs: null, mtimeMs: 1 }, { openStamp: null, firstTs: null, mtimeMs: 2 }) < 0);
  const head = Buffer.from('#separator \\x09\n#open\t2026-01-05-07-00-00\n#fields\tts\tuid\n1767596400.5\tC1\n');
  assert.deepEqual(orderKeyFromHead(head), { openStamp: '2026-01-05-07-00-00', firstTs: 1767596400.5 });
  assert.deepEqual(orderKeyFromHead(Buffer.from('{"ts":"2026-01-05T07:00:00Z","uid":"C"}\n')), { openStamp: null, firstTs: 1767596400 });
  assert.deepEqual(orderKeyFromHead(Buffer.from('#open\tstamp-4\n')), { openStamp: null, firstTs: null });
});

// Chaos seed 86266: a rotated file whose first line was a poison record (ts 9000000000000) was
// ordered after every later file, so the restart that found the checkpoint in it read none of
// them (878 records lost) and read it again from the checkpoint.
void test('a first line that is no record does not place the file among the others', () => {
  const header = '#separator \\x09\n#open\t2026-01-05-07-00-00\n#fields\tts\tuid\n';
  for (const poison of ['9000000000000.000000\tU1', '-1.0\tU1', 'not-a-time\tU1', 'garbage\twith\ttoo few', '{"x":{"x":1}}']) {
    const key = orderKeyFromHead(Buffer.from(`${header}${poison}\n1767596400.5\tU2\n`));
    assert.deepEqual(key, { openStamp: '2026-01-05-07-00-00', firstTs: 1767596400.5 }, poison);
  }
  assert.deepEqual(orderKeyFromHead(Buffer.from(`${header}9000000000000.000000\tU1\n`)), { openStamp: '2026-01-05-07-00-00', firstTs: null });
  // The test writer's files share one #open, as files rotated within a second do.
  const keyed = (hour: number, firstLine: string): CatchUpCandidate => {
    const record = `${1767571200 + hour * 3600}.5\tU${hour}`;
    const head = Buffer.from(`${header}${firstLine === '' ? '' : `${firstLine}\n`}${record}\n`);
    return file(`dce_rpc.${hour}.log`, hour, { ...orderKeyFromHead(head), origin: 'beside' });
  };
  const poisoned = keyed(4, '9000000000000.000000\tU4x');
  const checkpoint = from(4, 300, { openStamp: poisoned.openStamp, firstTs: poisoned.firstTs });
  const plan = planCatchUp({ from: checkpoint, candidates: [keyed(3, ''), poisoned, keyed(5, ''), keyed(6, '')], live: { dev: '1', ino: '999', fingerprint: 'fp-live', size: 10 } });
  assert.deepEqual(paths(plan), ['/logs/dce_rpc.4.log@300', '/logs/dce_rpc.5.log@0', '/logs/dce_rpc.6.log@0']);
});

// The judged logrotate seed 109 of the last session: one look raced logrotate's shift, missed the
// checkpointed file (the oldest, renamed to a name the listing did not have) and declared its
// rest lost. A gap is only declared after several looks over a while.
void test('a checkpointed file missing from one look is not a gap yet; missing from 2 looks 0.5 s apart it is', () => {
  const gap = planCatchUp({ from: from(3, 500), candidates: [file('b.gz', 4)], live: null }).gap;
  assert.ok(gap !== null);
  const first = confirmGap(null, gap, 10_000);
  assert.deepEqual(first, { declare: false, missing: { fingerprint: 'fp-3', offset: 500, firstMissingMs: 10_000, looks: 1 } });
  const second = confirmGap(first.missing, gap, 10_100);
  assert.equal(second.declare, false, 'two quick looks can both race one burst of renames');
  assert.equal(second.missing.looks, 2);
  assert.equal(confirmGap(second.missing, gap, 10_500).declare, true);
  assert.equal(confirmGap(first.missing, gap, 60_000).declare, true, 'a second look much later');
  // Another checkpoint (the file was found and read on, then another went missing) counts anew.
  const other = planCatchUp({ from: from(4, 80), candidates: [], live: null }).gap;
  assert.ok(other !== null);
  assert.deepEqual(confirmGap(second.missing, other, 12_000).missing.looks, 1);
});

void test('files with the same first record are told apart by their head digest', () => {
  const a = file('dce_rpc.a.json', 1, { fingerprint: 'same', headDigest: 'da' });
  const b = file('dce_rpc.b.json', 2, { fingerprint: 'same', headDigest: 'db' });
  const bGzipped = file('dce_rpc.b.json.gz', 2, { fingerprint: 'same', headDigest: 'db', ino: '999' });
  const plan = planCatchUp({
    from: from(1, 300, { fingerprint: 'same', headDigest: 'da' }),
    candidates: [a, b, bGzipped],
    live: { dev: '1', ino: '103', fingerprint: 'same', size: 900, headDigest: 'dc' },
  });
  // a from its offset, b once (the plain copy), then the live file from 0.
  assert.deepEqual(paths(plan), ['/logs/dce_rpc.a.json@300', '/logs/dce_rpc.b.json@0']);
  assert.deepEqual(plan.live, { offset: 0, line: 1 });
});

void test('an inode-only checkpoint: copies rotated since its save first, none from before it; finished: the live file from 0', () => {
  const live = { dev: '1', ino: '103', fingerprint: 'fp-live', size: 900 };
  const emptyFrom = from(3, 0, { fingerprint: '', openStamp: null, firstTs: null, savedAtMs: 1_000_000 + 2.5 * 3_600_000 });
  // Copies: other inodes than the live file's.
  const plan = planCatchUp({ from: emptyFrom, candidates: [file('dce_rpc.log.2.gz', 2, { ino: '202' }), file('dce_rpc.log.1.gz', 3, { ino: '203' })], live });
  assert.deepEqual(paths(plan), ['/logs/dce_rpc.log.1.gz@0']);
  assert.deepEqual(plan.live, { offset: 0, line: 1 });
  const nothingSince = planCatchUp({ from: emptyFrom, candidates: [file('dce_rpc.log.2.gz', 2, { ino: '202' })], live });
  assert.equal(nothingSince.resumedLive, true);
  const finished = planCatchUp({ from: from(3, 250, { fingerprint: '', finished: true }), candidates: [], live });
  assert.deepEqual(finished.live, { offset: 0, line: 1 });
  assert.equal(finished.resumedLive, false);
});
