/**
 * `score` throughput end to end (read, parse, features, score, format, write) on a generated
 * 1,000,000-line dce_rpc.log, timed through the command's own `run()` with the arguments a user
 * would type, next to a plain createReadStream + split-to-strings pass over the same file in the
 * same run (the machine is shared and noisy: only ratios compare between runs). Stage variants
 * built on the same reader say where the time goes: codec scan, + features, + scoring, and the
 * formatting cost if every record were an anomaly. Each figure is the best of ROUNDS passes,
 * interleaved so every variant sees the same machine conditions.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as generate } from '../src/cli/generate.js';
import { run as score } from '../src/cli/score.js';
import { run as train } from '../src/cli/train.js';
import { quietly } from './quietly.js';
import { loadConfigOption, readRecords } from '../src/cli/_common.js';
import { loadModel } from '../src/model/index.js';
import { ANOMALY_SCHEMA, anomalyValues, RecordEvaluator, scoringRuleFrom } from '../src/score/index.js';
import { createAnomalyFormatter } from '../src/sink/index.js';
import { LineSplitter } from '../src/zeek/line-splitter.js';

const LINES = 1_000_000;
const ROUNDS = 3;
/** The goal: at least this many records/s end to end, aiming at 1,000,000. */
const FLOOR_PER_S = 500_000;

interface Variant {
  label: string;
  /** Slow context-only variants run in the first round only. */
  firstRoundOnly?: boolean;
  /** Runs one pass; returns the records (or lines) it handled. */
  pass: () => Promise<number>;
  seconds: number;
  count: number;
}

const variant = (label: string, pass: Variant['pass'], firstRoundOnly = false): Variant => ({ label, pass, seconds: Infinity, count: 0, firstRoundOnly });

async function splitToStrings(path: string): Promise<number> {
  const splitter = new LineSplitter();
  let lines = 0;
  let chars = 0;
  const onLine = (bytes: Buffer): void => {
    chars += bytes.toString('utf8').length;
    lines += 1;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    splitter.push(chunk as Buffer, onLine, () => undefined);
  }
  splitter.finish(onLine, () => undefined);
  return chars >= 0 ? lines : 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zeek-score-bench-'));
  try {
    const log = join(dir, 'dce_rpc.log');
    const groups = join(dir, 'ip_groups.ini');
    const ini = join(dir, 'bench.ini');
    const model = join(dir, 'model.json');
    const out = join(dir, 'anomalies.log');
    await quietly('generate', () => generate(['--rows', String(LINES), '--seed', '3', '-o', log, '--ip-groups', groups]));
    // The network of samples/sample.ini: generated groups plus the sample's feature settings.
    writeFileSync(ini, `[features]\nfold_pipe_case = true\nip_group_fallback = label\n\n${readFileSync(groups, 'utf8')}`);
    await quietly('train', () => train(['-c', ini, '-o', model, log]));
    process.stdout.write(`generated ${LINES} records (${(readFileSync(log).length / 1e6).toFixed(1)} MB), model trained on 1 in 20\n`);

    const config = await loadConfigOption(ini);
    const trained = await loadModel(model);
    const newEvaluator = (): RecordEvaluator =>
      new RecordEvaluator({ model: trained, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow });

    const baseline = variant('baseline: createReadStream + split to strings', () => splitToStrings(log));
    const scan = variant('stage: codec scan → DceRpcRecord (readRecords)', async () => {
      let n = 0;
      await readRecords([log], () => {
        n += 1;
      });
      return n;
    });
    const features = variant('stage: + features (extractInto)', async () => {
      const extractor = newEvaluator().extractor;
      const row = new Array<string>(extractor.names.length).fill('');
      let n = 0;
      await readRecords([log], (record) => {
        extractor.extractInto(record, row);
        n += 1;
      });
      return n;
    });
    const scoring = variant('stage: + scoring (RecordEvaluator.evaluate)', async () => {
      const evaluator = newEvaluator();
      let n = 0;
      let anomalous = 0;
      await readRecords([log], (record) => {
        if (evaluator.evaluate(record).verdict.anomalous) anomalous += 1;
        n += 1;
      });
      return anomalous >= 0 ? n : 0;
    });
    const formatAll = variant('worst case: + format every record as an anomaly', async () => {
      const evaluator = newEvaluator();
      const formatter = createAnomalyFormatter({ format: config.output.format, schema: ANOMALY_SCHEMA });
      let chars = 0;
      let n = 0;
      await readRecords([log], (record) => {
        const evaluation = evaluator.evaluate(record);
        chars += formatter.record(anomalyValues(record, evaluation.context, evaluation.verdict, trained)).length;
        n += 1;
      });
      return chars > 0 ? n : 0;
    }, true);
    const endToEnd = variant('score run(): -c INI -m MODEL -o OUT LOG', async () => {
      await quietly('score', () => score(['-c', ini, '-m', model, '-o', out, log]));
      return LINES;
    });
    const variants = [baseline, scan, features, scoring, formatAll, endToEnd];
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        if (round > 0 && v.firstRoundOnly === true) continue;
        globalThis.gc?.();
        const started = process.hrtime.bigint();
        v.count = await v.pass();
        v.seconds = Math.min(v.seconds, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
    const rate = (v: Variant): number => v.count / v.seconds;
    for (const v of variants) {
      process.stdout.write(
        `  ${v.label.padEnd(50)} ${(rate(v) / 1e6).toFixed(2)} M/s  ${(v.seconds * 1000).toFixed(0).padStart(5)} ms  (best of ${v.firstRoundOnly === true ? 1 : ROUNDS}, ${v.count} items)\n`,
      );
    }
    const perRecordNs = (v: Variant): number => (v.seconds / v.count) * 1e9;
    process.stdout.write(
      `where the time goes (ns/record): codec scan ${perRecordNs(scan).toFixed(0)}, features ` +
        `${(perRecordNs(features) - perRecordNs(scan)).toFixed(0)}, scoring ${(perRecordNs(scoring) - perRecordNs(features)).toFixed(0)}, ` +
        `formatting if every record alerted ${(perRecordNs(formatAll) - perRecordNs(scoring)).toFixed(0)}, ` +
        `rest of run() (setup, ${readFileSync(out, 'utf8').split('\n').filter((l) => !l.startsWith('#') && l !== '').length} anomalies written) ` +
        `${(perRecordNs(endToEnd) - perRecordNs(scoring)).toFixed(0)}\n`,
    );
    const ratio = rate(endToEnd) / rate(baseline);
    const met = rate(endToEnd) >= FLOOR_PER_S;
    process.stdout.write(
      `score end to end: ${Math.round(rate(endToEnd))} records/s vs baseline ${Math.round(rate(baseline))} lines/s = ` +
        `${(ratio * 100).toFixed(0)}% of read-and-split  [target ≥ ${FLOOR_PER_S} records/s: ${met ? 'MET' : 'NOT MET'}; aim 1000000]\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
