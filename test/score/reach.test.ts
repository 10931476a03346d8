/**
 * The relative sweep test (src/score/reach.ts) on a small network built record by record: a
 * workstation enumerating the other workstations is a sweep whether its records are in the
 * statistics or not; asking the DCs everyone calls, a script's daily file servers, or a level
 * another host also reached is not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FanoutTracker, RoutineIndex, RoutineStats, techniqueFor } from '../../src/score/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const DCS = ['10.1.0.11', '10.1.0.12'];
const FILE_SERVERS = ['10.2.0.11', '10.2.0.12'];
const WORKSTATIONS = Array.from({ length: 16 }, (_, i) => `10.${5 + (i % 5)}.0.${11 + Math.floor(i / 5)}`);
const SESSION_ENUM = techniqueFor('NetrSessionEnum');

/**
 * Five days of a 20-host network: every workstation logs on at the DCs; `10.8.0.11` asks its two
 * file servers who is logged on (on `scriptDays` days), and one other workstation uses them.
 */
function network(options: { scriptDays?: number; scriptHost?: string } = {}): RoutineStats {
  const stats = new RoutineStats();
  const scriptHost = options.scriptHost ?? '10.8.0.11';
  for (let d = 0; d < 5; d++) {
    for (const [i, ws] of WORKSTATIONS.entries()) {
      for (const dc of DCS) stats.observe(T0 + d * DAY + 3600 + i, ws, `ws${i}`, 'netlogon', 'NetrLogonSamLogonEx', dc);
    }
    for (const fs of FILE_SERVERS) stats.observe(T0 + d * DAY + 3800, '10.5.0.12', 'ws5', 'srvsvc', 'NetrShareGetInfo', fs);
    if (d < (options.scriptDays ?? 5)) for (const fs of FILE_SERVERS) stats.observe(T0 + d * DAY + 4000, scriptHost, 'ws3', 'srvsvc', 'NetrSessionEnum', fs);
  }
  return stats;
}

/** `host` asks NetrSessionEnum of each of `targets` on day `day`, into the statistics. */
function sweepInto(stats: RoutineStats, host: string, group: string, day: number, targets: readonly string[]): void {
  targets.forEach((t, i) => stats.observe(T0 + day * DAY + 7200 + i * 10, host, group, 'srvsvc', 'NetrSessionEnum', t));
}

/** The live verdict of each call of a sweep, as the evaluator gets it (FanoutTracker + sweep()). */
function live(index: RoutineIndex, host: string, group: string, day: number, targets: readonly string[], tracker = new FanoutTracker()): { flagged: boolean; reason: string }[] {
  assert.ok(SESSION_ENUM !== undefined);
  return targets.map((t, i) => {
    const ts = T0 + day * DAY + 7200 + i * 10;
    const target = index.isService('netrsessionenum', t) ? null : t;
    const count = tracker.count('netrsessionenum', host, ts, target);
    return index.sweep('NetrSessionEnum', host, group, ts, SESSION_ENUM, count, count > 0 ? tracker.responders('netrsessionenum', host) : undefined);
  });
}

const swept = ['10.5.0.11', '10.6.0.11', '10.7.0.11'];

void test('reach: a workstation asking the other workstations is a sweep, with its records in the statistics or not', () => {
  // Attack-free statistics, the sweep comes live on day 5: flagged from its second own responder.
  const clean = new RoutineIndex(network().profile());
  const verdicts = live(clean, '10.9.0.11', 'ws4', 5, swept);
  assert.deepEqual(verdicts.map((v) => v.flagged), [false, true, true]);
  assert.match(verdicts[2]?.reason ?? '', /^T1049 session enumeration: NetrSessionEnum from 10\.9\.0\.11 to 3 hosts on 2024-03-09 that no other host asks, a sweep on this network \(other hosts ask 2 hosts in all; no other host reached more than 0 of its own in a day\)$/);
  // The same sweep inside the statistics (trained on every record): every call of its day is flagged.
  const stats = network();
  sweepInto(stats, '10.9.0.11', 'ws4', 4, swept);
  const profile = stats.profile();
  assert.deepEqual(profile.reachSweeps, [['netrsessionenum', '10.9.0.11', Math.floor(T0 / DAY) + 4, 3, 2, 0]]);
  const contaminated = new RoutineIndex(profile);
  assert.ok(SESSION_ENUM !== undefined);
  assert.equal(contaminated.sweep('NetrSessionEnum', '10.9.0.11', 'ws4', T0 + 4 * DAY + 7200, SESSION_ENUM).flagged, true, 'its first call too');
  // Its own day in the statistics does not make the next sweep routine.
  assert.deepEqual(live(contaminated, '10.9.0.11', 'ws4', 5, swept).map((v) => v.flagged), [false, true, true]);
  // The statistics keep all of it across a save.
  assert.deepEqual(RoutineStats.fromJSON(JSON.parse(JSON.stringify(stats.toJSON()))).profile(), profile);
});

void test('reach: the DCs everyone calls, and the file servers a script asks every day, are nobody\'s own', () => {
  const index = new RoutineIndex(network().profile());
  assert.deepEqual(live(index, '10.9.0.11', 'ws4', 5, DCS).map((v) => v.flagged), [false, false], 'both DCs');
  assert.deepEqual(live(index, '10.8.0.11', 'ws3', 5, FILE_SERVERS).map((v) => v.flagged), [false, false], 'the script on another day');
  // A script asking one file server a day, then both: asked on two days each while it used the
  // call on three, they are its partners (seed 106's false alert before this rule).
  const partners = network({ scriptDays: 0 });
  const [fs0, fs1] = FILE_SERVERS as [string, string];
  for (const [d, servers] of [[0, [fs0]], [1, [fs1]], [2, [fs0, fs1]]] as const) sweepInto(partners, '10.8.0.11', 'ws3', d, servers);
  assert.deepEqual(partners.profile().reachSweeps, []);
  // A script seen on two days only: its two file servers are still its own, a level no other
  // host reached (two days are no habit), so its days are sweeps: the price of a young habit.
  const young = new RoutineIndex(network({ scriptDays: 2 }).profile());
  assert.deepEqual(young.profile.reachSweeps?.map((s) => s[2] - Math.floor(T0 / DAY)), [0, 1]);
  // Once a quarter of the network's active hosts (5 of 20, the script left out) call one for anything,
  // it is a server: nobody's own. Four callers are not enough.
  const four = network({ scriptDays: 2 });
  for (const host of ['10.6.0.12', '10.7.0.12', '10.9.0.12']) four.observe(T0 + 4 * DAY, host, 'ws', 'srvsvc', 'NetrShareGetInfo', FILE_SERVERS[0]);
  assert.deepEqual(four.profile().reachSweeps?.map((s) => s[2] - Math.floor(T0 / DAY)), [0, 1]);
  const served = network({ scriptDays: 2 });
  for (const host of ['10.6.0.12', '10.7.0.12', '10.9.0.12', '10.5.0.13']) served.observe(T0 + 4 * DAY, host, 'ws', 'srvsvc', 'NetrShareGetInfo', FILE_SERVERS[0]);
  assert.deepEqual(served.profile().reachSweeps?.map((s) => s[2] - Math.floor(T0 / DAY)), []);
});

void test('reach: a level another host reached is routine; a host reaching it on habitDays days is a habit; two days are not', () => {
  // Another host once asked three workstations: the sweeper needs more than three.
  const stats = network();
  sweepInto(stats, '10.5.0.11', 'ws0', 1, ['10.6.0.11', '10.7.0.11', '10.9.0.11']);
  const index = new RoutineIndex(stats.profile());
  assert.deepEqual(live(index, '10.9.0.11', 'ws4', 5, ['10.6.0.11', '10.7.0.11', '10.8.0.11']).map((v) => v.flagged), [false, false, false]);
  // The same host on three days: a habit, not flagged in training or live.
  const habit = network();
  for (const d of [0, 1, 2]) sweepInto(habit, '10.9.0.11', 'ws4', d, swept);
  const habitual = new RoutineIndex(habit.profile());
  assert.deepEqual(habitual.profile.reachSweeps, []);
  assert.deepEqual(live(habitual, '10.9.0.11', 'ws4', 5, swept).map((v) => v.flagged), [false, false, false]);
  // An intruder coming back on a second day: both days flagged.
  const twice = network();
  for (const d of [1, 3]) sweepInto(twice, '10.9.0.11', 'ws4', d, swept);
  assert.deepEqual(twice.profile().reachSweeps?.map((s) => s[2] - Math.floor(T0 / DAY)), [1, 3]);
});

void test('reach: past its bound (a flood of distinct responders) the relative test is off and its tables dropped', () => {
  const stats = network();
  sweepInto(stats, '10.9.0.11', 'ws4', 4, swept);
  assert.equal(stats.profile().reachSweeps?.length, 1);
  for (let i = 0; i < 20_001; i++) stats.observe(T0 + 4 * DAY + 9000, '10.5.0.11', 'ws0', 'netlogon', 'NetrLogonSamLogonEx', `172.16.${i >> 8}.${i & 255}`);
  const profile = stats.profile();
  assert.deepEqual([profile.reach, profile.reachSweeps, profile.reachServers], [[], [], []]);
  const saved = stats.toJSON().fanout;
  assert.deepEqual([saved?.reachOff, saved?.callersOfAny, saved?.small, saved?.useDays], [true, [], [], []]);
  assert.deepEqual(live(new RoutineIndex(profile), '10.9.0.11', 'ws4', 5, swept).map((v) => v.flagged), [false, false, false]);
});
