/**
 * Administration hosts (issue #13, session 8). A small site's admin workstation queries the
 * service manager of the servers every day and creates a service on two days of the week: its
 * group has three hosts and the others never do it on their own, so no group routine covers it. Its own habit
 * on the interface does: it called svcctl of several servers on most days. A workstation creating
 * a service, the second admin doing it, and the admin dumping a hive over the registry interface
 * it administers are still flagged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall } from '../helpers/dce-call.js';
import { flaggedUids } from '../helpers/flagged-uids.js';
import { parseConfigText } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { ADMIN_PAIRS_TRACKED, AdminHosts, AdminHostStats, isAdminEndpoint } from '../../src/score/admin-hosts.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const ADMIN = '10.5.0.11';
const SECOND_ADMIN = '10.5.0.12';
const THIRD_ADMIN = '10.5.0.13';
const WORKSTATION = '10.1.0.25';
/** A server the admin never manages: an intruder on the admin host moving somewhere new. */
const NEW_SERVER = '10.4.0.16';
const SERVERS = ['10.4.0.11', '10.4.0.12', '10.4.0.13', '10.4.0.14', '10.4.0.15'];
const CONFIG = '[ip_groups]\noffice = 10.1.0.0/16\nservers = 10.4.0.0/16\nadmins = 10.5.0.0/16\n';

const rec = dceCall;

/** A week; the dangerous calls are on day 4 (left out of training in the attack-free situation), one service creation on day 1. */
function week(withDay4: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    if (d === 4 && !withDay4) continue;
    const at = T0 + d * DAY + 8 * 3600;
    for (let h = 0; h < 20; h++) out.push(rec(at + h * 60, `10.1.0.${20 + h}`, '10.1.0.11', 'lsarpc', 'LsarLookupSids', `L${d}-${h}`));
    for (const admin of [ADMIN, SECOND_ADMIN, THIRD_ADMIN]) out.push(rec(at + 5, admin, '10.1.0.11', 'netlogon', 'NetrLogonSamLogonEx', `N${d}-${admin}`));
    // The admin's daily round: the service manager and the registry of two servers a day.
    for (const [i, server] of [SERVERS[d % 5], SERVERS[(d + 1) % 5]].entries()) {
      const t = at + 1800 + i * 60;
      out.push(rec(t, ADMIN, server as string, 'svcctl', 'OpenSCManagerW', `S${d}-${i}`));
      out.push(rec(t + 1, ADMIN, server as string, 'svcctl', 'QueryServiceStatus', `S${d}-${i}`));
      out.push(rec(t + 2, ADMIN, server as string, 'winreg', 'BaseRegQueryValue', `R${d}-${i}`));
    }
  }
  // A service created on day 1 too: in the training days the call is seen, one admin on one day.
  out.push(rec(T0 + DAY + 10 * 3600, ADMIN, SERVERS[4] as string, 'svcctl', 'CreateServiceW', 'A-create1'));
  out.push(rec(T0 + DAY + 10 * 3600 + 1, ADMIN, SERVERS[4] as string, 'svcctl', 'StartServiceW', 'A-create1'));
  out.push(rec(T0 + DAY + 10 * 3600 + 60, ADMIN, SERVERS[4] as string, 'winreg', 'BaseRegSetValue', 'A-setkey1'));
  if (withDay4) {
    const at = T0 + 4 * DAY + 10 * 3600;
    out.push(rec(at, ADMIN, SERVERS[2] as string, 'svcctl', 'CreateServiceW', 'A-create'));
    out.push(rec(at + 1, ADMIN, SERVERS[2] as string, 'svcctl', 'StartServiceW', 'A-create'));
    out.push(rec(at + 60, ADMIN, SERVERS[3] as string, 'winreg', 'BaseRegSetValue', 'A-setkey'));
    out.push(rec(at + 120, ADMIN, SERVERS[3] as string, 'winreg', 'BaseRegSaveKey', 'A-dump'));
    out.push(rec(at + 180, SECOND_ADMIN, SERVERS[1] as string, 'svcctl', 'CreateServiceW', 'B-create'));
    out.push(rec(at + 200, ADMIN, NEW_SERVER, 'svcctl', 'CreateServiceW', 'A-newtarget'));
    out.push(rec(at + 240, WORKSTATION, SERVERS[2] as string, 'svcctl', 'OpenSCManagerW', 'W-create'));
    out.push(rec(at + 241, WORKSTATION, SERVERS[2] as string, 'svcctl', 'CreateServiceW', 'W-create'));
  }
  return out.sort((a, b) => a.ts - b.ts);
}


for (const situation of ['every record', 'the days without the service creations'] as const) {
  void test(`trained on ${situation}: the admin host's service creation and key change are no alert; a workstation's, the other admin's and the admin's hive dump are`, async () => {
    const config = parseConfigText(CONFIG, 'admin-hosts.ini');
    const records = week(true);
    const model = await trainedModel(config, situation === 'every record' ? records : week(false));
    const hosts = (model.routine?.adminHosts ?? []).map(([host, endpoint]) => `${host} ${endpoint}`);
    assert.deepEqual(hosts, [`${ADMIN} svcctl`, `${ADMIN} winreg`], 'only the admin calls the servers so, on most days');
    const alerts = flaggedUids(model, config, records);
    assert.equal(alerts.get('A-create'), undefined, 'the admin host, on the service manager it administers');
    if (situation === 'every record') assert.equal(alerts.get('A-create1'), undefined, 'the admin creates a service on day 4 too');
    else assert.match(alerts.get('A-create1') ?? '', /T1569\.002 .*10\.5\.0\.11 administers 10\.4\.0\.15 through svcctl but made no such call on another day/, 'its only creation in training: no other day of the habit');
    assert.equal(alerts.get('A-setkey'), undefined, 'the admin host, on the registry it administers');
    assert.match(alerts.get('A-dump') ?? '', /T1003\.002 remote registry hive dump: BaseRegSaveKey is not routine for admins/, 'credential theft is no administration');
    assert.match(alerts.get('A-newtarget') ?? '', /T1569\.002 .*CreateServiceW is not routine for admins/, 'a server the admin host never manages');
    assert.match(alerts.get('B-create') ?? '', /T1569\.002 .*CreateServiceW is not routine for admins/, 'the other admin has no such habit');
    assert.match(alerts.get('W-create') ?? '', /T1569\.002 .*CreateServiceW is not routine for office/);
  });
}

void test('a model without administration hosts (written before them) judges the admin by its group alone', async () => {
  const config = parseConfigText(CONFIG, 'admin-hosts.ini');
  const records = week(true);
  const model = await trainedModel(config, records);
  const { adminHosts: _omitted, ...older } = model.routine ?? ({} as NonNullable<KModesModel['routine']>);
  assert.match(flaggedUids({ ...model, routine: older }, config, records).get('A-create') ?? '', /T1569\.002/);
});

void test('an administration habit needs the interface of three hosts on three days; it ages, is bounded, and survives a save', () => {
  const stats = new AdminHostStats();
  for (const [day, server] of [[1, 'a'], [2, 'b'], [3, 'c'], [3, 'a']] as const) stats.observe('h1', 'svcctl', server, day);
  for (const day of [1, 2, 3, 4]) stats.observe('h2', 'svcctl', 'a', day);
  for (const [day, server] of [[1, 'a'], [2, 'b'], [2, 'c']] as const) stats.observe('h3', 'svcctl', server, day);
  stats.observe('h1', 'svcctl', 'a', 1, true);
  assert.deepEqual(stats.profile(3, 3), [['h1', 'svcctl', 3, 3, [['a', [1, 3]], ['b', [2]], ['c', [3]]], [1]]], 'one responder on four days, or three responders on two days, are not enough');
  const index = new AdminHosts(stats.profile(3, 3), { minHosts: 3, habitDays: 3 });
  assert.match(index.administers('h1', 'SVCCTL', 'a', 3) ?? '', /h1 called SVCCTL of 3 hosts on 3 days, of a on 1 other day/);
  assert.match(index.administers('h1', 'svcctl', 'b', 5) ?? '', /of b on 1 other day/);
  assert.equal(index.administers('h1', 'svcctl', 'b', 2), null, 'a responder reached on the record\'s own day only');
  assert.equal(index.administers('h1', 'svcctl', 'z', 5), null, 'a responder never reached');
  assert.equal(index.administers('h1', 'winreg', 'a', 5), null);
  const copy = AdminHostStats.fromJSON(JSON.parse(JSON.stringify(stats.toJSON())) as ReturnType<AdminHostStats['toJSON']>);
  assert.deepEqual(copy.profile(3, 3), stats.profile(3, 3));
  copy.prune(2);
  assert.deepEqual(copy.profile(3, 3), [], 'day 1 and responder a aged out');
  assert.deepEqual(copy.profile(2, 2), [['h1', 'svcctl', 2, 3, [['a', [3]], ['b', [2]], ['c', [3]]], []]], 'the days before 2 are gone, responder a kept by its day 3');
  assert.deepEqual(copy.profile(1, 2).map((e) => [e[0], e[2], e[3]]), [['h1', 2, 3], ['h2', 3, 1]], 'the days and responders left after day 1');
  const full = new AdminHostStats();
  for (let i = 0; i < ADMIN_PAIRS_TRACKED + 5; i++) full.observe(`h${i}`, 'svcctl', 'a', 1);
  assert.equal(full.overflowed, 5, 'past the bound new pairs are refused and counted');
  assert.equal(isAdminEndpoint('svcctl') && isAdminEndpoint('itaskschedulerservice') && !isAdminEndpoint('drsuapi') && !isAdminEndpoint('spoolss'), true);
});

void test('the model parser rejects a malformed adminHosts', async () => {
  const config = parseConfigText(CONFIG, 'admin-hosts.ini');
  const model = await trainedModel(config, week(true));
  const text = serializeModel(model);
  assert.deepEqual(parseModel(text, 'm.json').routine?.adminHosts, model.routine?.adminHosts);
  const doc = JSON.parse(text) as { routine: { adminHosts: unknown } };
  doc.routine.adminHosts = [['10.5.0.11', 'svcctl', -1, 3, []]];
  assert.throws(() => parseModel(JSON.stringify(doc), 'm.json'), /routine\.adminHosts\[0\]\[2\]/);
});
