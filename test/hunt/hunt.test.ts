/**
 * Hunting over an archive tree as a user runs it (spawned `node build/src/cli.js`): the sample
 * week cut into zeekctl-style .gz archives, scored, trained and evaluated with 1 and 3 worker
 * threads; a truncated archive in the middle; names that disagree with the records' time;
 * --since/--until skipping whole files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, test } from 'node:test';
import { constants, gunzipSync } from 'node:zlib';
import { readRecords } from '../../src/cli/_common.js';
import { fitTrainingSet, trainingSetBuilder, trainPlan } from '../../src/cli/_training.js';
import { TrainingSampler } from '../../src/features/index.js';
import { discoverArchive } from '../../src/hunt/index.js';
import { loadConfigFile } from '../../src/config/index.js';
import { loadModel } from '../../src/model/index.js';
import { ANOMALY_SCHEMA, anomalyValues, RecordEvaluator, scoringRuleFrom } from '../../src/score/index.js';
import { createAnomalyFormatter } from '../../src/sink/index.js';
import { writeArchiveTree, type ArchivePart } from '../helpers/archive-tree.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const sampleIni = join(repoRoot, 'samples', 'sample.ini');
const sampleLog = join(repoRoot, 'samples', 'week.log.gz');
const sampleLabels = join(repoRoot, 'samples', 'week.labels');

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Ran {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(...args: string[]): Ran {
  const result = run(...args);
  assert.equal(result.status, 0, `${args.join(' ')}\n${result.stderr}`);
  return result;
}

/** The output without the two lines that carry the wall clock (`#open`, `#close`). */
function withoutClock(text: string): string {
  const kept = text.split('\n').filter((line) => !line.startsWith('#open') && !line.startsWith('#close'));
  assert.ok(kept.length < text.split('\n').length || !text.startsWith('#'), 'a TSV output has #open');
  return kept.join('\n');
}

const dataLines = (text: string): string[] => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

const dir = tempDir('zeek-anomalyd-hunt-');
const weekText = gunzipSync(readFileSync(sampleLog)).toString('utf8');
const modelPath = join(dir, 'model.json');
const tree = join(dir, 'sensor');
let parts: ArchivePart[];

before(() => {
  // Half-day parts, as zeekctl archives rotated logs (one directory per day), plus what a
  // directory walk must leave alone: zeekctl's logs/current link to the live spool, a shadow
  // file, a stray log of another kind.
  parts = writeArchiveTree(weekText, tree, 14);
  writeFileSync(join(tree, 'logs', 'conn.00:00:00-01:00:00.log'), 'not ours\n');
  writeFileSync(join(tree, 'logs', '.shadow.dce_rpc.log'), 'not ours\n');
  ok('train', '-c', sampleIni, '-o', modelPath, '--json', '-j', '1', sampleLog);
});

void test('score: the same bytes with 1 and 3 threads, equal to scoring the unsplit log, in time order', () => {
  const outputs = new Map<string, string>();
  for (const format of ['zeek', 'json']) {
    for (const threads of ['1', '3']) {
      const out = join(dir, `tree-${format}-${threads}.log`);
      const result = ok('score', '-c', sampleIni, '-m', modelPath, '-o', out, '--format', format, '--json', '-j', threads, tree);
      const summary = JSON.parse(result.stdout) as { records: number; files: number; threads: number };
      assert.equal(summary.records, 40_000);
      assert.equal(summary.files, parts.length, 'the 14 archives, not conn.log, .shadow or current');
      outputs.set(`${format}-${threads}`, readFileSync(out, 'utf8'));
    }
  }
  const json1 = outputs.get('json-1') as string;
  assert.ok(dataLines(json1).length > 10, 'enough anomalies to compare');
  assert.equal(outputs.get('json-3'), json1, 'JSON: byte-identical');
  assert.equal(withoutClock(outputs.get('zeek-3') as string), withoutClock(outputs.get('zeek-1') as string), 'TSV: identical but for #open/#close');

  const whole = join(dir, 'whole.log');
  ok('score', '-c', sampleIni, '-m', modelPath, '-o', whole, '--format', 'json', '-j', '1', sampleLog);
  assert.equal(json1, readFileSync(whole, 'utf8'), 'the tree scores like the log it was cut from');
});

void test('score in workers equals the evaluator run on this thread (the config and model reach workers intact)', async () => {
  const config = await loadConfigFile(sampleIni);
  const model = await loadModel(modelPath);
  const evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow });
  const formatter = createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA, fieldNames: config.output.fieldNames });
  let expected = '';
  await readRecords([sampleLog], (record) => {
    const evaluation = evaluator.evaluate(record);
    if (evaluation.verdict.anomalous && evaluation.suppressedBy === undefined) {
      expected += formatter.record(anomalyValues(record, evaluation.context, evaluation.verdict, model));
    }
  });
  assert.ok(expected.length > 0);
  assert.equal(readFileSync(join(dir, 'tree-json-3.log'), 'utf8'), expected);
});

void test('train and eval: the same model and the same figures with 1 and 3 threads', () => {
  const ids: string[] = [];
  for (const threads of ['1', '3']) {
    const out = join(dir, `model-${threads}.json`);
    const result = ok('train', '-c', sampleIni, '-o', out, '--json', '-j', threads, tree);
    ids.push((JSON.parse(result.stdout) as { model_id: string }).model_id);
  }
  // The id is km-<creation time>-<content hash>: the content must be the same.
  const hash = (id: string): string => id.slice(id.lastIndexOf('-') + 1);
  assert.equal(hash(ids[1] as string), hash(ids[0] as string));
  const evals = ['1', '3'].map((threads) =>
    ok('eval', '-c', sampleIni, '--labels', sampleLabels, '--json', '-j', threads, tree)
      .stdout.split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const { model, ...figures } = JSON.parse(line) as { model: string };
        return { hash: hash(model), ...figures };
      }),
  );
  assert.ok((evals[0] as unknown[]).length >= 3);
  assert.deepEqual(evals[1], evals[0]);
});

void test('train in workers equals training on this thread from every record, one sampler stream per file in archive order', async () => {
  // The oracle counts every record itself (no folding of repeats) and samples each file with
  // TrainingSampler's stream = the file's place in the archive: the workers' folding of repeated
  // observations must give the same statistics, and so the same model, in both sampling modes.
  // Zeek writes a record when its call ends, so ts is not sorted within a file: shuffle it
  // locally (seeded), so a fold that kept the first ts instead of the earliest would show.
  const lines = weekText.split('\n');
  const body = lines.filter((line) => line !== '' && !line.startsWith('#'));
  let state = 17;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let start = 0; start < body.length; start += 200) {
    for (let i = Math.min(body.length, start + 200) - 1; i > start; i--) {
      const j = start + Math.floor(next() * (i - start + 1));
      [body[i], body[j]] = [body[j] as string, body[i] as string];
    }
  }
  const header = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
  const jittered = join(dir, 'jittered');
  writeArchiveTree(`${[...header, ...body].join('\n')}\n`, jittered, 9);
  const baseConfig = await loadConfigFile(sampleIni);
  const archive = await discoverArchive([jittered], {});
  const hash = (id: string): string => id.slice(id.lastIndexOf('-') + 1);
  for (const mode of ['deterministic', 'random'] as const) {
    const ini = join(dir, `sample-${mode}.ini`);
    writeFileSync(ini, `${readFileSync(sampleIni, 'utf8')}\n[training]\nsample_mode = ${mode}\n`);
    const config = { ...baseConfig, training: { ...baseConfig.training, sampleMode: mode } };
    const plan = trainPlan(config, { seed: '7', sample: '13' });
    const builder = trainingSetBuilder(config);
    let records = 0;
    for (const [stream, file] of archive.files.entries()) {
      const sampler = new TrainingSampler({ every: plan.sample as number, mode, seed: plan.seed, stream });
      const totals = await readRecords([file.path], (record) => builder.add(record, sampler.take()));
      records += totals.records;
    }
    const expected = await fitTrainingSet(config, plan, builder, { records, parseErrors: 0, files: archive.files.length, skippedFiles: 0 });
    const out = join(dir, `model-oracle-${mode}.json`);
    const result = JSON.parse(ok('train', '-c', ini, '-o', out, '--json', '--seed', '7', '--sample', '13', '-j', '3', jittered).stdout) as {
      model_id: string;
      rows: number;
      records: number;
    };
    assert.equal(result.records, records);
    assert.equal(result.rows, expected.model.training.rows, mode);
    assert.equal(hash(result.model_id), hash(expected.model.modelId), `${mode}: the model workers trained is the oracle's`);
  }
});

void test('a truncated .gz in the middle is reported as FILE:LINE and every other file is still scored', () => {
  const cutTree = join(dir, 'cut');
  const cutParts = writeArchiveTree(weekText, cutTree, 14);
  const victim = cutParts[6] as ArchivePart;
  const whole = readFileSync(victim.path);
  writeFileSync(victim.path, whole.subarray(0, Math.floor(whole.length / 2)));
  const readable = gunzipSync(readFileSync(victim.path), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  const survivors = dataLines(readable.slice(0, readable.lastIndexOf('\n') + 1)).length;
  assert.ok(survivors > 0 && survivors < victim.records);

  const out = join(dir, 'cut.json.log');
  const result = run('score', '-c', sampleIni, '-m', modelPath, '-o', out, '--format', 'json', '--json', '-j', '3', cutTree);
  assert.equal(result.status, 1, result.stderr);
  const errors = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0] as string, new RegExp(`^${victim.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: .*gzip`));
  const summary = JSON.parse(result.stdout) as { records: number; parse_errors: number };
  assert.equal(summary.records, 40_000 - victim.records + survivors);
  assert.equal(summary.parse_errors, 1);
  // Everything after the damaged file is there: the anomalies of the parts after it are those of
  // the whole tree (not only the last part's: which part holds an anomaly is the rules' business).
  const afterFirstTs = (cutParts[7] as ArchivePart).firstTs;
  const after = (text: string): string[] =>
    dataLines(text).filter((line) => (JSON.parse(line) as { ts: number }).ts >= afterFirstTs);
  const expected = after(readFileSync(join(dir, 'tree-json-1.log'), 'utf8'));
  assert.ok(expected.length > 0, 'the parts after the truncated one hold anomalies');
  assert.deepEqual(after(readFileSync(out, 'utf8')), expected, 'files after the truncated one were scored');
});

void test('files are read in the order of their records, not their names', () => {
  const shuffled = join(dir, 'shuffled');
  // Names sort in reverse time order, and day directories lie about the day.
  const named = writeArchiveTree(weekText, shuffled, 14, {
    name: (index) => join('logs', `2024-01-${String(20 - index).padStart(2, '0')}`, `dce_rpc.00:00:00-01:00:00-logger-${index}.log.gz`),
  });
  assert.ok(relative(shuffled, (named[0] as ArchivePart).path) > relative(shuffled, (named[13] as ArchivePart).path));
  const out = join(dir, 'shuffled.json.log');
  ok('score', '-c', sampleIni, '-m', modelPath, '-o', out, '--format', 'json', '-j', '2', `${shuffled}/logs/*/dce_rpc.*.log.gz`);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(join(dir, 'tree-json-1.log'), 'utf8'));
});

void test('--since/--until skip whole files by their first and last records and bound the records exactly', () => {
  const since = (parts[8] as ArchivePart).firstTs;
  const until = (parts[11] as ArchivePart).firstTs;
  const inRange = dataLines(weekText).filter((line) => {
    const ts = Number(line.slice(0, line.indexOf('\t')));
    return ts >= since && ts < until;
  }).length;
  const args = ['--since', String(since), '--until', new Date(until * 1000).toISOString()];

  // Plain files: the last record is read from the tail, so files 0-7 are skipped too.
  const plain = join(dir, 'plain');
  writeArchiveTree(weekText, plain, 14, { gzip: false });
  const plainRun = JSON.parse(ok('score', '-c', sampleIni, '-m', modelPath, '-o', join(dir, 'p.log'), '--json', ...args, plain).stdout) as {
    records: number;
    files: number;
    skipped_files: number;
  };
  assert.equal(plainRun.records, inRange);
  // Files 8-10 hold the range; file 7's last record may share file 8's first ts.
  assert.ok(plainRun.files === 3 || plainRun.files === 4, JSON.stringify(plainRun));
  assert.equal(plainRun.skipped_files, 14 - plainRun.files);

  // .gz: files starting at or after --until by their head; before --since by their day
  // directory (more than two days before it) since a .gz cannot be read from its end.
  const gzRun = JSON.parse(ok('score', '-c', sampleIni, '-m', modelPath, '-o', join(dir, 'g.log'), '--json', ...args, tree).stdout) as {
    records: number;
    skipped_files: number;
    outside_range: number;
  };
  assert.equal(gzRun.records, inRange);
  // The helper files a part under the UTC day of its first record.
  const provablyBefore = parts.filter((p) => Math.floor(p.firstTs / 86_400) * 86_400 + 2 * 86_400 <= since && p.firstTs < since).length;
  assert.ok(provablyBefore >= 1, 'the test range leaves some .gz provably before --since');
  assert.equal(gzRun.skipped_files, 3 + provablyBefore, JSON.stringify(gzRun));

  const bad = run('score', '-c', sampleIni, '-m', modelPath, '-o', join(dir, 'x.log'), '--since', 'last tuesday', tree);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--since must be an ISO 8601 time/);
});

void test('a missing input or a glob matching nothing fails before any output, naming it', () => {
  const out = join(dir, 'never.log');
  const missing = run('score', '-c', sampleIni, '-m', modelPath, '-o', out, tree, join(dir, 'gone'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot open .*gone: no such file or directory/);
  const empty = run('train', '-c', sampleIni, '-o', join(dir, 'never.json'), `${tree}/logs/1999-*/dce_rpc.*.log.gz`);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /no file matches '.*1999-\*/);
  assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('never') || name.includes('.tmp')), []);
});
