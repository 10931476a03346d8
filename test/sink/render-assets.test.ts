/**
 * docs/output-format.md's examples and ECS table, and config/elasticsearch/*.json, are what the
 * code generates (like test/config/docs-sync.test.ts for the configuration docs).
 */
process.env.TZ = 'UTC';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ANOMALY_SCHEMA } from '../../src/score/index.js';
import { createAnomalyFormatter } from '../../src/sink/format.js';
import { GENERATED_ASSETS, SAMPLE_ANOMALY, outputFormatBlocks, renderElasticAsset, renderOutputFormat } from '../../src/sink/render-assets.js';
import { ZeekLineDecoder, formatJsonRecord } from '../../src/zeek/index.js';
import type { ZeekRecord } from '../../src/zeek/index.js';
import { repoRoot } from '../helpers/shared.js';

const REGENERATE = 'regenerate with: npx tsc -p tsconfig.json && node build/src/sink/render-assets.js';

function committed(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

void test('docs/output-format.md shows the records the formatters write now', () => {
  assert.equal(committed(GENERATED_ASSETS.outputFormat), renderOutputFormat(committed(GENERATED_ASSETS.outputFormat)), `docs/output-format.md is stale; ${REGENERATE}`);
});

void test('config/elasticsearch/*.json are what the schema generates', () => {
  assert.equal(committed(GENERATED_ASSETS.template), renderElasticAsset('template'), `${GENERATED_ASSETS.template} is stale; ${REGENERATE}`);
  assert.equal(committed(GENERATED_ASSETS.pipeline), renderElasticAsset('pipeline'), `${GENERATED_ASSETS.pipeline} is stale; ${REGENERATE}`);
});

void test('the three examples are one record: the TSV reads back to the JSON one, the ECS one renames it', () => {
  const blocks = outputFormatBlocks();
  const body = (block: string | undefined): string => (block ?? '').split('\n').slice(1, -1).join('\n');
  const tsv = body(blocks.tsv);
  const json = JSON.parse(body(blocks['zeek-json'])) as Record<string, unknown>;
  const ecs = JSON.parse(body(blocks['ecs-json'])) as Record<string, unknown>;
  const decoder = new ZeekLineDecoder({ file: 'output-format.md' });
  const decoded = tsv
    .split('\n')
    .map((line, i) => decoder.decode(Buffer.from(line, 'utf8'), i + 1, 0))
    .filter((result): result is ZeekRecord => result?.kind === 'record')
    .map((record) => JSON.parse(formatJsonRecord(record.schema, record.values)) as unknown);
  assert.equal(decoded.length, 1);
  assert.deepEqual(decoded[0], JSON.parse(createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA }).record(SAMPLE_ANOMALY)));
  assert.deepEqual(json, decoded[0]);
  assert.equal(ecs['source.ip'], json['id.orig_h']);
  assert.equal(ecs['zeek.anomaly.rarity'], json.rarity);
  assert.equal(ecs['@timestamp'], '2024-03-04T00:38:10.215823Z');
});

void test('a doc that lost a generated block is refused, not silently left stale', () => {
  assert.throws(() => renderOutputFormat('# no blocks here\n'), /lacks the generated blocks tsv, zeek-json, ecs-table, ecs-json/);
});
