/**
 * The live fan-out tracker as the daemon saves it with each checkpoint: restored, it gives every
 * later record the count the uninterrupted tracker gives (daemon/fanout-restart.test.ts runs the
 * same through a real crash).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FANOUT_TARGETS_TRACKED } from '../../src/score/fanout.js';
import { FanoutTracker } from '../../src/score/index.js';

const DAY = 86_400;

/** Calls of two hosts over three days: one sweeps 100 responders (past the tracked 64), one a few. */
function calls(): [op: string, host: string, ts: number, target: string | null][] {
  const out: [string, string, number, string | null][] = [];
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 100; i++) out.push(['netrsessionenum', '10.0.0.1', day * DAY + i * 30, `10.1.${day}.${i}`]);
    for (let i = 0; i < 20; i++) out.push(['netrwkstauserenum', '10.0.0.2', day * DAY + i * 100, i % 3 === 0 ? null : `10.2.0.${i % 4}`]);
  }
  return out.sort((a, b) => a[2] - b[2]);
}

void test('restored from its saved state at any point, the tracker counts every later record as the uninterrupted one does', () => {
  const all = calls();
  const reference = new FanoutTracker();
  const expected = all.map(([op, host, ts, target]) => reference.count(op, host, ts, target));
  assert.ok(expected.includes(FANOUT_TARGETS_TRACKED), 'a pair reaches the tracked bound');
  for (const cut of [1, 37, 64, 65, 99, 150, 260, all.length - 1]) {
    const first = new FanoutTracker();
    for (const [op, host, ts, target] of all.slice(0, cut)) first.count(op, host, ts, target);
    const saved = JSON.parse(JSON.stringify(first.toJSON())) as unknown[];
    const restored = FanoutTracker.fromJSON(saved);
    const counted = all.slice(cut).map(([op, host, ts, target]) => restored.count(op, host, ts, target));
    assert.deepEqual(counted, expected.slice(cut), `restored after ${cut} calls`);
  }
});

void test('the saved state is small: a full pair is saved as its count, older days and empty pairs not at all', () => {
  const tracker = new FanoutTracker();
  for (const [op, host, ts, target] of calls()) tracker.count(op, host, ts, target);
  const saved = tracker.toJSON();
  assert.deepEqual(
    saved.map((pair) => [pair[0], pair[2], Array.isArray(pair[3]) ? pair[3].length : pair[3]]),
    [
      ['netrsessionenum', 2, FANOUT_TARGETS_TRACKED],
      ['netrwkstauserenum', 2, 4],
    ],
  );
  assert.equal(tracker.toJSON(), saved, 'unchanged: the same list (its JSON is cached by it)');
  tracker.count('netrwkstauserenum', '10.0.0.2', 2 * DAY + 5000, '10.2.0.1');
  assert.equal(tracker.toJSON(), saved, 'a responder already counted changes nothing');
  tracker.count('netrwkstauserenum', '10.0.0.2', 2 * DAY + 5000, '10.2.0.9');
  assert.notEqual(tracker.toJSON(), saved, 'a new responder: a new list');
});

void test('malformed saved entries are left out, not trusted', () => {
  const restored = FanoutTracker.fromJSON([null, ['op'], ['op', 'h', 1.5, []], ['op', 'h', 3, 12], ['op', 'h', 3, ['a', 7, 'b']]]);
  assert.deepEqual(restored.toJSON(), [['op', 'h', 3, ['a', 'b']]]);
});
