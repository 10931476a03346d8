/**
 * The hunt workers' JIT warm-up input (src/hunt/warm-up.ts): a clean Zeek TSV dce_rpc.log, cut
 * inside a line like a stream's chunks, that takes the scoring paths it is there for (routine
 * calls, anomalies, techniques, a never-seen value) against a model trained on the sample week.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadConfigFile } from '../../src/config/index.js';
import { WARM_UP_NAME, warmUpLog } from '../../src/hunt/warm-up.js';
import { RecordEvaluator } from '../../src/score/evaluator.js';
import { scoringRuleFrom } from '../../src/score/scorer.js';
import { scanDceRpcLog, type DceRpcRecord } from '../../src/zeek/index.js';
import { repoRoot } from '../helpers/shared.js';
import { trainedModel } from '../helpers/trained-model.js';

const sampleIni = join(repoRoot, 'samples', 'sample.ini');
const sampleLog = join(repoRoot, 'samples', 'week.log.gz');

void test('the warm-up log is a clean dce_rpc log in two chunks cut inside a line', async () => {
  const chunks = warmUpLog();
  assert.equal(chunks.length, 2);
  const whole = Buffer.concat(chunks).toString('utf8');
  const cutAt = (chunks[0] as Buffer).length;
  assert.notEqual(whole[cutAt - 1], '\n', 'the first chunk ends inside a line');
  assert.ok(whole.endsWith('\n') && whole.includes('\n#close\t'));
  const kinds: string[] = [];
  const stats = await scanDceRpcLog(WARM_UP_NAME, (event) => kinds.push('kind' in event ? event.kind : 'record'), { source: chunks });
  assert.equal(stats.errors, 0, kinds.join(' '));
  assert.equal(kinds[0], 'header');
  assert.equal(stats.records, kinds.length - 1);
  assert.ok(stats.records >= 40, `${stats.records} records`);
});

void test('against a model of the sample week, the warm-up takes the routine, anomaly, technique and unseen-value paths', async () => {
  const config = await loadConfigFile(sampleIni);
  const week: DceRpcRecord[] = [];
  await scanDceRpcLog(sampleLog, (event) => {
    if (!('kind' in event)) week.push(event);
  });
  assert.ok(week.length > 0 && readFileSync(sampleLog).length > 0);
  const model = await trainedModel(config, week);
  const evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow });
  const seen = { routine: 0, anomalies: 0, techniques: 0, unseen: 0 };
  await scanDceRpcLog(
    WARM_UP_NAME,
    (event) => {
      if ('kind' in event) return;
      const { verdict } = evaluator.evaluate(event);
      if (verdict.anomalous) seen.anomalies += 1;
      else seen.routine += 1;
      if (verdict.technique !== undefined && verdict.technique !== null) seen.techniques += 1;
      if (verdict.newValue !== undefined) seen.unseen += 1;
    },
    { source: warmUpLog() },
  );
  for (const [path, count] of Object.entries(seen)) assert.ok(count > 0, `${path}: ${JSON.stringify(seen)}`);
});

void test('the sample week still decodes the same through an in-memory source as from its file', async () => {
  const bytes = readFileSync(sampleLog);
  const fromFile: number[] = [];
  const fromMemory: number[] = [];
  await scanDceRpcLog(sampleLog, (event) => fromFile.push('kind' in event ? -1 : event.ts));
  await scanDceRpcLog(sampleLog, (event) => fromMemory.push('kind' in event ? -1 : event.ts), { source: [bytes.subarray(0, 1000), bytes.subarray(1000)] });
  assert.equal(fromMemory.length, gunzipSync(bytes).toString('utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#')).length + 1);
  assert.deepEqual(fromMemory, fromFile);
});
