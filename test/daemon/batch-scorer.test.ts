/**
 * The daemon's per-batch work as a unit, in this process: real Zeek TSV lines in, the counts,
 * the sampled rows, the routine statistics and the anomaly lines out, checked against the
 * evaluator and formatter the offline `score` command uses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { BatchScorer } from '../../src/daemon/batch-scorer.js';
import { FeatureExtractor, TrainingSampler } from '../../src/features/index.js';
import type { Logger } from '../../src/log.js';
import { ANOMALY_SCHEMA, anomalyValues, RecordEvaluator, RoutineStats, scoringRuleFrom, trainModel, TrainingSetBuilder } from '../../src/score/index.js';
import { createAnomalyFormatter } from '../../src/sink/index.js';
import type { LineBatch } from '../../src/tail/index.js';
import { DCE_RPC_SCHEMA, DceRpcLineDecoder, formatTsvHeader, formatTsvRecord, type DceRpcRecord, type ZeekSchema, type ZeekValue } from '../../src/zeek/index.js';

// Every record is unusual at this rarity threshold; one host's are allow-listed.
const config = parseConfigText(
  ['[scoring]', 'rule = rarity', 'rarity_threshold = 0.000001', '[allow.scanner]', 'orig_host = 10.0.1.2', 'reason = the inventory scanner', ''].join('\n'),
  'batch-scorer.ini',
);
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** `n` dce_rpc records over a few hosts, pipes and operations (values in DCE_RPC_SCHEMA order). */
function records(n: number, uidPrefix: string): ZeekValue[][] {
  const operations = ['NetrShareEnum', 'LsarLookupNames', 'SamrConnect5', 'DRSGetNCChanges'];
  return Array.from({ length: n }, (_, i) => [
    1_700_000_000 + i * 37,
    `${uidPrefix}${i}`,
    `10.0.${i % 3}.${1 + (i % 7)}`,
    49_152 + i,
    '10.1.0.10',
    445,
    0.001,
    i % 5 === 0 ? '\\pipe\\lsass' : '\\pipe\\srvsvc',
    i % 5 === 0 ? 'lsarpc' : 'srvsvc',
    operations[i % operations.length] as string,
  ]);
}

/** A batch as the follower hands it over: consecutive lines of one file at one followed path. */
function batch(lines: string[], options: { path?: string; fileStart?: boolean; headerReplay?: boolean; overlong?: number; firstLine?: number } = {}): LineBatch {
  const path = options.path ?? '/logs/dce_rpc.log';
  const file = { path, dev: '1', ino: '2', fingerprint: '' };
  let offset = 0;
  let line = options.firstLine ?? 1;
  const tailed = lines.map((text) => {
    const bytes = Buffer.from(text);
    const entry = { bytes, line, offset, end: offset + bytes.length + 1 };
    offset = entry.end;
    line += 1;
    return entry;
  });
  return {
    file,
    lines: tailed,
    headerReplay: options.headerReplay ?? false,
    fileStart: options.fileStart ?? false,
    overlong: options.overlong ?? 0,
    endOffset: offset,
    resumeAt: { ...file, offset, line },
  };
}

function tsv(schema: ZeekSchema, values: ZeekValue[][], header = true): string[] {
  const text = (header ? formatTsvHeader(schema, 0) : '') + values.map((v) => formatTsvRecord(schema, v)).join('');
  return text.split('\n').filter((line) => line !== '');
}

function scorer(sampleEvery: number, onAnomaly?: (record: DceRpcRecord) => void): { scorer: BatchScorer; window: DceRpcRecord[]; routine: RoutineStats } {
  const window: DceRpcRecord[] = [];
  const routine = new RoutineStats();
  const made = new BatchScorer({
    sampler: new TrainingSampler({ every: sampleEvery, mode: 'deterministic', seed: 0 }),
    window: { add: (record) => window.push({ ...record }) },
    routine,
    routineGroup: new FeatureExtractor({ ...config.features, features: ['orig_ip_group'] }),
    formatter: createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA }),
    log: quiet,
    ...(onAnomaly === undefined ? {} : { onAnomaly }),
  });
  return { scorer: made, window, routine };
}

void test('without a model: every record counted, sampled 1 in N, observed by the routine statistics; bad and over-long lines counted', () => {
  const { scorer: unit, window, routine } = scorer(4);
  const lines = tsv(DCE_RPC_SCHEMA, records(40, 'A'));
  lines.splice(12, 0, 'not a zeek line', lines[12]?.split('\t').slice(0, 4).join('\t') ?? '');
  const outcome = unit.score(batch(lines, { fileStart: true, overlong: 2 }), null);
  assert.deepEqual(outcome, { lines: [], records: 40, parseErrors: 4, suppressed: 0, sampled: true });
  assert.equal(window.length, 10, '1 in 4 of 40');
  assert.equal(routine.size > 0, true, 'the routine statistics saw the records');
  assert.equal(routine.start, 1_700_000_000);
});

void test('a header replay (a restart resuming past the header) primes the decoder and counts nothing', () => {
  const { scorer: unit, window } = scorer(1);
  const lines = tsv(DCE_RPC_SCHEMA, records(5, 'B'));
  const header = lines.filter((line) => line.startsWith('#'));
  const replay = unit.score(batch(header, { fileStart: true, headerReplay: true }), null);
  assert.deepEqual(replay, { lines: [], records: 0, parseErrors: 0, suppressed: 0, sampled: false });
  const rest = unit.score(batch(lines.slice(header.length), { firstLine: header.length + 1 }), null);
  assert.equal(rest.records, 5);
  assert.equal(rest.parseErrors, 0);
  assert.deepEqual(window.map((r) => r.uid), ['B0', 'B1', 'B2', 'B3', 'B4']);
});

void test('a headerless file at a path is read with the column layout of the file read before it there (copytruncate)', () => {
  // Zeek may write the columns in another order; the copy after a copytruncate has no header.
  const fields = [...DCE_RPC_SCHEMA.fields].reverse();
  const reordered: ZeekSchema = { ...DCE_RPC_SCHEMA, fields };
  const values = records(6, 'C').map((v) => [...v].reverse());
  const { scorer: unit, window } = scorer(1);
  const first = unit.score(batch(tsv(reordered, values.slice(0, 3)), { fileStart: true }), null);
  assert.equal(first.records, 3);
  const second = unit.score(batch(tsv(reordered, values.slice(3), false), { fileStart: true }), null);
  assert.deepEqual({ records: second.records, parseErrors: second.parseErrors }, { records: 3, parseErrors: 0 });
  assert.deepEqual(window.map((r) => [r.uid, r.operation]), records(6, 'C').map((v) => [v[1], v[9]]));
});

void test('with a model: the anomaly lines are the offline evaluator and formatter output, allow-listed ones counted apart', async () => {
  const training = records(200, 'T');
  const decoded: DceRpcRecord[] = [];
  const decoder = new DceRpcLineDecoder({ file: 'training' });
  tsv(DCE_RPC_SCHEMA, training).forEach((line, i) => {
    const record = decoder.decode(Buffer.from(line), i + 1, 0);
    if (record !== null && !('kind' in record)) decoded.push(record);
  });
  const builder = new TrainingSetBuilder(config.features, { minHosts: config.scoring.techniqueMinHosts, minShare: config.scoring.techniqueMinShare }, decoded.length);
  for (const record of decoded) builder.add(record);
  const set = builder.build();
  const model = await trainModel(set.matrix, { k: 3, nInit: 1, init: 'huang', seed: 5, maxIter: 20, featureNames: set.featureNames, timeSpan: set.timeSpan, techniques: set.techniques });
  const rule = scoringRuleFrom(config.scoring);
  const evaluator = new RecordEvaluator({ model, rule, features: config.features, allow: config.allow });
  const reference = new RecordEvaluator({ model, rule, features: config.features, allow: config.allow });
  const formatter = createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA });

  const seen: string[] = [];
  const { scorer: unit } = scorer(10, (record) => seen.push(record.uid ?? ''));
  const live = records(60, 'L');
  const outcome = unit.score(batch(tsv(DCE_RPC_SCHEMA, live), { fileStart: true }), evaluator);

  const expected: string[] = [];
  let suppressed = 0;
  const check = new DceRpcLineDecoder({ file: 'check' });
  tsv(DCE_RPC_SCHEMA, live).forEach((line, i) => {
    const record = check.decode(Buffer.from(line), i + 1, 0);
    if (record === null || 'kind' in record) return;
    const { verdict, context, suppressedBy } = reference.evaluate(record);
    if (!verdict.anomalous) return;
    if (suppressedBy !== undefined) suppressed += 1;
    else expected.push(formatter.record(anomalyValues(record, context, verdict, model)));
  });
  assert.ok(expected.length > 40 && suppressed > 0, `a real mix (${expected.length} lines, ${suppressed} allowed)`);
  assert.deepEqual(outcome.lines, expected);
  assert.equal(outcome.suppressed, suppressed);
  assert.equal(outcome.records, 60);
  assert.equal(seen.length, expected.length, 'onAnomaly once per line');
});
