/**
 * `eval --sweep --history-days H`: networks of H + D days, trained on the whole span as the daemon
 * is after a retrain (window_max_age 14 days), measured on the last D days only. Development seed
 * 5002 (a one-week network of about 500 records, 16 groups); docs/detection.md "Networks with
 * history".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { DEFAULT_START_TS } from '../../src/generate/generator.js';
import { generatePersonalityWeek, renderPersonalityIni, type LabelledRecord } from '../../src/generate/index.js';
import { renderSweep, rulesFor, runSweep, type SweepResult } from '../../src/cli/sweep.js';

const SEED = 5002;
const DEFAULT_RULE = 'default (technique)';

const find = (results: readonly SweepResult[], mode: string, rule = DEFAULT_RULE): SweepResult => {
  const run = results.find((r) => r.mode === mode && r.rule === rule);
  assert.ok(run !== undefined, `${mode} ${rule} measured`);
  return run;
};

async function defaultJudge(seed: number, training: readonly LabelledRecord[], ini: string): Promise<(r: LabelledRecord) => boolean> {
  const rules = await rulesFor(parseConfigText(ini, `personality-${seed}.ini`), training);
  const judge = rules.find(([name]) => name === DEFAULT_RULE)?.[1];
  assert.ok(judge !== undefined);
  return judge;
}

void test('history 0 is the one-week sweep: the same results as without the option, every record of the week measured', async () => {
  const plain = await runSweep({ tuning: [], development: [SEED], heldOut: [], maxRecordsPerWeek: 1_000_000, days: 7 });
  const zero = await runSweep({ tuning: [], development: [SEED], heldOut: [], maxRecordsPerWeek: 1_000_000, days: 7, historyDays: 0 });
  assert.deepEqual(zero, plain);
  // Counted independently: the default rule trained on the whole week, judged on the whole week.
  const { personality, records } = generatePersonalityWeek({ seed: SEED, startTs: DEFAULT_START_TS, days: 7, maxRecordsPerWeek: 1_000_000 });
  const judge = await defaultJudge(SEED, records, renderPersonalityIni(personality));
  const run = find(zero, 'all records');
  const normal = records.filter((r) => r.scenario === null);
  assert.equal(run.records, records.length);
  assert.equal(run.normalRecords, normal.length);
  assert.equal(run.falseAlerts, normal.filter(judge).length);
  assert.equal(run.attackUids, new Set(records.filter((r) => r.scenario !== null).map((r) => r.uid)).size);
  assert.equal(run.historyDays, 0);
});

void test('with 7 days of history only the last 7 days are counted, and the campaign lies in them', async () => {
  const options = { tuning: [], development: [SEED], heldOut: [], maxRecordsPerWeek: 1_000_000, days: 7, historyDays: 7 };
  const results = await runSweep(options);
  const { personality, records } = generatePersonalityWeek({ seed: SEED, startTs: DEFAULT_START_TS, days: 14, maxRecordsPerWeek: 1_000_000, eventsFromDay: 7 });
  // The generator's days are the network's local days: day 7 starts at its local midnight.
  const scoredFrom = DEFAULT_START_TS + 7 * 86_400 - personality.tzOffsetHours * 3600;
  const history = records.filter((r) => r.ts < scoredFrom);
  const scored = records.filter((r) => r.ts >= scoredFrom);
  assert.ok(history.length > 300 && scored.length > 300, `both weeks carry traffic (${history.length} / ${scored.length})`);
  const attackUids = new Set(records.filter((r) => r.scenario !== null).map((r) => r.uid));
  assert.ok(attackUids.size > 0);
  assert.deepEqual(history.filter((r) => r.scenario !== null), [], 'no attack record in the history days');
  for (const run of results) {
    assert.equal(run.records, records.length, `${run.mode} ${run.rule}: the network is 14 days`);
    assert.equal(run.normalRecords, scored.filter((r) => r.scenario === null).length, `${run.mode} ${run.rule}: normal records of the scored days`);
    assert.equal(run.attackUids, attackUids.size, `${run.mode} ${run.rule}: every attack uid`);
    assert.equal(run.historyDays, 7);
    assert.equal(run.scoredDays, 7);
  }
  const text = renderSweep(results, options);
  assert.match(text, /14 days each \(7 days of history, trained on, then 7 scored days, measured/);
});

void test('with history the model is trained on it: share enumeration seen from 3 hosts on 4 days of the history week is not flagged in the scored week', async () => {
  const results = await runSweep({ tuning: [], development: [SEED], heldOut: [], maxRecordsPerWeek: 1_000_000, days: 7, historyDays: 7 });
  const { personality, records } = generatePersonalityWeek({ seed: SEED, startTs: DEFAULT_START_TS, days: 14, maxRecordsPerWeek: 1_000_000, eventsFromDay: 7 });
  const scoredFrom = DEFAULT_START_TS + 7 * 86_400 - personality.tzOffsetHours * 3600;
  const scored = records.filter((r) => r.ts >= scoredFrom);
  const shareEnum = (from: readonly LabelledRecord[]): LabelledRecord[] => from.filter((r) => r.scenario === null && r.operation === 'NetrShareEnum');
  // On this network workstations of several groups list the file server's shares now and then:
  // 3 hosts on 4 days in the history week, 2 hosts on 2 days in the scored week.
  const historyHosts = new Set(shareEnum(records.filter((r) => r.ts < scoredFrom)).map((r) => r.origHost));
  const scoredShareEnum = shareEnum(scored);
  assert.ok(historyHosts.size >= 3, `${historyHosts.size} hosts in the history week`);
  assert.ok(scoredShareEnum.length >= 2);
  const ini = renderPersonalityIni(personality);
  // Trained on the scored week alone (the one-week sweep's view), each of them is an alert.
  const lastWeekOnly = await defaultJudge(SEED, scored, ini);
  assert.ok(scoredShareEnum.every(lastWeekOnly), 'flagged without the history');
  const withHistory = await defaultJudge(SEED, records, ini);
  assert.ok(!scoredShareEnum.some(withHistory), 'not flagged with the history');
  const run = find(results, 'all records');
  const normalScored = scored.filter((r) => r.scenario === null);
  assert.equal(run.falseAlerts, normalScored.filter(withHistory).length);
  assert.ok(run.falseAlerts < normalScored.filter(lastWeekOnly).length, `${run.falseAlerts} false alerts with the history`);
});
