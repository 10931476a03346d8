/**
 * The compact storage of the routine statistics and the vetting (score/host-days.ts): the same
 * answers as plain Sets and arrays, and the heap they were meant to save under a flood of new
 * addresses, measured (the old storage took 49.7 MB and ~60 MB; see the bounds below).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { daysFrom, hostKey, hostText, HostSet, withDay } from '../../src/score/host-days.js';
import { RoutineStats } from '../../src/score/routine.js';
import { TechniqueVetting } from '../../src/score/vetting.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Memory retained by what `build` returns, in MB: V8 heap and external (typed-array) memory, after full collections. */
function retainedMb(build: () => unknown): number {
  gc();
  gc();
  const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().external;
  const before = used();
  const kept = build();
  gc();
  gc();
  const after = used();
  assert.ok(kept !== undefined);
  return (after - before) / 2 ** 20;
}

const flooded = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

void test('HostSet counts exactly what a Set of the texts counts: IPv4 (0.0.0.0 too), non-canonical quads, IPv6, names, repeats, through growth', () => {
  let seed = 11;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const hosts = new HostSet();
  const plain = new Set<string>();
  for (let i = 0; i < 60_000; i++) {
    const pick = next(6);
    const host =
      pick === 0 ? `${next(256)}.${next(256)}.${next(4)}.${next(256)}` : pick === 1 ? '0.0.0.0' : pick === 2 ? `0${next(9)}.1.2.3` : pick === 3 ? `fe80::${next(500).toString(16)}` : pick === 4 ? `host-${next(900)}` : '255.255.255.255';
    hosts.add(host);
    plain.add(host);
    if (i % 5_000 === 0) assert.equal(hosts.size, plain.size, `after ${i + 1} hosts`);
  }
  assert.equal(hosts.size, plain.size);
});

void test('host keys give back the same text; days are one number until a second, keep the newest at the limit, and age out', () => {
  for (const host of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '192.168.1.20']) {
    assert.equal(typeof hostKey(host), 'number');
    assert.equal(hostText(hostKey(host)), host);
  }
  for (const host of ['010.0.0.1', 'fe80::1', 'HOST', '1.2.3']) assert.equal(hostKey(host), host);
  let days = withDay(100, 100, 3);
  assert.equal(days, 100);
  days = withDay(withDay(withDay(days, 101, 3), 102, 3), 103, 3);
  assert.deepEqual(days, [103, 101, 102]);
  assert.deepEqual(withDay(days, 99, 3), [103, 101, 102]);
  assert.equal(daysFrom([103, 101, 102], 103), 103);
  assert.deepEqual(daysFrom([103, 101, 102], 102), [103, 102]);
  assert.equal(daysFrom(100, 101), null);
});

void test('under a flood of new addresses and values the routine statistics at their bounds hold < 30 MB, the vetting of 400k hosts < 12 MB', () => {
  const stats = new RoutineStats();
  const routineMb = retainedMb(() => {
    for (let i = 0; i < 300_000; i++) stats.observe(1_796_600_000 + i, flooded(i), `g${i & 7}`, `flood_endpoint_${i.toString(36)}`, `FloodOperation${i.toString(36)}`, '10.255.0.1');
    return stats;
  });
  assert.equal(stats.size, 50_000, 'at the entry bound');
  assert.equal(stats.toJSON().groups.reduce((n, [, hosts]) => n + hosts.length, 0), 200_000, 'at the group-host bound');
  assert.ok(routineMb < 30, `routine statistics retain ${routineMb.toFixed(1)} MB`);
  const vetting = new TechniqueVetting(3, 0.25);
  const vettingMb = retainedMb(() => {
    for (let i = 0; i < 400_000; i++) vetting.observe(i % 50 === 0 ? 'NetrSessionEnum' : null, `g${i & 3}`, flooded(i));
    return vetting;
  });
  // Every 50th host (groups g0 and g2) did a technique operation; each group has 100k hosts.
  assert.deepEqual(
    vetting.pairs().map((p) => [p.origGroup, p.hosts, p.groupHosts]),
    [
      ['g0', 4000, 100_000],
      ['g2', 4000, 100_000],
    ],
  );
  assert.ok(vettingMb < 12, `vetting retains ${vettingMb.toFixed(1)} MB`);
});
