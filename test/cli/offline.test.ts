/**
 * The offline commands as a user runs them (spawned `node build/src/cli.js`): score output read
 * back by the codec, progress silence off a terminal, truncated gzip, INI errors, incompatible
 * models, atomic -o, and `model show` on a real trained model.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { constants, gunzipSync } from 'node:zlib';
import type { KModesModel } from '../../src/model/index.js';
import { ANOMALY_SCHEMA } from '../../src/score/index.js';
import { readZeekLog, type ZeekRecord, type ZeekValue } from '../../src/zeek/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const sampleIni = join(repoRoot, 'samples', 'sample.ini');
const sampleLog = join(repoRoot, 'samples', 'week.log.gz');

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the CLI with pipes (never a terminal) for stdout and stderr. */
function run(...args: string[]): Ran {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

async function recordsOf(path: string, jsonSchema?: typeof ANOMALY_SCHEMA): Promise<ZeekRecord[]> {
  const records: ZeekRecord[] = [];
  for await (const event of readZeekLog(path, jsonSchema === undefined ? {} : { jsonSchema })) {
    assert.notEqual(event.kind, 'error', JSON.stringify(event));
    if (event.kind === 'record') records.push(event);
  }
  return records;
}

const dir = tempDir();
const modelPath = join(dir, 'model.json');
let trained: { rows: number; model_id: string; k: number };

before(() => {
  const result = run('train', '-c', sampleIni, '-o', modelPath, '--json', sampleLog);
  assert.equal(result.status, 0, result.stderr);
  trained = JSON.parse(result.stdout) as typeof trained;
});

void test('score writes TSV and JSON anomalies that the codec reads back with the right fields and types', async () => {
  const tsvPath = join(dir, 'anomalies.tsv.log');
  const jsonPath = join(dir, 'anomalies.json.log');
  const tsv = run('score', '-c', sampleIni, '-m', modelPath, '-o', tsvPath, '--format', 'zeek', '--json', sampleLog);
  assert.equal(tsv.status, 0, tsv.stderr);
  const json = run('score', '-c', sampleIni, '-m', modelPath, '-o', jsonPath, '--format', 'json', '--json', sampleLog);
  assert.equal(json.status, 0, json.stderr);
  const summary = JSON.parse(tsv.stdout) as { records: number; anomalies: number };
  assert.ok(summary.anomalies > 0);

  const fromTsv = await recordsOf(tsvPath);
  const fromJson = await recordsOf(jsonPath, ANOMALY_SCHEMA);
  assert.equal(fromTsv.length, summary.anomalies);
  assert.deepEqual(
    (fromTsv[0] as ZeekRecord).schema.fields.map((f) => [f.name, f.type]),
    ANOMALY_SCHEMA.fields.map((f) => [f.name, f.type]),
  );
  // Both formats carry the same values.
  assert.deepEqual(
    fromJson.map((r) => r.values),
    fromTsv.map((r) => r.values),
  );

  const model = JSON.parse(readFileSync(modelPath, 'utf8')) as KModesModel;
  const column = (name: string): number => ANOMALY_SCHEMA.fields.findIndex((f) => f.name === name);
  const get = (values: ZeekValue[], name: string): ZeekValue => values[column(name)] as ZeekValue;
  for (const { values } of fromTsv) {
    assert.equal(typeof get(values, 'ts'), 'number');
    assert.equal(typeof get(values, 'id.orig_p'), 'number');
    assert.equal(typeof get(values, 'rarity'), 'number');
    assert.equal(get(values, 'model'), model.modelId);
    const cluster = get(values, 'cluster') as number;
    assert.ok(Number.isInteger(cluster) && cluster >= 0 && cluster < model.centroids.length);
    const mismatched = get(values, 'mismatched') as string[];
    const expected = get(values, 'expected') as string[];
    const unseen = get(values, 'unseen') as string[];
    assert.ok([mismatched, expected, unseen].every((v) => Array.isArray(v) && v.every((s) => typeof s === 'string')));
    // distance counts the mismatched features; expected holds the centroid's value for each.
    assert.equal(get(values, 'distance'), mismatched.length);
    const centroid = model.centroids[cluster] as string[];
    assert.deepEqual(
      expected,
      mismatched.map((feature) => centroid[model.featureNames.indexOf(feature)]),
    );
    for (const feature of unseen) {
      assert.ok(model.featureNames.includes(feature));
    }
  }
});

void test('the progress bar stays silent when stderr is not a terminal', () => {
  const out = join(dir, 'quiet.log');
  const scored = run('score', '-c', sampleIni, '-m', modelPath, '-o', out, sampleLog);
  assert.equal(scored.status, 0, scored.stderr);
  // Only the one-line summary: no carriage-return redraws, no bar.
  assert.doesNotMatch(scored.stderr, /\r|\[#|%/);
  assert.deepEqual(lines(scored.stderr).length, 1, scored.stderr);
  assert.match(scored.stderr, /^scored 40000 records/);
  const retrained = run('train', '-c', sampleIni, '-o', join(dir, 'again.json'), sampleLog);
  assert.equal(retrained.status, 0, retrained.stderr);
  assert.doesNotMatch(retrained.stderr, /\r|\[#/);
  assert.equal(lines(retrained.stderr).length, 1, retrained.stderr);
});

void test('truncated gzip: one error line naming the file, non-zero exit, earlier records still scored', () => {
  const whole = readFileSync(sampleLog);
  const truncated = join(dir, 'cut.log.gz');
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  // Records fully inside the bytes that still decompress.
  const readable = gunzipSync(readFileSync(truncated), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  const complete = readable.slice(0, readable.lastIndexOf('\n') + 1);
  const expectedRecords = lines(complete).filter((line) => !line.startsWith('#')).length;
  assert.ok(expectedRecords > 0);

  const result = run('score', '-c', sampleIni, '-m', modelPath, '-o', join(dir, 'cut.log'), '--json', truncated);
  assert.notEqual(result.status, 0);
  const errors = lines(result.stderr);
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0] as string, /cut\.log\.gz:\d+: .*gzip/);
  const summary = JSON.parse(result.stdout) as { records: number; parse_errors: number };
  assert.equal(summary.records, expectedRecords);
  assert.equal(summary.parse_errors, 1);
});

void test('an unknown INI key and a wrongly typed value: exit 78 with FILE:LINE for each', () => {
  const ini = join(dir, 'typos.ini');
  writeFileSync(ini, '[scoring]\nrule = technique\nbogus_key = 1\n\n[model]\nk = lots\n');
  const result = run('score', '-c', ini, '-m', modelPath, '-o', join(dir, 'never.log'), sampleLog);
  assert.equal(result.status, 78, result.stderr);
  assert.match(result.stderr, /typos\.ini:3: scoring\.bogus_key/);
  assert.match(result.stderr, /typos\.ini:6: model\.k/);
  assert.equal(readdirSync(dir).includes('never.log'), false);
});

void test('a model trained on other features is refused with ERR_MODEL_INCOMPATIBLE wording', () => {
  const ini = join(dir, 'two-features.ini');
  writeFileSync(ini, '[features]\nfeatures = endpoint, operation\n');
  const other = join(dir, 'two-features.json');
  const trainedOther = run('train', '-c', ini, '-o', other, sampleLog);
  assert.equal(trainedOther.status, 0, trainedOther.stderr);
  const result = run('score', '-c', sampleIni, '-m', other, '-o', join(dir, 'x.log'), sampleLog);
  assert.notEqual(result.status, 0);
  assert.equal(lines(result.stderr).length, 1, result.stderr);
  assert.match(result.stderr, /two-features\.json: model was trained on features \[endpoint,operation\], the configuration has \[/);
});

void test('-o keeps the previous file when the run fails midway, and leaves no temporary file', () => {
  const work = tempDir();
  const out = join(work, 'anomalies.log');
  writeFileSync(out, 'previous\n');
  // Flag every record so the output is large and has been partly written when the second log fails.
  const ini = join(work, 'noisy.ini');
  writeFileSync(ini, `${readFileSync(sampleIni, 'utf8')}\n[scoring]\nrule = distance\ndistance_threshold = 0\n`);
  const result = run('score', '-c', ini, '-m', modelPath, '-o', out, sampleLog, join(work, 'missing.log'));
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /missing\.log/);
  assert.equal(readFileSync(out, 'utf8'), 'previous\n');
  assert.deepEqual(readdirSync(work).sort(), ['anomalies.log', 'noisy.ini']);
  // The same run without the missing log does replace it.
  const ok = run('score', '-c', ini, '-m', modelPath, '-o', out, '--json', sampleLog);
  assert.equal(ok.status, 0, ok.stderr);
  const summary = JSON.parse(ok.stdout) as { anomalies: number };
  assert.ok(summary.anomalies > 1000, 'the noisy rule should flag most records');
  assert.ok(readFileSync(out).length > 256 * 1024, 'output large enough to be written in several pieces');
});

void test('model show: the centroid table, sizes and training facts of a real trained model', () => {
  const model = JSON.parse(readFileSync(modelPath, 'utf8')) as KModesModel;
  const text = run('model', 'show', '-m', modelPath);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^model +${trained.model_id}$`, 'm'));
  assert.match(text.stdout, new RegExp(`^training +${trained.rows} rows, ${model.training.distinctRows} distinct`, 'm'));
  const tableHeader = new RegExp(`^cluster +size +${model.featureNames.join(' +')}$`);
  const out = text.stdout.split('\n');
  const headerAt = out.findIndex((line) => tableHeader.test(line));
  assert.ok(headerAt > 0, text.stdout);
  const rows = out.slice(headerAt + 1, headerAt + 1 + model.centroids.length).map((line) => line.trim().split(/ +/));
  assert.deepEqual(
    rows.map((row) => [Number(row[0]), Number(row[1]), ...row.slice(2)]),
    model.centroids.map((centroid, c) => [c, model.clusterSizes[c], ...centroid]),
  );
  for (const [operation, group, hosts] of model.techniques?.admitted ?? []) {
    assert.match(text.stdout, new RegExp(`^ +${operation} +${group} +${hosts}$`, 'm'));
  }

  const json = run('model', 'show', '-m', modelPath, '--json');
  assert.equal(json.status, 0, json.stderr);
  const summary = JSON.parse(json.stdout) as {
    modelId: string;
    clusters: { size: number }[];
    training: { rows: number; timeSpan: unknown };
    calibration: { rows: number; minRarity: number; maxRarity: number } | null;
  };
  assert.equal(summary.modelId, trained.model_id);
  assert.equal(summary.clusters.length, trained.k);
  assert.equal(summary.clusters.reduce((sum, c) => sum + c.size, 0), trained.rows);
  assert.deepEqual(summary.training.timeSpan, model.training.timeSpan);
  assert.ok(summary.calibration !== null);
  assert.equal(summary.calibration.rows, trained.rows);
  assert.ok(summary.calibration.minRarity <= summary.calibration.maxRarity);
});

void test('model: unknown or missing subcommand is a usage error; a corrupt model is one line naming it', () => {
  const unknown = run('model', 'frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown subcommand 'frobnicate'/);
  assert.equal(run('model').status, 2);
  assert.equal(run('model', 'show').status, 2);
  assert.equal(run('model', '--help').status, 0);
  const corrupt = join(dir, 'corrupt.json');
  writeFileSync(corrupt, readFileSync(modelPath, 'utf8').slice(0, 500));
  const result = run('model', 'show', '-m', corrupt);
  assert.notEqual(result.status, 0);
  assert.equal(result.stdout, '');
  assert.equal(lines(result.stderr).length, 1, result.stderr);
  assert.match(result.stderr, /corrupt\.json/);
});
