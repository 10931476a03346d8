/**
 * Directory replication between domain controllers is not DCSync (issue #13, session 7). A small
 * site's two DCs replicate on one day of the week, and the ip_groups map puts them in one group
 * with the workstations, so no group routine covers it; both DCs answer drsuapi for each other,
 * so their replication is no alert. A workstation of the same group asking a DC for replication
 * is DCSync whatever the group shows: nobody calls it on drsuapi.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall } from '../helpers/dce-call.js';
import { flaggedUids } from '../helpers/flagged-uids.js';
import { parseConfigText } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const DCS = ['10.1.0.11', '10.1.0.12'];
const INTRUDER = '10.1.0.25';
const CONFIG = '[ip_groups]\noffice = 10.1.0.0/16\n';

const rec = dceCall;

function week(dcsync: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    for (let h = 0; h < 20; h++) {
      const ws = `10.1.0.${20 + h}`;
      out.push(rec(T0 + d * DAY + 8 * 3600 + h * 60, ws, DCS[h % 2] as string, 'netlogon', 'NetrLogonSamLogonEx', `N${d}-${h}`));
      out.push(rec(T0 + d * DAY + 8 * 3600 + h * 60 + 1, ws, DCS[h % 2] as string, 'lsarpc', 'LsarLookupSids', `L${d}-${h}`));
    }
  }
  // The DCs replicate with each other on day 2 only.
  for (const [i, dc] of DCS.entries()) {
    const other = DCS[1 - i] as string;
    out.push(rec(T0 + 2 * DAY + 3600 + i, dc, other, 'drsuapi', 'DRSBind', `B-${dc}`));
    out.push(rec(T0 + 2 * DAY + 3601 + i, dc, other, 'drsuapi', 'DRSGetNCChanges', `G-${dc}`));
    out.push(rec(T0 + 2 * DAY + 3602 + i, dc, other, 'drsuapi', 'DRSReplicaSync', `S-${dc}`));
  }
  if (dcsync) {
    out.push(rec(T0 + 4 * DAY + 7200, INTRUDER, DCS[0] as string, 'drsuapi', 'DRSBind', 'X-bind'));
    out.push(rec(T0 + 4 * DAY + 7201, INTRUDER, DCS[0] as string, 'drsuapi', 'DRSGetNCChanges', 'X-sync'));
  }
  return out.sort((a, b) => a.ts - b.ts);
}


for (const situation of ['every record', 'the days without the DCSync'] as const) {
  void test(`trained on ${situation}: two DCs replicating on one day are no alert; a workstation of their group DCSync-ing is`, async () => {
    const config = parseConfigText(CONFIG, 'replication.ini');
    const records = week(true);
    const model = await trainedModel(config, situation === 'every record' ? records : week(false));
    assert.deepEqual(model.routine?.directoryServers, DCS, 'the DCs answer drsuapi; the workstation does not');
    const alerts = flaggedUids(model, config, records);
    for (const dc of DCS) for (const op of ['G', 'S']) assert.equal(alerts.get(`${op}-${dc}`), undefined, `replication from ${dc}`);
    assert.match(alerts.get('X-sync') ?? '', /T1003\.006 DCSync replication: DRSGetNCChanges is not routine for office/);
  });
}

void test('a model without directory servers (written before them) judges DC replication by the group routine alone', async () => {
  const config = parseConfigText(CONFIG, 'replication.ini');
  const records = week(false);
  const model = await trainedModel(config, records);
  const { directoryServers: _omitted, ...older } = model.routine ?? ({} as NonNullable<KModesModel['routine']>);
  const alerts = flaggedUids({ ...model, routine: older }, config, records);
  assert.match(alerts.get(`G-${DCS[0]}`) ?? '', /T1003\.006/);
});

/**
 * A site whose second DC never asks back (session 9): only DCS[1] is called on drsuapi, but the
 * workstations log on through DCS[0]'s netlogon, so both are directory servers and DCS[0]'s
 * replication from DCS[1] is no alert. The workstation's DCSync stays one.
 */
function oneWayWeek(dcsync: boolean): DceRpcRecord[] {
  const out = week(dcsync).filter((r) => !(r.origHost === DCS[1] && r.endpoint === 'drsuapi'));
  // The logon server of the workstations is DCS[0] alone.
  return out.map((r) => (r.endpoint === 'netlogon' ? { ...r, respHost: DCS[0] as string } : r));
}

for (const situation of ['every record', 'the days without the DCSync'] as const) {
  void test(`trained on ${situation}: a DC replicating from a peer that never asks back is no alert when clients log on through it`, async () => {
    const config = parseConfigText(CONFIG, 'replication.ini');
    const records = oneWayWeek(true);
    const model = await trainedModel(config, situation === 'every record' ? records : oneWayWeek(false));
    assert.deepEqual(model.routine?.directoryServers, DCS, 'DCS[1] answers drsuapi, DCS[0] netlogon; the workstation neither');
    const alerts = flaggedUids(model, config, records);
    for (const op of ['G', 'S']) assert.equal(alerts.get(`${op}-${DCS[0]}`), undefined, `replication from ${DCS[0]}`);
    assert.match(alerts.get('X-sync') ?? '', /T1003\.006 DCSync replication: DRSGetNCChanges is not routine for office/);
  });
}
