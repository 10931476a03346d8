/**
 * A fleet change the model has not seen (issue #13, session 6): a new server role goes live on a
 * day training left out (the attack-free days of the sweep, or the hours since the last retrain),
 * and many workstations start calling its interface. Counted live, the distinct callers establish
 * it once as many hosts call it as a fleet change has (RoutineIndex.fleetHosts); an intruder's
 * new interface from a foothold or two stays flagged. The count is saved with the fan-out
 * tracker's checkpoint, so a restart flags exactly what an uninterrupted run flags.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall } from '../helpers/dce-call.js';
import { parseConfigText, type Config } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import { FanoutTracker, RecordEvaluator, scoringRuleFrom } from '../../src/score/index.js';
import { FLEET_VALUES, FleetTracker } from '../../src/score/fleet.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';
import { Rng } from '../../src/generate/rng.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const NEW_ROLE = '4d9f4ab8-7d1c-11cf-861e-0020af6e7c00';
const INTRUDER_IFACE = '8a885d04-1ceb-11c9-9fe8-08002b104860';
const INTRUDERS = ['10.20.0.7', '10.30.0.9'];

const rec = (ts: number, orig: string, resp: string, endpoint: string, operation: string, uid: string): DceRpcRecord =>
  dceCall(ts, orig, resp, endpoint, operation, uid, { respPort: 135, namedPipe: '135' });

/** `hosts` workstations in two departments calling the DC every day; from `roleDay` on, most call a new interface. */
function week(rng: Rng, hosts: number, roleDay: number): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  const ws = (h: number): string => `10.${h % 2 === 0 ? 20 : 30}.0.${10 + h}`;
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < hosts; h++) {
      const ts = T0 + d * DAY + 8 * 3600 + rng.int(8 * 3600);
      out.push(rec(ts, ws(h), '10.1.0.1', 'netlogon', 'NetrLogonSamLogonEx', `N${d}-${h}`));
      out.push(rec(ts + 1, ws(h), '10.1.0.1', 'lsarpc', 'LsarLookupSids', `L${d}-${h}`));
      if (d >= roleDay && rng.chance(0.8)) out.push(rec(ts + 2 + rng.int(3600), ws(h), '10.4.0.1', NEW_ROLE, `unknown-${3 + rng.int(3)}`, `R${d}-${h}`));
    }
    // The intruder's own interface, from two footholds, every day of the role's week.
    if (d >= roleDay) for (const foothold of INTRUDERS) out.push(rec(T0 + d * DAY + 11 * 3600, foothold, '10.1.0.1', INTRUDER_IFACE, 'unknown-9', `X${d}-${foothold}`));
  }
  return out.sort((a, b) => a.ts - b.ts);
}

const CONFIG = '[ip_groups]\ndomain_controllers = 10.1.0.0/16\nservers = 10.4.0.0/16\nsales = 10.20.0.0/16\nlab = 10.30.0.0/16\n';

function flagged(model: KModesModel, config: Config, records: readonly DceRpcRecord[], fanout = new FanoutTracker()): string[] {
  const evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: [], fanout });
  return records.filter((r) => evaluator.evaluate(r).verdict.anomalous).map((r) => r.uid as string);
}

for (const seed of [1, 2, 3]) {
  void test(`seed ${seed}: a new interface many hosts start calling on a day training left out is flagged for its first callers only; two footholds' stay flagged every day`, async () => {
    const rng = new Rng(seed);
    const hosts = 40 + rng.int(60);
    const roleDay = 3 + rng.int(3);
    const config = parseConfigText(CONFIG, 'fleet.ini');
    const records = week(rng, hosts, roleDay);
    // Trained on the days before the role (and the intrusion) began.
    const model = await trainedModel(config, records.filter((r) => r.ts < T0 + roleDay * DAY));
    const alerts = flagged(model, config, records);
    const intruder = records.filter((r) => r.endpoint === INTRUDER_IFACE).map((r) => r.uid as string);
    for (const uid of intruder) assert.ok(alerts.includes(uid), `the foothold's call ${uid} is flagged`);
    const role = records.filter((r) => r.endpoint === NEW_ROLE);
    const roleAlerts = alerts.filter((uid) => uid.startsWith('R'));
    // Flagged only until as many distinct hosts as a fleet change has call it: fewer than 25 %.
    const bar = Math.max(3, Math.min(20, Math.ceil(0.25 * hosts)));
    const callersFlagged = new Set(role.filter((r) => roleAlerts.includes(r.uid as string)).map((r) => r.origHost));
    assert.ok(callersFlagged.size < bar, `${callersFlagged.size} hosts' calls flagged, the bar is ${bar}`);
    assert.ok(roleAlerts.length < role.length / 4, `${roleAlerts.length} of ${role.length} calls of the new role flagged`);
    assert.equal(alerts.length, roleAlerts.length + intruder.length, 'nothing else is flagged');

    // A restart at any point (the tracker restored from its checkpoint) flags the same records.
    for (const cut of [1, Math.floor(records.length / 2), records.findIndex((r) => r.endpoint === NEW_ROLE) + 3]) {
      const first = new FanoutTracker();
      const before = flagged(model, config, records.slice(0, cut), first);
      const restored = FanoutTracker.fromJSON(JSON.parse(JSON.stringify(first.toJSON())) as unknown[]);
      assert.deepEqual([...before, ...flagged(model, config, records.slice(cut), restored)], alerts, `restart after ${cut} records`);
    }
  });
}

void test('the fleet table is bounded: past FLEET_VALUES a new value is refused (counted 0, so it stays flagged); idle values make room a day later', () => {
  const fleet = new FleetTracker();
  for (let i = 0; i < FLEET_VALUES; i++) assert.equal(fleet.count(`v${i}`, '10.0.0.1', T0, 20), 1);
  assert.equal(fleet.count('late', '10.0.0.2', T0 + 3600, 20), 0);
  assert.equal(fleet.size, FLEET_VALUES);
  assert.equal(fleet.count('v1', '10.0.0.2', T0 + 3600, 20), 2, 'a tracked value still counts');
  assert.equal(fleet.count('late', '10.0.0.2', T0 + 20 * DAY, 20), 1, 'values idle for more than a week made room');
  assert.equal(fleet.count('v1', '10.0.0.3', T0 + 20 * DAY, 20), 1, 'an idle value was dropped: its callers count afresh');
  assert.equal(fleet.count('late', '10.0.0.3', T0 + 20 * DAY, 2), 2);
  assert.equal(fleet.count('late', '10.0.0.4', T0 + 20 * DAY, 2), 2, 'a value counts at most `bar` hosts');
});

void test('three distinct hosts over two days establish a new interface live (the statistics value rule, less the one-host habit); two footholds never do', async () => {
  const config = parseConfigText(CONFIG, 'fleet.ini');
  const rng = new Rng(7);
  const records = week(rng, 40, 7); // no new role: 40 workstations, a quarter of them (10) would be a fleet
  const model = await trainedModel(config, records.filter((r) => r.ts < T0 + 5 * DAY));
  const at = (day: number, hour: number): number => T0 + day * DAY + hour * 3600;
  const app = '6bffd098-a112-3610-9833-46c3f87e345a';
  const live = [
    rec(at(5, 9), '10.20.0.10', '10.4.0.1', app, 'unknown-2', 'A1'),
    rec(at(5, 10), '10.30.0.11', '10.4.0.1', app, 'unknown-2', 'A2'),
    rec(at(6, 9), '10.20.0.12', '10.4.0.1', app, 'unknown-2', 'A3'),
    rec(at(6, 10), '10.30.0.13', '10.4.0.1', app, 'unknown-2', 'A4'),
  ];
  const footholds = [5, 6, 7, 8].flatMap((day) => INTRUDERS.map((host, i) => rec(at(day, 11), host, '10.1.0.1', INTRUDER_IFACE, 'unknown-9', `F${day}-${i}`)));
  const alerts = flagged(model, config, [...live, ...footholds].sort((a, b) => a.ts - b.ts));
  assert.deepEqual(alerts.filter((uid) => uid.startsWith('A')), ['A1', 'A2'], 'the third host on the second day establishes it');
  assert.equal(alerts.filter((uid) => uid.startsWith('F')).length, footholds.length, 'two footholds on four days stay flagged');
});
