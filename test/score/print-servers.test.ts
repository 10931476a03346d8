/**
 * Print clients' change notifications are not PrinterBug (issue #13, session 7): every Windows
 * print client calls RpcRemoteFindFirstPrinterChangeNotification(Ex) on its print server, which
 * PrinterBug calls on a host that is no print server (a DC) to coerce its authentication. The
 * responder tells them apart: one that serves the spooler to many other hosts over days is a
 * print server (src/score/print-servers.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainedModel } from '../helpers/trained-model.js';
import { dceCall } from '../helpers/dce-call.js';
import { parseConfigText, type Config } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { FanoutTracker, RecordEvaluator, RoutineIndex, RoutineStats, scoringRuleFrom } from '../../src/score/index.js';
import { PrintServers, PrintServerStats } from '../../src/score/print-servers.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;
const DC = '10.1.0.1';
const PRINT_SERVER = '10.4.0.30';
const NOTIFY = 'RpcRemoteFindFirstPrinterChangeNotificationEx';
const CONFIG = '[ip_groups]\ndomain_controllers = 10.1.0.0/16\nprint_servers = 10.4.0.0/16\nclinic = 10.20.0.0/16\nresearch = 10.30.0.0/16\n';

let uids = 0;
const rec = (ts: number, orig: string, resp: string, endpoint: string, operation: string, uid = `C${uids++}`): DceRpcRecord =>
  dceCall(ts, orig, resp, endpoint, operation, uid, { respPort: 445, namedPipe: '\\pipe\\spoolss' });

/** A print client's session: open a printer, ask for change notifications, close. */
function printSession(ts: number, client: string, server: string, uid?: string): DceRpcRecord[] {
  return [rec(ts, client, server, 'spoolss', 'RpcOpenPrinterEx', uid), rec(ts + 1, client, server, 'spoolss', NOTIFY, uid), rec(ts + 2, client, server, 'spoolss', 'RpcClosePrinter', uid)];
}

/**
 * Six days: every clinic host logs on at the DC; clinic hosts 10-13 print on most days (a habit of
 * the clinic group). The research group logs on too and prints only on `researchPrintDay` (one host).
 */
function week(researchPrintDay: number | null): DceRpcRecord[] {
  const out: DceRpcRecord[] = [];
  for (let d = 0; d < 6; d++) {
    const base = T0 + d * DAY + 9 * 3600;
    for (let h = 0; h < 8; h++) {
      out.push(rec(base + h * 60, `10.20.0.${10 + h}`, DC, 'netlogon', 'NetrLogonSamLogonEx'));
      out.push(rec(base + h * 60 + 5, `10.30.0.${10 + h}`, DC, 'netlogon', 'NetrLogonSamLogonEx'));
    }
    for (let h = 0; h < 4; h++) if ((d + h) % 4 !== 0) out.push(...printSession(base + 1800 + h * 60, `10.20.0.${10 + h}`, PRINT_SERVER));
    if (d === researchPrintDay) out.push(...printSession(base + 3600, '10.30.0.12', PRINT_SERVER, `RESEARCH-PRINT-${d}`));
  }
  return out.sort((a, b) => a.ts - b.ts);
}

function evaluator(model: KModesModel, config: Config): RecordEvaluator {
  return new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: [], fanout: new FanoutTracker() });
}

void test("a print client of a group that never printed before asks the network's print server for notifications: printing, no PrinterBug alert", async () => {
  const config = parseConfigText(CONFIG, 'print.ini');
  const records = week(4);
  const model = await trainedModel(config, records.filter((r) => r.ts < T0 + 4 * DAY));
  const ev = evaluator(model, config);
  const research = records.filter((r) => r.uid === 'RESEARCH-PRINT-4');
  assert.equal(research.length, 3);
  for (const r of research) assert.equal(ev.evaluate(r).verdict.anomalous, false, `${r.operation} to the print server is printing`);
  // Without the statistic (a model written before it), the same call is PrinterBug, as before.
  const old = structuredClone(model);
  delete (old.routine as { printServers?: unknown }).printServers;
  const verdict = evaluator(old, config).evaluate(research[1] as DceRpcRecord).verdict;
  assert.equal(verdict.anomalous, true);
  assert.match(verdict.reason, /^T1187 authentication coercion \(PrinterBug\): RpcRemoteFindFirstPrinterChangeNotificationEx is not routine for research/);
  assert.doesNotMatch(verdict.reason, /no print server/);
});

void test('PrinterBug to a DC from a print client stays flagged, and says the DC is no print server', async () => {
  const config = parseConfigText(CONFIG, 'print.ini');
  const records = week(null);
  // A second, small print server: one clinic host prints to it every day.
  for (let d = 0; d < 4; d++) records.push(...printSession(T0 + d * DAY + 15 * 3600, '10.20.0.12', '10.4.0.31'));
  const model = await trainedModel(config, records.sort((a, b) => a.ts - b.ts));
  const ev = evaluator(model, config);
  assert.equal(ev.evaluate(rec(T0 + 6 * DAY + 9 * 3600, '10.20.0.13', '10.4.0.31', 'spoolss', NOTIFY)).verdict.anomalous, false, "a print client of the clinic asks the small site's print server");
  // 10.20.0.11 prints every week: its notifications to the print server are its group's routine.
  for (const r of printSession(T0 + 6 * DAY + 9 * 3600, '10.20.0.11', PRINT_SERVER)) assert.equal(ev.evaluate(r).verdict.anomalous, false);
  // The same host, and a research host, coercing the DC.
  for (const client of ['10.20.0.11', '10.30.0.12']) {
    const verdict = ev.evaluate(rec(T0 + 6 * DAY + 10 * 3600, client, DC, 'spoolss', NOTIFY)).verdict;
    assert.equal(verdict.anomalous, true, `${client} → DC`);
    assert.match(verdict.reason, /^T1187 authentication coercion \(PrinterBug\): RpcRemoteFindFirstPrinterChangeNotificationEx.* to 10\.1\.0\.1, no print server on this network/);
  }
});

void test("an intruder's own spooler calls to a DC, from two footholds on two days, do not make it a print server", async () => {
  const config = parseConfigText(CONFIG, 'print.ini');
  const records = week(null);
  const footholds = ['10.30.0.12', '10.30.0.13'];
  for (const d of [2, 3]) for (const foothold of footholds) records.push(...printSession(T0 + d * DAY + 14 * 3600, foothold, DC, `COERCE-${d}-${foothold}`));
  records.sort((a, b) => a.ts - b.ts);
  // Trained on every record, the attack included.
  const model = await trainedModel(config, records);
  const ev = evaluator(model, config);
  for (const r of records.filter((x) => x.uid?.startsWith('COERCE') === true && x.operation === NOTIFY)) assert.equal(ev.evaluate(r).verdict.anomalous, true, `${r.uid}`);
});

void test('a print server is established by minHosts callers other than this one over minDays days, or by fleetHosts callers', () => {
  const bars = { minHosts: 3, minDays: 2, fleetHosts: 5, habitDays: 3 };
  // Three callers on one day each, all the same day: hosts, but not days.
  const oneDay = new PrintServers([['p', 3, [['a', [10]], ['b', [10]], ['c', [10]]]]], bars);
  assert.equal(oneDay.established('p', 'x'), null);
  // Three callers over two days: established for any other caller, not for one of the three.
  const twoDays = new PrintServers([['p', 3, [['a', [10]], ['b', [11]], ['c', [10, 11]]]]], bars);
  assert.match(twoDays.established('p', 'x') ?? '', /^p serves the spooler to 3 other hosts on 2 days$/);
  assert.equal(twoDays.established('p', 'a'), null);
  // Five callers on one day (a new print server's first morning): the fleet bar.
  const fleet = new PrintServers([['p', 5, ['a', 'b', 'c', 'd', 'e'].map((h): [string, number[]] => [h, [10]])]], bars);
  assert.notEqual(fleet.established('p', 'x'), null);
  assert.equal(fleet.established('p', 'a'), null);
  assert.equal(fleet.established('q', 'x'), null);
});

void test('the print-server statistic is bounded, ages with the window, survives a save and reaches the model', () => {
  const stats = new RoutineStats();
  for (let d = 0; d < 3; d++) for (let h = 0; h < 30; h++) stats.observe(T0 + d * DAY + h, `10.20.0.${h}`, 'clinic', 'spoolss', 'RpcOpenPrinterEx', PRINT_SERVER);
  // A host asked once by one caller, and a call on another interface: neither is in the model.
  stats.observe(T0 + DAY, '10.20.0.1', 'clinic', 'spoolss', 'RpcOpenPrinter', DC);
  stats.observe(T0 + DAY, '10.20.0.1', 'clinic', 'netlogon', 'NetrLogonSamLogonEx', '10.1.0.2');
  const entries = stats.profile().printServers ?? [];
  assert.deepEqual(entries.map(([responder, callers, days]) => [responder, callers, days.length]), [[PRINT_SERVER, 25, 24]]);
  assert.ok(entries[0]?.[2].every(([, days]) => days.length === 3));
  const restored = RoutineStats.fromJSON(JSON.parse(JSON.stringify(stats.toJSON())));
  assert.deepEqual(restored.profile().printServers, entries);
  assert.equal([...stats.jsonPieces()].join(''), JSON.stringify(stats.toJSON()));
  const index = new RoutineIndex(stats.profile());
  assert.notEqual(index.printServer(PRINT_SERVER, '10.30.0.1'), null);
  assert.equal(index.printServer(DC, '10.30.0.1'), null);
  // Aged past every day but the last: 24 callers on one day are still past the fleet bar (8 on 30 hosts).
  stats.prune(T0 + 2 * DAY);
  const aged = stats.profile().printServers ?? [];
  assert.ok(aged[0]?.[2].every(([, days]) => days.length === 1));
  stats.prune(T0 + 3 * DAY);
  assert.deepEqual(stats.profile().printServers, []);

  const bounded = new PrintServerStats();
  for (let r = 0; r < 5000; r++) bounded.observe(`10.9.${r >> 8}.${r & 255}`, '10.20.0.1', 0);
  assert.equal(bounded.toJSON().responders.length, 4096);
  assert.equal(bounded.overflowed, 5000 - 4096);
});

void test('a model document with a malformed printServers member is refused', async () => {
  const config = parseConfigText(CONFIG, 'print.ini');
  const model = await trainedModel(config, week(null));
  assert.ok((model.routine?.printServers?.length ?? 0) > 0);
  const text = serializeModel(model);
  assert.deepEqual(parseModel(text, 'm.json').routine?.printServers, model.routine?.printServers);
  const doc = JSON.parse(text) as { routine: { printServers: unknown } };
  doc.routine.printServers = [[PRINT_SERVER, 3, [['10.20.0.1', ['monday']]]]];
  assert.throws(() => parseModel(JSON.stringify(doc), 'm.json'), /routine\.printServers\[0\]\[2\]\[0\]\[1\]\[0\]/);
});
