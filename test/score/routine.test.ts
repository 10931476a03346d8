import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoutineIndex, RoutineStats, techniqueFor } from '../../src/score/index.js';
import { DEFAULT_ROUTINE_OPTIONS } from '../../src/score/routine.js';
import { BzarBaseline, SigmaBaseline } from '../../src/score/baselines.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;

function judge(stats: RoutineStats, endpoint: string, operation: string, group: string): { flagged: boolean; reason: string } {
  return new RoutineIndex(stats.profile()).judge(endpoint, operation, group, techniqueFor(operation));
}

void test('routine needs distinct hosts and days, never rows: one host sweeping all week-day long is not routine', () => {
  const stats = new RoutineStats();
  for (let d = 0; d < 7; d++) for (let h = 0; h < 40; h++) stats.observe(T0 + d * DAY + 3600, `10.1.0.${h}`, 'eng', 'lsarpc', 'LsarLookupSids');
  // 500 service creations from one engineering host on one day.
  for (let i = 0; i < 500; i++) stats.observe(T0 + 3 * DAY + i, '10.1.0.7', 'eng', 'svcctl', 'CreateServiceW');
  // Three management servers deploying every day.
  for (let d = 0; d < 7; d++) for (let h = 0; h < 3; h++) stats.observe(T0 + d * DAY + 7200, `10.0.1.${h}`, 'mgmt', 'svcctl', 'CreateServiceW');
  const attack = judge(stats, 'svcctl', 'CreateServiceW', 'eng');
  assert.equal(attack.flagged, true);
  assert.match(attack.reason, /T1569\.002.*not routine for eng \(1 host on 1 day of 40\).*routine elsewhere: 3 hosts of mgmt did it on 7 days/);
  assert.equal(judge(stats, 'svcctl', 'CreateServiceW', 'mgmt').flagged, false);
  assert.equal(judge(stats, 'lsarpc', 'LsarLookupSids', 'eng').flagged, false);
});

void test('a value one host introduced yesterday is not yet seen, even with many rows; one host on three days is a habit', () => {
  const stats = new RoutineStats();
  for (let d = 0; d < 7; d++) stats.observe(T0 + d * DAY, '10.1.0.1', 'eng', 'samr', 'SamrConnect5');
  for (let i = 0; i < 300; i++) stats.observe(T0 + 5 * DAY + i, '10.1.0.1', 'eng', 'b1e2c3d4-0000-1111-2222-333344445555', 'unknown-12');
  const fresh = judge(stats, 'b1e2c3d4-0000-1111-2222-333344445555', 'unknown-12', 'eng');
  assert.equal(fresh.flagged, true);
  assert.match(fresh.reason, /new since .*1 host on 1 day/);
  assert.equal(judge(stats, 'samr', 'SamrConnect5', 'eng').flagged, false);
  assert.equal(judge(stats, 'never', 'Seen', 'eng').flagged, true);
});

void test('a one-host network: days are the evidence, and a dangerous first call is flagged from the start', () => {
  const stats = new RoutineStats();
  for (let d = 0; d < 7; d++) {
    stats.observe(T0 + d * DAY + 100, '192.168.1.5', 'clients', 'netlogon', 'NetrLogonSamLogonEx');
    stats.observe(T0 + d * DAY + 200, '192.168.1.5', 'clients', 'srvsvc', 'NetrShareEnum');
  }
  stats.observe(T0 + 4 * DAY, '192.168.1.5', 'clients', 'svcctl', 'CreateServiceW');
  assert.equal(judge(stats, 'srvsvc', 'NetrShareEnum', 'clients').flagged, false);
  assert.equal(judge(stats, 'svcctl', 'CreateServiceW', 'clients').flagged, true);
});

void test('a short capture: nothing is established, so only dangerous operations alert', () => {
  const stats = new RoutineStats();
  for (let i = 0; i < 50; i++) stats.observe(T0 + i * 5, '192.168.1.149', 'missing', 'lsarpc', 'LsarLookupSids');
  stats.observe(T0 + 300, '192.168.1.181', 'missing', 'lsarpc', 'LsarLookupSids');
  stats.observe(T0 + 400, '192.168.1.149', 'missing', 'spoolss', 'RpcAddPrinterDriverEx');
  assert.equal(judge(stats, 'lsarpc', 'LsarLookupSids', 'missing').flagged, false);
  assert.equal(judge(stats, 'spoolss', 'RpcAddPrinterDriverEx', 'missing').flagged, true);
});

void test('bounded: at the cap single-host-single-day entries go first, then new ones are refused and counted', () => {
  const stats = new RoutineStats({ maxEntries: 100 });
  for (let d = 0; d < 3; d++) for (let h = 0; h < 3; h++) stats.observe(T0 + d * DAY, `10.0.0.${h}`, 'g', 'samr', 'SamrConnect5');
  for (let i = 0; i < 1000; i++) stats.observe(T0 + 2 * DAY + i, '10.9.9.9', 'g', `flood-${i}`, 'x');
  assert.ok(stats.size <= 100);
  assert.equal(judge(stats, 'samr', 'SamrConnect5', 'g').flagged, false);
  // A refused or dropped value stays "never seen": overflow adds alerts, it never hides one.
  assert.equal(judge(stats, 'flood-3', 'x', 'g').flagged, true);
});

void test('statistics survive a JSON round trip and forget days past the age limit', () => {
  const stats = new RoutineStats();
  for (let d = 0; d < 7; d++) for (let h = 0; h < 3; h++) stats.observe(T0 + d * DAY, `10.0.0.${h}`, 'mgmt', 'svcctl', 'StartServiceW');
  const copy = RoutineStats.fromJSON(JSON.parse(JSON.stringify(stats.toJSON())));
  assert.deepEqual(copy.profile(), stats.profile());
  copy.prune(T0 + 6 * DAY);
  const [entry] = copy.profile().techniques.filter((e) => e[1] === 'mgmt');
  assert.equal(entry?.[3], 1);
  assert.throws(() => RoutineStats.fromJSON({ format: 'other' }), TypeError);
});

const record = (ts: number, endpoint: string, operation: string, origHost = '10.0.0.1'): DceRpcRecord => ({
  ts, uid: 'C1', origHost, origPort: 1, respHost: '10.0.0.2', respPort: 445, rtt: null, namedPipe: null, endpoint, operation,
});

void test('baselines keep their published quirks: BZAR is case-sensitive and counts discovery, Sigma ignores case', () => {
  const bzar = new BzarBaseline();
  const sigma = new SigmaBaseline();
  assert.equal(bzar.flags(record(0, 'svcctl', 'CreateServiceW')), true);
  assert.equal(bzar.flags(record(0, 'ISeclogon', 'SeclCreateProcessWithLogonExW')), false);
  assert.equal(sigma.flags(record(0, 'ISeclogon', 'SeclCreateProcessWithLogonExW')), true);
  assert.equal(bzar.flags(record(0, 'atsvc', 'NetrJobAdd')), false);
  const counts = [1, 2, 3, 4, 5, 6].map((i) => bzar.flags(record(i, 'srvsvc', 'NetrSessionEnum')));
  assert.deepEqual(counts, [false, false, false, false, true, false]);
  assert.equal(sigma.flags(record(0, 'efsrpc', 'EfsRpcOpenFileRaw')), true);
});

void test('a flood of distinct groups past maxGroupHosts keeps no map per group (issue #15: every traffic-fed structure is bounded)', () => {
  const stats = new RoutineStats({ ...DEFAULT_ROUTINE_OPTIONS, maxGroupHosts: 10 });
  for (let i = 0; i < 5000; i += 1) stats.observe(1_760_000_000 + i, `10.0.${i >> 8}.${i & 255}`, `group-${i}`, 'svcctl', 'OpenSCManagerW');
  assert.equal(stats.toJSON().groups.length, 10);
});
