/**
 * An administration host's first task on a server it already manages (issue #13, session 10).
 * A small site's admin lists the scheduled tasks of a few servers and manages the services of
 * every server, day after day. On day 4 it registers a task on a server whose service manager it
 * manages on other days but whose task scheduler it never called before: the responder condition
 * of the administration-host rule (admin-hosts.ts) held only for the interface of the record, so
 * the task was flagged. A task on a server the admin never manages, on one whose service manager
 * it reached only that day or only days later, a workstation's task, and the admin's hive dump of
 * a managed server stay flagged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall as rec } from '../helpers/dce-call.js';
import { flaggedUids } from '../helpers/flagged-uids.js';
import { parseConfigText } from '../../src/config/index.js';
import { AdminHosts } from '../../src/score/admin-hosts.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const ADMIN = '10.5.0.11';
const OTHER_ADMINS = ['10.5.0.12', '10.5.0.13'];
const WORKSTATION = '10.1.0.25';
const SERVERS = ['10.4.0.11', '10.4.0.12', '10.4.0.13', '10.4.0.14', '10.4.0.15'];
/** Its services managed on days 2 and 3 (and later), its task scheduler first called on day 4. */
const MANAGED = SERVERS[3] as string;
/** A server the admin never manages. */
const NEW_SERVER = '10.4.0.16';
/** A server whose service manager the admin calls on day 4 only, just before its task there. */
const SAME_DAY_SERVER = '10.4.0.17';
/** A server whose service manager the admin first calls on day 6, two days after its task there. */
const LATER_SERVER = '10.4.0.18';
const CONFIG = '[ip_groups]\noffice = 10.1.0.0/16\nservers = 10.4.0.0/16\nadmins = 10.5.0.0/16\n';

function week(withDay4: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    if (d === 4 && !withDay4) continue;
    const at = T0 + d * DAY + 8 * 3600;
    for (let h = 0; h < 20; h++) out.push(rec(at + h * 60, `10.1.0.${20 + h}`, '10.1.0.11', 'lsarpc', 'LsarLookupSids', `L${d}-${h}`));
    for (const admin of [ADMIN, ...OTHER_ADMINS]) out.push(rec(at + 5, admin, '10.1.0.11', 'netlogon', 'NetrLogonSamLogonEx', `N${d}-${admin}`));
    for (const [i, server] of [SERVERS[d % 5], SERVERS[(d + 1) % 5]].entries()) {
      const t = at + 1800 + i * 60;
      out.push(rec(t, ADMIN, server as string, 'svcctl', 'OpenSCManagerW', `S${d}-${i}`));
      out.push(rec(t + 1, ADMIN, server as string, 'svcctl', 'QueryServiceStatus', `S${d}-${i}`));
    }
    // The task lists of the first three servers, one a day: a task-scheduler habit, not of MANAGED.
    if (d === 6) out.push(rec(at + 1900, ADMIN, LATER_SERVER, 'svcctl', 'OpenSCManagerW', 'S-later'));
    const listed = SERVERS[d % 3] as string;
    out.push(rec(at + 2400, ADMIN, listed, 'ITaskSchedulerService', 'SchRpcEnumTasks', `E${d}`));
  }
  // A task on day 1 too, on a server whose tasks it lists: in the training days the call is seen.
  out.push(rec(T0 + DAY + 10 * 3600, ADMIN, SERVERS[1] as string, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'A-task1'));
  out.push(rec(T0 + DAY + 10 * 3600 + 1, ADMIN, SERVERS[1] as string, 'ITaskSchedulerService', 'SchRpcRun', 'A-task1'));
  if (withDay4) {
    const at = T0 + 4 * DAY + 10 * 3600;
    out.push(rec(at, ADMIN, MANAGED, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'A-managed'));
    out.push(rec(at + 1, ADMIN, MANAGED, 'ITaskSchedulerService', 'SchRpcRun', 'A-managed'));
    out.push(rec(at + 60, ADMIN, MANAGED, 'winreg', 'BaseRegSaveKey', 'A-dump'));
    out.push(rec(at + 120, ADMIN, NEW_SERVER, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'A-new'));
    out.push(rec(at + 180, ADMIN, SAME_DAY_SERVER, 'svcctl', 'OpenSCManagerW', 'A-sameday-svc'));
    out.push(rec(at + 181, ADMIN, SAME_DAY_SERVER, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'A-sameday'));
    out.push(rec(at + 200, ADMIN, LATER_SERVER, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'A-later'));
    out.push(rec(at + 240, WORKSTATION, MANAGED, 'ITaskSchedulerService', 'SchRpcRegisterTask', 'W-task'));
  }
  return out.sort((a, b) => a.ts - b.ts);
}

for (const situation of ['every record', 'the days without the tasks'] as const) {
  void test(`trained on ${situation}: the admin's first task on a server whose services it manages is no alert; a new server's, a same-day one's, a later one's, a workstation's and a hive dump are`, async () => {
    const config = parseConfigText(CONFIG, 'admin-other-interface.ini');
    const records = week(true);
    const model = await trainedModel(config, situation === 'every record' ? records : week(false));
    const hosts = (model.routine?.adminHosts ?? []).map(([host, endpoint]) => `${host} ${endpoint}`);
    assert.deepEqual(hosts, [`${ADMIN} itaskschedulerservice`, `${ADMIN} svcctl`]);
    const alerts = flaggedUids(model, config, records);
    assert.equal(alerts.get('A-managed'), undefined, 'a server the admin manages through svcctl on other days');
    assert.match(alerts.get('A-new') ?? '', /T1053\.005 .*SchRpcRegisterTask is not routine for admins/, 'a server the admin never manages');
    assert.match(alerts.get('A-sameday') ?? '', /T1053\.005 .*SchRpcRegisterTask is not routine for admins/, 'managed only on the record\'s own day');
    assert.match(alerts.get('A-later') ?? '', /T1053\.005 .*SchRpcRegisterTask is not routine for admins/, 'managed only from two days after the task');
    assert.match(alerts.get('W-task') ?? '', /T1053\.005 .*SchRpcRegisterTask is not routine for office/);
    assert.match(alerts.get('A-dump') ?? '', /T1003\.002 /, 'credential theft is no administration, whatever the admin manages');
  });
}

void test('the other interface must itself be an administration habit of the host, reached on a day before the record\'s', () => {
  const entries: ConstructorParameters<typeof AdminHosts>[0] = [
    ['h', 'itaskschedulerservice', 3, 3, [['a', [1]], ['b', [2]], ['c', [3]]], [2]],
    ['h', 'svcctl', 3, 3, [['a', [1]], ['b', [2]], ['m', [2, 5]], ['later', [6]]], [2]],
    // Too few days to be a habit: no evidence that h manages x.
    ['h', 'winreg', 2, 3, [['x', [1, 2]], ['a', [1]], ['b', [2]]], [1]],
  ];
  const index = new AdminHosts(entries, { minHosts: 3, habitDays: 3 });
  assert.match(index.administers('h', 'ITaskSchedulerService', 'm', 5) ?? '', /it administers m through svcctl \(on 1 day before\)/);
  assert.equal(index.administers('h', 'ITaskSchedulerService', 'later', 5), null, 'managed only after the record: not yet a managed host');
  assert.equal(index.administers('h', 'ITaskSchedulerService', 'x', 5), null, 'winreg is no habit of h');
  assert.equal(index.administers('h', 'ITaskSchedulerService', 'z', 5), null);
  assert.equal(index.administers('h', 'winreg', 'm', 5), null, 'the record\'s own interface must be a habit');
  assert.equal(index.administers('g', 'svcctl', 'm', 5), null);
});
