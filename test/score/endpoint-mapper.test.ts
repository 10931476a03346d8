/**
 * The endpoint mapper's port lookup is no value of its own (issue #13, session 10). A small site
 * whose week shows no call of the endpoint mapper: a workstation's `ept_map` of the DC is then no
 * alert, and the replication request it resolves the port for stays flagged as DCSync, as does
 * the undocumented interface another lookup resolves. Walking the whole map (`ept_lookup`,
 * rpcdump's discovery) stays "never seen".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall } from '../helpers/dce-call.js';
import { flaggedUids } from '../helpers/flagged-uids.js';
import { parseConfigText } from '../../src/config/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const DC = '10.1.0.11';
const FILE_SERVER = '10.2.0.11';
const WORKSTATIONS = ['10.3.0.11', '10.3.0.12', '10.3.0.13', '10.3.0.14'];
const CONFIG = ['[ip_groups]', 'dcs = 10.1.0.0/16', 'servers = 10.2.0.0/16', 'office = 10.3.0.0/16', ''].join('\n');
const SMB = { respPort: 445, namedPipe: '\\PIPE\\srvsvc' };
const EPM = { respPort: 135, namedPipe: '135' };
const BACKDOOR = '6e566ecf-8dc5-7285-19f1-f4de7cbd1bee';

function week(withLookups: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    for (const [i, host] of WORKSTATIONS.entries()) {
      out.push(dceCall(T0 + d * DAY + 8 * 3600 + i * 60, host, FILE_SERVER, 'srvsvc', 'NetrShareGetInfo', `S${d}-${host}`, SMB));
    }
  }
  if (withLookups) {
    const at = T0 + 5 * DAY + 10 * 3600;
    const intruder = WORKSTATIONS[1] as string;
    out.push(dceCall(at, intruder, DC, 'epmapper', 'ept_map', 'lookup-dc', EPM));
    out.push(dceCall(at + 1, intruder, DC, 'drsuapi', 'DRSBind', 'dcsync'));
    out.push(dceCall(at + 2, intruder, DC, 'drsuapi', 'DRSGetNCChanges', 'dcsync'));
    out.push(dceCall(at + 60, intruder, FILE_SERVER, 'epmapper', 'ept_map', 'lookup-backdoor', EPM));
    out.push(dceCall(at + 61, intruder, FILE_SERVER, BACKDOOR, 'unknown-42', 'backdoor'));
    out.push(dceCall(at + 120, intruder, FILE_SERVER, 'epmapper', 'ept_lookup', 'map-walk', EPM));
  }
  return out.sort((a, b) => a.ts - b.ts);
}

void test('on a site whose training shows no endpoint mapper, a port lookup is no alert; what it resolves and a walk of the map are', async () => {
  const config = parseConfigText(CONFIG, 'endpoint-mapper.ini');
  const alerts = flaggedUids(await trainedModel(config, week(false)), config, week(true));
  assert.equal(alerts.get('lookup-dc'), undefined, "ept_map of the DC's drsuapi port");
  assert.equal(alerts.get('lookup-backdoor'), undefined, 'ept_map of the backdoor interface');
  assert.match(alerts.get('dcsync') ?? '', /^(T1003\.006 DCSync replication|endpoint drsuapi never seen)/);
  assert.match(alerts.get('backdoor') ?? '', new RegExp(`endpoint ${BACKDOOR} never seen`));
  assert.match(alerts.get('map-walk') ?? '', /endpoint epmapper never seen/);
});
