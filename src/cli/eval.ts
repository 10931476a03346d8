/**
 * `zeek-anomalyd eval`: train on the logs, score them under every rule, and measure each rule
 * against labelled attack uids: recall per scenario, false alerts per 10,000 normal records,
 * precision and alert rate. This is how the default rule was chosen (docs/detection.md).
 */
import { readFile } from 'node:fs/promises';
import { DaemonError, EXIT, messageOf } from '../errors.js';
import { RecordEvaluator, scoringRuleFrom, type ScoringRule } from '../score/index.js';
import type { Config } from '../config/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { BzarBaseline, SigmaBaseline, type BaselineRule } from '../score/baselines.js';
import { HUNT_USAGE, huntArchive, huntPlan, intOption, loadConfigOption, parseCommandArgs, runCommand, UsageError } from './_common.js';
import { readArchive } from '../hunt/index.js';
import { DEVELOPMENT_FIRST, HELD_OUT_FIRST, renderSweep, runSweep, TUNING_SEEDS } from './sweep.js';
import { TRAINING_COMMAND_OPTIONS, trainFromLogs, trainPlan } from './_training.js';

export const summary = 'train, score and measure detection against labelled attack uids';

const USAGE = `usage: zeek-anomalyd eval [-c INI] --labels FILE [--k N] [--n-init N] [--init huang|cao]
                          [--seed N] [--sample N|auto] [-j N] [--since TIME] [--until TIME]
                          [--json] LOG...
       zeek-anomalyd eval --sweep N [--tuning N] [--dev N] [--held-out-from S] [--max-records N]
                          [--days D] [--history-days H] [--json]

Trains on the logs (as 'train'), scores every record under each rule, and prints recall per
labelled scenario, false alerts per 10,000 normal records, precision and alert rate.
  --labels FILE   attack uids, one per line: UID [TAB SCENARIO]; '#' starts a comment
  --json          one JSON object per rule instead of the table
  BZAR-style and Sigma-style signature baselines are measured beside the rules.

  --sweep N       instead: generate N held-out network personalities (seeds 2001..) and the
                  tuning ones (seeds 1..10), train each with default settings on every record
                  and on its attack-free days, and print median and worst recall and false alerts
                  per rule (docs/detection.md)
  --tuning N      how many tuning seeds to include (default 10; 0 = held-out only)
  --dev N         also N development seeds (1001.., seen while debugging; reported apart)
  --held-out-from S  first held-out seed (default ${HELD_OUT_FIRST}; never tune on these)
  --max-records N cap on a personality's weekly volume (default 1000000)
  --days D        days per generated network (default 7); with --history-days, the scored days
  --history-days H  H days of history before the D scored days (default 0): each network is H + D
                  days, both situations train on the whole span (as the daemon does after a
                  retrain, with window_max_age 14 days), the campaign and rare benign events fall
                  in the scored days, and only those are measured (false/week = count * 7 / D)
${HUNT_USAGE}`;

/** Attack uid → scenario name. */
export function parseLabels(text: string, file: string): Map<string, string> {
  const labels = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [uid, scenario, ...rest] = line.split(/\s+/);
    if (uid === undefined || rest.length > 0) {
      throw new DaemonError('ERR_INPUT_UNREADABLE', `eval: ${file}:${index + 1}: expected 'UID [SCENARIO]'`);
    }
    labels.set(uid, scenario ?? 'attack');
  });
  if (labels.size === 0) throw new DaemonError('ERR_INPUT_UNREADABLE', `eval: ${file}: no labelled uids`);
  return labels;
}

/** The rules compared: the configured one, the notebook's, and each rule kind at its configured setting. */
function rulesToCompare(config: Config): [string, ScoringRule][] {
  const rules: [string, ScoringRule][] = [
    ['configured', scoringRuleFrom(config.scoring)],
    ['notebook: distance > 5', { kind: 'distance', threshold: 5 }],
    ['technique', { kind: 'technique', minSupport: config.scoring.minSupport, alertRate: 0 }],
    [`technique or rate ${(config.scoring.alertRate * 100).toPrecision(2)}%`, { kind: 'technique', minSupport: config.scoring.minSupport, alertRate: config.scoring.alertRate }],
    [`rate ${(config.scoring.alertRate * 100).toPrecision(2)}%`, { kind: 'rate', alertRate: config.scoring.alertRate }],
  ];
  if (config.scoring.rarityThreshold !== null) {
    rules.push([`rarity > ${config.scoring.rarityThreshold}`, { kind: 'rarity', thresholdBits: config.scoring.rarityThreshold }]);
  }
  return rules;
}

interface RuleTally {
  name: string;
  rule: ScoringRule;
  evaluator: RecordEvaluator;
  flaggedRecords: number;
  flaggedAttackRecords: number;
  suppressed: number;
  flaggedUids: Set<string>;
}

/** Measurements of one rule. */
export interface RuleReport {
  rule: string;
  recall: number;
  attack_uids: number;
  detected_uids: number;
  false_alerts: number;
  false_alerts_per_10k: number;
  precision: number;
  alert_rate: number;
  suppressed: number;
  scenarios: Record<string, { detected: number; uids: number }>;
}

export async function run(args: string[]): Promise<number> {
  return runCommand('eval', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        ...TRAINING_COMMAND_OPTIONS,
        labels: { type: 'string' },
        sweep: { type: 'string' },
        tuning: { type: 'string' },
        dev: { type: 'string' },
        'held-out-from': { type: 'string' },
        'max-records': { type: 'string' },
        days: { type: 'string' },
        'history-days': { type: 'string' },
      },
      USAGE,
      true,
    );
    if (parsed === null) return EXIT.ok;
    const { values, positionals } = parsed;
    if (values.sweep !== undefined) {
      const heldOut = intOption('sweep', values.sweep, 0) ?? 0;
      const tuning = intOption('tuning', values.tuning, 0) ?? TUNING_SEEDS.length;
      const development = intOption('dev', values.dev, 0) ?? 0;
      const heldOutFrom = intOption('held-out-from', values['held-out-from'], 1) ?? HELD_OUT_FIRST;
      const options = {
        tuning: TUNING_SEEDS.slice(0, tuning),
        development: Array.from({ length: development }, (_, i) => DEVELOPMENT_FIRST + i),
        heldOut: Array.from({ length: heldOut }, (_, i) => heldOutFrom + i),
        maxRecordsPerWeek: intOption('max-records', values['max-records'], 100) ?? 1_000_000,
        days: intOption('days', values.days, 1) ?? 7,
        historyDays: intOption('history-days', values['history-days'], 0) ?? 0,
        progress: (line: string) => process.stderr.write(`${line}\n`),
      };
      const results = await runSweep(options);
      if (values.json) for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(renderSweep(results, options));
      return EXIT.ok;
    }
    if (values.labels === undefined) throw new UsageError('--labels FILE is required');
    if (positionals.length === 0) throw new UsageError('no LOG given');
    let labelText: string;
    try {
      labelText = await readFile(values.labels, 'utf8');
    } catch (error) {
      throw new DaemonError('ERR_INPUT_UNREADABLE', `eval: cannot read ${values.labels}: ${messageOf(error)}`);
    }
    const labels = parseLabels(labelText, values.labels);
    const config = await loadConfigOption(values.config);
    const plan = trainPlan(config, values);
    const hunt = huntPlan(values);
    const archive = huntArchive(positionals, hunt);
    const { model, clusterNote } = await trainFromLogs(config, plan, archive, hunt.threads);
    if (clusterNote !== null) process.stderr.write(`eval: ${clusterNote}\n`);

    const tallies: RuleTally[] = rulesToCompare(config).map(([name, rule]) => ({
      name,
      rule,
      evaluator: new RecordEvaluator({ model, rule, features: config.features, allow: config.allow, followFanout: true }),
      flaggedRecords: 0,
      flaggedAttackRecords: 0,
      suppressed: 0,
      flaggedUids: new Set(),
    }));
    const baselines = [new BzarBaseline(), new SigmaBaseline()].map((baseline: BaselineRule) => ({
      baseline,
      tally: { name: baseline.name, flaggedRecords: 0, flaggedAttackRecords: 0, flaggedUids: new Set<string>() },
    }));
    const presentAttackUids = new Set<string>();
    let normalRecords = 0;
    const totals = await readArchive(
      archive,
      (record: DceRpcRecord) => {
        const isAttack = record.uid !== null && labels.has(record.uid);
        if (isAttack) presentAttackUids.add(record.uid as string);
        else normalRecords += 1;
        for (const { baseline, tally } of baselines) {
          if (!baseline.flags(record)) continue;
          tally.flaggedRecords += 1;
          if (isAttack) {
            tally.flaggedAttackRecords += 1;
            tally.flaggedUids.add(record.uid as string);
          }
        }
        for (const tally of tallies) {
          const { verdict, suppressedBy } = tally.evaluator.evaluate(record);
          if (!verdict.anomalous) continue;
          if (suppressedBy !== undefined) {
            tally.suppressed += 1;
            continue;
          }
          tally.flaggedRecords += 1;
          if (isAttack) {
            tally.flaggedAttackRecords += 1;
            tally.flaggedUids.add(record.uid as string);
          }
        }
      },
      { threads: hunt.threads, progress: 'scoring' },
    );
    const reports = [...tallies, ...baselines.map(({ tally }) => ({ ...tally, suppressed: 0 }))].map((tally): RuleReport => {
      const scenarios: Record<string, { detected: number; uids: number }> = {};
      for (const uid of presentAttackUids) {
        const scenario = labels.get(uid) as string;
        const entry = (scenarios[scenario] ??= { detected: 0, uids: 0 });
        entry.uids += 1;
        if (tally.flaggedUids.has(uid)) entry.detected += 1;
      }
      const falseAlerts = tally.flaggedRecords - tally.flaggedAttackRecords;
      return {
        rule: tally.name,
        recall: presentAttackUids.size === 0 ? 0 : tally.flaggedUids.size / presentAttackUids.size,
        attack_uids: presentAttackUids.size,
        detected_uids: tally.flaggedUids.size,
        false_alerts: falseAlerts,
        false_alerts_per_10k: normalRecords === 0 ? 0 : (falseAlerts / normalRecords) * 10_000,
        precision: tally.flaggedRecords === 0 ? 0 : tally.flaggedAttackRecords / tally.flaggedRecords,
        alert_rate: totals.records === 0 ? 0 : tally.flaggedRecords / totals.records,
        suppressed: tally.suppressed,
        scenarios,
      };
    });
    if (values.json) {
      for (const report of reports) process.stdout.write(`${JSON.stringify({ model: model.modelId, records: totals.records, ...report })}\n`);
    } else {
      process.stdout.write(renderTable(reports, totals.records, normalRecords, model.modelId));
    }
    return totals.parseErrors > 0 ? EXIT.dataErrors : EXIT.ok;
  });
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** The human-readable report: one row per rule, then recall per scenario. */
export function renderTable(reports: RuleReport[], records: number, normal: number, modelId: string): string {
  const lines = [`model ${modelId}: ${records} records, ${records - normal} in labelled attack uids, ${normal} normal`, ''];
  const header = ['rule', 'recall', 'uids', 'false/10k', 'precision', 'alert rate', 'suppressed'];
  const rows = reports.map((r) => [
    r.rule,
    percent(r.recall),
    `${r.detected_uids}/${r.attack_uids}`,
    r.false_alerts_per_10k.toFixed(2),
    percent(r.precision),
    `${(r.alert_rate * 100).toFixed(3)}%`,
    String(r.suppressed),
  ]);
  lines.push(...table([header, ...rows]), '', 'recall per scenario (detected/attack uids):');
  const scenarios = [...new Set(reports.flatMap((r) => Object.keys(r.scenarios)))].sort();
  const scenarioRows = scenarios.map((s) => [
    s,
    ...reports.map((r) => {
      const entry = r.scenarios[s];
      return entry === undefined ? '-' : `${entry.detected}/${entry.uids}`;
    }),
  ]);
  lines.push(...table([['scenario', ...reports.map((r) => r.rule)], ...scenarioRows]));
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ').trimEnd());
}
