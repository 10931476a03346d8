/**
 * `zeek-anomalyd eval --sweep N`: detection over many generated network personalities
 * (src/generate/personality.ts), with the seeds used for tuning reported apart from the held-out
 * ones. For each seed and each training situation, every rule is measured on the whole week:
 * recall of attack uids, false alerts per 10,000 normal records and per week. Networks of at
 * least 50,000 records a week are judged per 10k, smaller ones per week (docs/detection.md).
 *
 * Training situations:
 * - `all records`: trained on every record of the week, attacks included (the daemon's situation
 *   after a retrain whose window took in the attack);
 * - `attack-free days`: trained on the days without any attack record, scored on the whole week.
 *
 * With `historyDays` H each network is H + `days` days long, as the daemon sees it after a
 * retrain (its window keeps `window_max_age`, 14 days by default): both situations train on the
 * whole span, and only the last `days` days (the scored days) are measured. The generator puts the
 * campaign and the rare benign events inside the scored days, so every seed is judged on them.
 */
import { parseConfigText, type Config } from '../config/index.js';
import { DEFAULT_START_TS } from '../generate/generator.js';
import { generatePersonalityWeek, renderPersonalityIni, type LabelledRecord, type Personality } from '../generate/index.js';
import { BzarBaseline, SigmaBaseline, type BaselineRule } from '../score/baselines.js';
import { RecordEvaluator, scoringRuleFrom } from '../score/index.js';
import { TrainingWindow } from '../state/index.js';
import { fitTrainingSet, trainingSetBuilder, trainPlan } from './_training.js';

/** Seeds the rules were designed and tuned on. Never judge on these. */
export const TUNING_SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
/**
 * First held-out seed by default: 2001, 2002, … Seeds 1001-1020 were the held-out set of sessions
 * 1 and 2 and, seen twice, are now development seeds (with 101-112): debugged on, never judged on.
 */
export const HELD_OUT_FIRST = 2001;
/** First development seed: seen while debugging, reported apart from tuning and held-out. */
export const DEVELOPMENT_FIRST = 1001;
/** A network is judged per 10k normal records from this weekly volume up, per week below it. */
export const BIG_NETWORK_RECORDS = 50_000;

export interface SweepOptions {
  tuning: number[];
  /** Seeds looked at while debugging (neither tuned on nor judged on). @default [] */
  development?: number[];
  heldOut: number[];
  /** Cap on the drawn weekly volume (time). */
  maxRecordsPerWeek: number;
  days: number;
  /** Days of history before the scored days: trained on, never measured. @default 0 */
  historyDays?: number;
  /** Called with a line of progress per seed (stderr). */
  progress?: (line: string) => void;
}

/** One rule on one seed in one training situation. */
export interface SweepResult {
  seed: number;
  set: SeedSet;
  mode: string;
  rule: string;
  /** Days trained on but not measured, then days measured. */
  historyDays: number;
  scoredDays: number;
  /** Every record of the network, history included. */
  records: number;
  recordsPerWeek: number;
  attackUids: number;
  detectedUids: number;
  falseAlerts: number;
  normalRecords: number;
  missed: Record<string, number>;
}

const MODES = ['all records', 'attack-free days'] as const;

/** What a seed was used for. */
export type SeedSet = 'tuning' | 'development' | 'held-out';
const SETS: readonly SeedSet[] = ['held-out', 'development', 'tuning'];

/** Runs the sweep; returns one result per seed × mode × rule. */
export async function runSweep(options: SweepOptions): Promise<SweepResult[]> {
  const results: SweepResult[] = [];
  const seeds: [number, SeedSet][] = [
    ...options.tuning.map((s): [number, SeedSet] => [s, 'tuning']),
    ...(options.development ?? []).map((s): [number, SeedSet] => [s, 'development']),
    ...options.heldOut.map((s): [number, SeedSet] => [s, 'held-out']),
  ];
  const historyDays = options.historyDays ?? 0;
  for (const [seed, set] of seeds) {
    const started = performance.now();
    const { personality, records } = generatePersonalityWeek({
      seed,
      startTs: DEFAULT_START_TS,
      days: historyDays + options.days,
      maxRecordsPerWeek: options.maxRecordsPerWeek,
      ...(historyDays > 0 ? { eventsFromDay: historyDays } : {}),
    });
    const config = parseConfigText(renderPersonalityIni(personality), `personality-${seed}.ini`);
    const attackDays = new Set(records.filter((r) => r.scenario !== null).map(spanDay));
    const recordsPerWeek = Math.round((records.length * 7) / (historyDays + options.days));
    const scored = scoredRecords(records, personality, historyDays);
    const base = { seed, set, historyDays, scoredDays: options.days, records: records.length, recordsPerWeek };
    for (const mode of MODES) {
      const training = mode === 'all records' ? records : records.filter((r) => !attackDays.has(spanDay(r)));
      if (training.length === 0) continue;
      const evaluators = await rulesFor(config, training);
      for (const [rule, judge] of evaluators) results.push({ ...base, mode, rule, ...measure(scored, judge) });
    }
    for (const baseline of [new BzarBaseline(), new SigmaBaseline()]) {
      const measured = measure(scored, baselineJudge(baseline));
      for (const mode of MODES) results.push({ ...base, mode, rule: baseline.name, ...measured });
    }
    const own = results.filter((r) => r.seed === seed && r.rule === 'default (technique)');
    options.progress?.(
      `sweep: seed ${seed} (${set}): ${records.length} records, ${personality.groups.length} groups, ${own[0]?.attackUids ?? 0} attack uids; default ` +
        own.map((r) => `${r.mode}: ${r.detectedUids}/${r.attackUids} found, ${r.falseAlerts} false`).join('; ') +
        ` (${Math.round(performance.now() - started)} ms)`,
    );
  }
  return results;
}

/**
 * The records of the scored days: from the network's local midnight of day `historyDays` on (the
 * generator's days, habits and campaign alike, are local days, so an attack at 02:00 local time on
 * the first scored day is scored even where that is the previous UTC day). Without history, every
 * record of the span.
 */
export function scoredRecords(records: readonly LabelledRecord[], personality: Personality, historyDays: number): readonly LabelledRecord[] {
  if (historyDays <= 0) return records;
  const from = DEFAULT_START_TS + historyDays * 86_400 - personality.tzOffsetHours * 3600;
  return records.filter((r) => r.ts >= from);
}

/** The UTC day of the span a record falls on (0 = the first). */
const spanDay = (record: LabelledRecord): number => Math.floor((record.ts - DEFAULT_START_TS) / 86_400);

type Judge = (record: LabelledRecord) => boolean;

export async function rulesFor(config: Config, training: readonly LabelledRecord[]): Promise<[string, Judge][]> {
  // Default settings: sample_every = auto keeps every record of a week up to window_max_rows.
  const plan = trainPlan(config, {});
  const builder = trainingSetBuilder(config);
  const window = new TrainingWindow({ maxRows: config.training.windowMaxRows, maxAgeMs: 0, whenFull: 'thin' });
  for (const record of training) {
    builder.add(record, false);
    window.offer(record);
  }
  for (const row of window.records()) builder.addRow(row);
  const { model } = await fitTrainingSet(config, plan, builder, { records: training.length, parseErrors: 0, files: 0, skippedFiles: 0 });
  const judge = (evaluator: RecordEvaluator): Judge => (record) => evaluator.evaluate(record).verdict.anomalous;
  return [
    ['default (technique)', judge(new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: [], followFanout: true }))],
    ['notebook: distance > 5', judge(new RecordEvaluator({ model, rule: { kind: 'distance', threshold: 5 }, features: config.features, allow: [] }))],
  ];
}

function baselineJudge(baseline: BaselineRule): Judge {
  return (record) => baseline.flags(record);
}

function measure(records: readonly LabelledRecord[], judge: Judge): Omit<SweepResult, 'seed' | 'set' | 'mode' | 'rule' | 'historyDays' | 'scoredDays' | 'records' | 'recordsPerWeek'> {
  const attack = new Map<string, string>();
  const detected = new Set<string>();
  let falseAlerts = 0;
  let normalRecords = 0;
  for (const record of records) {
    const flagged = judge(record);
    if (record.scenario !== null && record.uid !== null) {
      attack.set(record.uid, record.scenario);
      if (flagged) detected.add(record.uid);
    } else {
      normalRecords += 1;
      if (flagged) falseAlerts += 1;
    }
  }
  const missed: Record<string, number> = {};
  for (const [uid, scenario] of attack) if (!detected.has(uid)) missed[scenario] = (missed[scenario] ?? 0) + 1;
  return { attackUids: attack.size, detectedUids: detected.size, falseAlerts, normalRecords, missed };
}

const median = (values: number[]): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The sweep's table: per training situation, seed set and rule. */
export function renderSweep(results: readonly SweepResult[], options: SweepOptions): string {
  const historyDays = options.historyDays ?? 0;
  const span =
    historyDays > 0
      ? `${historyDays + options.days} days each (${historyDays} days of history, trained on, then ${options.days} scored days, measured; campaign and rare events in the scored days)`
      : `${options.days} days each`;
  const lines: string[] = [
    `sweep over ${options.tuning.length + (options.development?.length ?? 0) + options.heldOut.length} personality seeds, ${span}, weekly volume capped at ${options.maxRecordsPerWeek}`,
    `tuning seeds: ${options.tuning.join(' ') || '-'}`,
    ...(options.development === undefined || options.development.length === 0 ? [] : [`development seeds (debugged on, not judged on): ${options.development.join(' ')}`]),
    `held-out seeds: ${options.heldOut.join(' ') || '-'}`,
    `recall = attack uids with a flagged record${historyDays > 0 ? ', false alerts per week = count * 7 / scored days, both over the scored days only' : ''}; big networks (>= ${BIG_NETWORK_RECORDS} records/week) judged per 10k normal records, small ones per week`,
  ];
  const header = ['rule', 'seeds', 'recall med', 'recall worst', 'big: false/10k med', 'worst', 'small: false/week med', 'worst', 'missed uids by scenario'];
  for (const mode of MODES) {
    for (const set of SETS) {
      const rows: string[][] = [header];
      const rules = [...new Set(results.filter((r) => r.mode === mode && r.set === set).map((r) => r.rule))];
      for (const rule of rules) {
        const runs = results.filter((r) => r.mode === mode && r.set === set && r.rule === rule);
        const recall = runs.filter((r) => r.attackUids > 0).map((r) => r.detectedUids / r.attackUids);
        const big = runs.filter((r) => r.recordsPerWeek >= BIG_NETWORK_RECORDS).map((r) => (r.normalRecords === 0 ? 0 : (r.falseAlerts / r.normalRecords) * 10_000));
        const small = runs.filter((r) => r.recordsPerWeek < BIG_NETWORK_RECORDS).map((r) => (r.falseAlerts * 7) / options.days);
        const missed: Record<string, number> = {};
        for (const run of runs) for (const [scenario, n] of Object.entries(run.missed)) missed[scenario] = (missed[scenario] ?? 0) + n;
        const fmt = (v: number, digits: number): string => (Number.isNaN(v) ? '-' : v.toFixed(digits));
        rows.push([
          rule,
          `${runs.length} (${big.length} big)`,
          fmt(median(recall) * 100, 1) + '%',
          fmt(Math.min(...recall) * 100, 1) + '%',
          fmt(median(big), 2),
          big.length === 0 ? '-' : fmt(Math.max(...big), 2),
          fmt(median(small), 1),
          small.length === 0 ? '-' : fmt(Math.max(...small), 1),
          Object.entries(missed).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(', ') || '-',
        ]);
      }
      if (rows.length > 1) lines.push('', `training on ${mode}, ${set} seeds:`, ...table(rows));
    }
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.map((row) => row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ').trimEnd());
}
