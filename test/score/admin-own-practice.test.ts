/**
 * An intruder on an administration host (issue #13 item 3, session 11). The admin workstation
 * reads the service manager of the servers every day, so it is an administration host of svcctl
 * (admin-hosts.ts). On day 5 an intruder holding it runs PsExec against three of the servers it
 * manages. Trained on every record, the intruder's own CreateServiceW rows are in training, so
 * the call judged as a plain svcctl call was no longer rare, and nothing was flagged
 * (`eval --sweep --history-days 7` seeds 8002, 8039, 8041). The interface habit is the admin's
 * own traffic and costs the intruder nothing. Making the call itself on another day is evidence
 * a one-day intruder does not have. The other admin, who creates services on days 2 and 5, keeps
 * its habit on both days.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall as rec } from '../helpers/dce-call.js';
import { flaggedUids } from '../helpers/flagged-uids.js';
import { parseConfigText } from '../../src/config/index.js';
import { AdminHosts, AdminHostStats } from '../../src/score/admin-hosts.js';
import type { KModesModel } from '../../src/model/index.js';
import { computeModelId, parseModel, serializeModel } from '../../src/model/model.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
/** The intruder's foothold: an admin workstation that only reads service states. */
const FOOTHOLD = '10.5.0.11';
/** An admin who creates services on days 2 and 5. */
const DEPLOYER = '10.5.0.12';
const THIRD_ADMIN = '10.5.0.13';
const SERVERS = ['10.4.0.11', '10.4.0.12', '10.4.0.13', '10.4.0.14', '10.4.0.15'];
const CONFIG = '[ip_groups]\noffice = 10.1.0.0/16\nservers = 10.4.0.0/16\nadmins = 10.5.0.0/16\n';
const ATTACK_DAY = 5;

function week(withAttack: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    const at = T0 + d * DAY + 8 * 3600;
    for (let h = 0; h < 20; h++) out.push(rec(at + h * 60, `10.1.0.${20 + h}`, '10.1.0.11', 'lsarpc', 'LsarLookupSids', `L${d}-${h}`));
    for (const admin of [FOOTHOLD, DEPLOYER, THIRD_ADMIN]) out.push(rec(at + 5, admin, '10.1.0.11', 'netlogon', 'NetrLogonSamLogonEx', `N${d}-${admin}`));
    // Both admins' daily round: the service manager of three servers a day.
    for (const [a, admin] of [FOOTHOLD, DEPLOYER].entries()) {
      for (let i = 0; i < 3; i++) {
        const server = SERVERS[(d + i) % 5] as string;
        const t = at + 1800 + a * 600 + i * 60;
        out.push(rec(t, admin, server, 'svcctl', 'OpenSCManagerW', `S${d}-${a}-${i}`));
        out.push(rec(t + 1, admin, server, 'svcctl', 'QueryServiceStatus', `S${d}-${a}-${i}`));
        out.push(rec(t + 2, admin, server, 'svcctl', 'CloseServiceHandle', `S${d}-${a}-${i}`));
      }
    }
  }
  for (const d of [2, 5]) {
    const t = T0 + d * DAY + 11 * 3600;
    out.push(rec(t, DEPLOYER, SERVERS[d % 5] as string, 'svcctl', 'CreateServiceW', `D-create${d}`));
    out.push(rec(t + 1, DEPLOYER, SERVERS[d % 5] as string, 'svcctl', 'StartServiceW', `D-create${d}`));
  }
  if (withAttack) {
    for (const [i, server] of SERVERS.slice(0, 3).entries()) {
      const t = T0 + ATTACK_DAY * DAY + 14 * 3600 + i * 90;
      const uid = `X-psexec${i}`;
      out.push(rec(t, FOOTHOLD, server, 'svcctl', 'OpenSCManagerW', uid));
      out.push(rec(t + 1, FOOTHOLD, server, 'svcctl', 'CreateServiceW', uid));
      out.push(rec(t + 2, FOOTHOLD, server, 'svcctl', 'StartServiceW', uid));
      out.push(rec(t + 3, FOOTHOLD, server, 'svcctl', 'DeleteService', uid));
      out.push(rec(t + 4, FOOTHOLD, server, 'svcctl', 'CloseServiceHandle', uid));
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

for (const situation of ['every record', 'the days without the attack'] as const) {
  void test(`trained on ${situation}: PsExec from an administration host that created no service on another day is flagged as the technique; the deployer's two days are its habit`, async () => {
    const config = parseConfigText(CONFIG, 'admin-own-practice.ini');
    const records = week(true);
    const model = await trainedModel(config, situation === 'every record' ? records : week(false));
    const hosts = (model.routine?.adminHosts ?? []).map(([host, endpoint]) => `${host} ${endpoint}`);
    assert.deepEqual(hosts, [`${FOOTHOLD} svcctl`, `${DEPLOYER} svcctl`], 'both admins are administration hosts of svcctl');
    const alerts = flaggedUids(model, config, records);
    for (let i = 0; i < 3; i++) {
      assert.match(
        alerts.get(`X-psexec${i}`) ?? '',
        new RegExp(`^T1569\\.002 remote service execution \\(PsExec-style\\): .*; ${FOOTHOLD.replace(/\./g, '\\.')} administers ${SERVERS[i]?.replace(/\./g, '\\.')} through svcctl but made no such call on another day$`),
        `psexec to ${SERVERS[i]} (a server the foothold manages)`,
      );
    }
    assert.equal(alerts.get('D-create2'), undefined, 'the deployer creates a service on day 5 too');
    assert.equal(alerts.get('D-create5'), undefined, 'and on day 2');
  });
}

void test('the administration call itself counts only on days other than the record\'s, and a model without those days admits none', () => {
  const stats = new AdminHostStats();
  for (const [day, server] of [[1, 'a'], [2, 'b'], [3, 'c'], [4, 'a']] as const) stats.observe('h', 'svcctl', server, day);
  stats.observe('h', 'svcctl', 'b', 4, true);
  const profile = stats.profile(3, 3);
  assert.deepEqual(profile, [['h', 'svcctl', 4, 3, [['a', [1, 4]], ['b', [2, 4]], ['c', [3]]], [4]]]);
  const index = new AdminHosts(profile, { minHosts: 3, habitDays: 3 });
  assert.equal(index.administers('h', 'svcctl', 'a', 4), null, 'the record\'s own day is no evidence of the habit');
  assert.match(index.unpractised('h', 'svcctl', 'a', 4) ?? '', /^h administers a through svcctl but made no such call on another day$/);
  assert.match(index.administers('h', 'svcctl', 'a', 5) ?? '', /h called svcctl of 3 hosts on 4 days, of a on 2 other days; it made such calls on 1 other day$/);
  assert.match(index.administers('h', 'svcctl', 'a', 3) ?? '', /of a on 2 other days; it made such calls on 1 other day$/, 'a later day counts too: the record is in training');
  assert.equal(index.unpractised('h', 'svcctl', 'a', 5), null);
  assert.equal(index.unpractised('h', 'svcctl', 'z', 4), null, 'a responder it never manages: no administration to speak of');
  const older = new AdminHosts(
    profile.map(([host, endpoint, days, responders, perResponder]) => [host, endpoint, days, responders, perResponder]),
    { minHosts: 3, habitDays: 3 },
  );
  assert.equal(older.administers('h', 'svcctl', 'a', 5), null, 'an older model knows no such day');
  const copy = AdminHostStats.fromJSON(JSON.parse(JSON.stringify(stats.toJSON())) as ReturnType<AdminHostStats['toJSON']>);
  assert.deepEqual(copy.profile(3, 3), profile, 'survives a save');
  copy.prune(5);
  assert.deepEqual(copy.toJSON().pairs, [], 'ages with the other days');
});

void test('the model keeps the days of the administration call, and reads a model written before them', async () => {
  const config = parseConfigText(CONFIG, 'admin-own-practice.ini');
  const model = await trainedModel(config, week(true));
  const text = serializeModel(model);
  const deployer = parseModel(text, 'm.json').routine?.adminHosts?.find(([host]) => host === DEPLOYER);
  assert.deepEqual(deployer?.[5]?.map((d) => d - T0 / DAY), [2, 5]);
  const older = JSON.parse(text) as KModesModel;
  const routine = older.routine as NonNullable<KModesModel['routine']>;
  routine.adminHosts = routine.adminHosts?.map(([host, endpoint, days, responders, perResponder]) => [host, endpoint, days, responders, perResponder]);
  older.modelId = computeModelId(older);
  const read = parseModel(JSON.stringify(older), 'm.json');
  assert.deepEqual(read.routine?.adminHosts?.map((entry) => entry.length), [5, 5], 'a model written before the days is read as it is');
  assert.equal(flaggedUids(read, config, week(true)).has('D-create5'), true, 'and admits no administration call: no other day of it is known');
  const doc = JSON.parse(text) as { routine: { adminHosts: unknown } };
  doc.routine.adminHosts = [['10.5.0.11', 'svcctl', 3, 3, [], ['x']]];
  assert.throws(() => parseModel(JSON.stringify(doc), 'm.json'), /routine\.adminHosts\[0\]\[5\]\[0\]/);
});
