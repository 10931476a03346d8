/**
 * Issue 18, shipping proven: rsyslog (imfile) and syslog-ng (wildcard-file()) follow
 * anomalies.log, with the configs shipped in config/, while the daemon rotates it every second
 * (at least 50 times), logrotate moves it once (with SIGHUP) and it is deleted once. Every
 * anomaly must arrive at the receiver exactly once and byte for byte. Both shippers run at the
 * same time (each with its own daemon), so the file costs one run's wall time.
 *
 * The shippers come from Debian's archive, unpacked by test/shipping/install-shippers.sh (.ci/run
 * runs it). Where they are absent the tests skip, saying why, unless ZAD_SHIPPER_TEST=require
 * or CI=true as root. ZAD_SHIPPING_ROTATIONS raises the number of rotations (default 50),
 * ZAD_SHIPPING_SEED replays a run's event timing and format, ZAD_SHIPPING_FORMAT=json|zeek fixes
 * the format.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test, type TestContext } from 'node:test';
import { RSYSLOG, SYSLOG_NG, runShippingScenario, shippersRequired } from './harness.js';
import type { ScenarioReport, Shipper } from './harness.js';

const ROTATIONS = Number(process.env.ZAD_SHIPPING_ROTATIONS ?? 50);
// A fresh seed each run (printed), so runs differ in when the move and the delete happen;
// ZAD_SHIPPING_SEED replays one.
const EVENT_SEED = Number(process.env.ZAD_SHIPPING_SEED ?? Math.floor(Math.random() * 2 ** 31));

function describeReport(report: ScenarioReport): string {
  const s = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(2)} s`);
  return (
    `${report.shipper} (format = ${report.format}): ${report.written} anomalies written, ${report.received} lines received over ${report.connections} connection(s); ` +
    `${report.missing} lost, ${report.duplicated} duplicated, ${report.foreign.length} torn or altered; ` +
    `${report.rotations} rotations, ${report.logrotateMoves} logrotate move, ${report.deletes} delete; ` +
    `last anomaly arrived ${s(report.lastArrivalS)} after its record was written (median ${s(report.medianArrivalS)}, worst ${s(report.maxArrivalS)}); ` +
    `wall ${report.wallS.toFixed(1)} s`
  );
}

let anyFailed = false;

function shippingTest(shipper: Shipper, seed: number): void {
  void test(`${shipper.name} forwards every anomaly exactly once across ${ROTATIONS} rotations, a logrotate move and a delete`, { timeout: 240_000 }, async (t) => {
    try {
      await scenario(shipper, seed, t);
    } catch (error) {
      anyFailed = true;
      throw error;
    }
  });
}

async function scenario(shipper: Shipper, seed: number, t: TestContext): Promise<void> {
  const located = shipper.locate();
  if (typeof located === 'string') {
    if (shippersRequired()) assert.fail(`${shipper.name} cannot run and is required (ZAD_SHIPPER_TEST=require or CI as root): ${located}`);
    t.skip(`${shipper.name}: ${located}`);
    return;
  }
  const eventSeed = EVENT_SEED + seed;
  // Each run ships one format per shipper, drawn from the seed, so runs cover both.
  const format = (process.env.ZAD_SHIPPING_FORMAT as 'json' | 'zeek' | undefined) ?? (eventSeed % 2 === 0 ? 'json' : 'zeek');
  const report = await runShippingScenario(shipper, located, { rotations: ROTATIONS, perSecond: 100, trainingRecords: 2_000, seed, eventSeed, format });
  t.diagnostic(`${describeReport(report)}; event seed ${eventSeed} (replay: ZAD_SHIPPING_SEED=${EVENT_SEED})`);
  t.diagnostic(report.events.join('; '));
  if (report.missing + report.duplicated > 0) t.diagnostic(`missing records: ${report.missingRanges}; duplicated: ${report.duplicatedRanges}; ${report.events.join(', ')}`);
  const detail = `${describeReport(report)}\n${report.events.join(', ')}\nmissing records: ${report.missingRanges}\nduplicated records: ${report.duplicatedRanges}\nforeign lines (first 3): ${report.foreign.slice(0, 3).join('\n')}\n--- ${shipper.name} output:\n${report.shipperOutput}`;
  assert.ok(report.rotations >= ROTATIONS, detail);
  assert.equal(report.logrotateMoves, 1, detail);
  assert.equal(report.deletes, 1, detail);
  assert.equal(report.expectedLines, report.written, `the daemon scored every record once\n${detail}`);
  assert.equal(report.foreign.length, 0, `every line arrives whole and unaltered\n${detail}`);
  assert.equal(report.missing, 0, `no anomaly lost\n${detail}`);
  assert.equal(report.duplicated, 0, `no anomaly repeated\n${detail}`);
  assert.equal(report.received, report.written, detail);
}

void describe('log shippers across our rotation', { concurrency: true }, () => {
  shippingTest(RSYSLOG, 11);
  shippingTest(SYSLOG_NG, 12);
  // A shipper that forks, or a failed scenario that leaves a pipe open, must never keep this
  // file (and so `npm test` and CI) alive: once the tests are done, anything still running is
  // killed and the file exits with the runner's verdict after a grace period.
  after(() => {
    setTimeout(() => {
      spawnSync('pkill', ['-KILL', '-P', String(process.pid)]);
      process.exit(anyFailed ? 1 : (process.exitCode ?? 0));
    }, 30_000).unref();
  });
});
