/**
 * A discovery call to a server that many hosts routinely ask it is a client's question (issue
 * #13, session 9). Four departments browse the file server's shares every day; the logistics
 * department never did. Its first NetrShareEnum of that same file server is no alert: the answer
 * is what every client gets. Still flagged: its share enumeration of a workstation nobody asks
 * (no service), and each call of its sweep of the workstations.
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
const FILE_SERVER = '10.2.0.11';
const DEPARTMENTS = ['10.3', '10.4', '10.5', '10.6'];
const LOGISTICS = '10.9';
const CONFIG = [
  '[ip_groups]',
  'servers = 10.2.0.0/16',
  ...DEPARTMENTS.map((prefix, i) => `dept${i} = ${prefix}.0.0/16`),
  `logistics = ${LOGISTICS}.0.0/16`,
  '',
].join('\n');
const SMB = { respPort: 445, namedPipe: '\\PIPE\\srvsvc' };

const rec = (ts: number, orig: string, resp: string, operation: string, uid: string): DceRpcRecord => dceCall(ts, orig, resp, 'srvsvc', operation, uid, SMB);

function week(withLogistics: boolean): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 7; d++) {
    for (const prefix of [...DEPARTMENTS, LOGISTICS]) {
      for (let h = 0; h < 4; h++) {
        const host = `${prefix}.0.${11 + h}`;
        out.push(rec(T0 + d * DAY + 8 * 3600 + h * 60, host, FILE_SERVER, 'NetrShareGetInfo', `I${d}-${host}`));
        if (prefix !== LOGISTICS) out.push(rec(T0 + d * DAY + 9 * 3600 + h * 60, host, FILE_SERVER, 'NetrShareEnum', `E${d}-${host}`));
      }
    }
  }
  if (withLogistics) {
    out.push(rec(T0 + 5 * DAY + 10 * 3600, `${LOGISTICS}.0.12`, FILE_SERVER, 'NetrShareEnum', 'L-server'));
    out.push(rec(T0 + 5 * DAY + 11 * 3600, `${LOGISTICS}.0.13`, `${DEPARTMENTS[0] as string}.0.12`, 'NetrShareEnum', 'L-workstation'));
    for (let t = 0; t < 12; t++) out.push(rec(T0 + 5 * DAY + 12 * 3600 + t, `${LOGISTICS}.0.14`, `${DEPARTMENTS[t % 4] as string}.0.${11 + (t >> 2)}`, 'NetrShareEnum', `L-sweep-${t}`));
  }
  return out.sort((a, b) => a.ts - b.ts);
}


void test("trained without logistics' calls: its share enumeration of the file server everybody asks is no alert; of a workstation, and a sweep, are", async () => {
  const config = parseConfigText(CONFIG, 'discovery-service.ini');
  const records = week(true);
  const model = await trainedModel(config, week(false));
  const alerts = flaggedUids(model, config, records);
  assert.equal(alerts.get('L-server'), undefined, 'the file server four departments browse daily');
  assert.match(alerts.get('L-workstation') ?? '', /T1135 network share discovery: NetrShareEnum is not routine for logistics \(no host of its 4 did it\)/);
  const swept = [...alerts].filter(([uid]) => uid.startsWith('L-sweep-'));
  assert.equal(swept.length, 12, 'each share enumeration of the 12 workstations nobody asks');
});

void test('the departments that browse the file server are no alert either', async () => {
  const config = parseConfigText(CONFIG, 'discovery-service.ini');
  const records = week(false);
  const alerts = flaggedUids(await trainedModel(config, records), config, records);
  assert.deepEqual([...alerts], []);
});
