/**
 * The Elasticsearch index template and ingest pipeline (config/elasticsearch/) against ECS's own
 * definitions and against what the writer emits, with the pipeline run by a simulator of the
 * processors it uses (no Elasticsearch in CI).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ANOMALY_SCHEMA } from '../../src/score/index.js';
import { OWN_NAMESPACES, ecsFieldName } from '../../src/sink/ecs.js';
import { ANOMALY_INDEX_PATTERN, elasticTypeOfZeekType } from '../../src/sink/elastic.js';
import type { MappingNode } from '../../src/sink/elastic.js';
import { createAnomalyFormatter } from '../../src/sink/format.js';
import { GENERATED_ASSETS, SAMPLE_ANOMALY } from '../../src/sink/render-assets.js';
import type { ZeekValue } from '../../src/zeek/index.js';
import { ECS_FLAT, ecsProblems } from '../helpers/ecs-reference.js';
import { flattenDoc, simulatePipeline } from '../helpers/ingest-simulator.js';
import { repoRoot } from '../helpers/shared.js';

type Doc = Record<string, unknown>;

const template = JSON.parse(readFileSync(join(repoRoot, GENERATED_ASSETS.template), 'utf8')) as {
  index_patterns: string[];
  template: { settings: Record<string, string>; mappings: { properties: Record<string, MappingNode> } };
};
const pipeline = JSON.parse(readFileSync(join(repoRoot, GENERATED_ASSETS.pipeline), 'utf8')) as { processors: Doc[]; on_failure: Doc[] };

function leaves(properties: Record<string, MappingNode>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, node] of Object.entries(properties)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (node.properties !== undefined) for (const [k, v] of leaves(node.properties, name)) out.set(k, v);
    else out.set(name, node.type ?? 'object');
  }
  return out;
}

const mapped = leaves(template.template.mappings.properties);
const zeekJson = createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA });
const ecsJson = createAnomalyFormatter({ format: 'json', fieldNames: 'ecs', schema: ANOMALY_SCHEMA });

function ecsRecord(values: readonly ZeekValue[]): Doc {
  return JSON.parse(ecsJson.record(values)) as Doc;
}

void test('the template maps ECS fields with ECS\'s own types and ours under zeek.*', () => {
  const fields = [...mapped].map(([name, type]) => ({ name, type }));
  assert.deepEqual(ecsProblems(fields, OWN_NAMESPACES), []);
  for (const [name, type] of mapped) {
    const ecs = ECS_FLAT[name];
    if (ecs !== undefined) assert.equal(type, ecs.type, `${name}: exactly ECS's type`);
  }
  for (const field of ANOMALY_SCHEMA.fields) {
    const name = ecsFieldName(field.name);
    if (ECS_FLAT[name] === undefined) assert.equal(mapped.get(name), elasticTypeOfZeekType(field.type), name);
  }
});

void test('Kibana can aggregate: keyword for groups and features, ip for addresses, date for ts', () => {
  for (const name of ['orig_ip_group', 'resp_ip_group', 'time_of_day_bin', 'mismatched', 'expected', 'unseen', 'model']) {
    assert.equal(mapped.get(`zeek.anomaly.${name}`), 'keyword', name);
  }
  for (const name of ['named_pipe', 'endpoint', 'operation']) assert.equal(mapped.get(`zeek.dce_rpc.${name}`), 'keyword', name);
  assert.equal(mapped.get('source.ip'), 'ip');
  assert.equal(mapped.get('destination.ip'), 'ip');
  assert.equal(mapped.get('@timestamp'), 'date');
  assert.equal(mapped.get('zeek.anomaly.rarity'), 'double');
  assert.equal(mapped.get('zeek.anomaly.distance'), 'long');
});

void test('every field of a written ECS record is mapped, and the data stream matches the pattern', () => {
  const record = ecsRecord(SAMPLE_ANOMALY);
  for (const name of Object.keys(record)) assert.ok(mapped.has(name), `${name} has no mapping`);
  const pattern = new RegExp(`^${ANOMALY_INDEX_PATTERN.replace(/[.]/g, '\\.').replace('*', '.*')}$`);
  assert.deepEqual(template.index_patterns, [ANOMALY_INDEX_PATTERN]);
  assert.match(`logs-${String(record['event.dataset'])}-default`, pattern);
  assert.equal(template.template.settings['index.default_pipeline'], 'zeek-anomalyd-anomalies');
});

void test('the pipeline turns a Zeek-named record into the ECS-named one the writer writes', () => {
  const rows: ZeekValue[][] = [
    [...SAMPLE_ANOMALY],
    // unset pipe, empty vectors, IPv6, a different time
    SAMPLE_ANOMALY.map((value, i) => (i === 0 ? 1733500000.000001 : i === 2 ? 'fe80::1' : i === 6 ? null : i === 17 ? [] : value)),
  ];
  for (const row of rows) {
    const fromZeek = flattenDoc(simulatePipeline(pipeline, JSON.parse(zeekJson.record(row)) as Doc));
    const expected = flattenDoc(simulatePipeline({ processors: [{ dot_expander: { field: '*' } }] }, ecsRecord(row)));
    // Elasticsearch's date processor keeps milliseconds; the writer's ECS text has microseconds.
    assert.equal(fromZeek['@timestamp'], new Date(Date.parse(String(expected['@timestamp']))).toISOString());
    delete fromZeek['@timestamp'];
    delete expected['@timestamp'];
    assert.deepEqual(fromZeek, expected);
    for (const name of Object.keys(fromZeek)) assert.ok(mapped.has(name), `${name} has no mapping`);
  }
});

void test('the pipeline leaves an ECS-named record as it is, and flags what it cannot parse', () => {
  const record = ecsRecord(SAMPLE_ANOMALY);
  assert.deepEqual(flattenDoc(simulatePipeline(pipeline, record)), record);
  const broken = simulatePipeline(pipeline, { ...(JSON.parse(zeekJson.record(SAMPLE_ANOMALY)) as Doc), ts: 'yesterday' });
  assert.equal(flattenDoc(broken)['event.kind'], 'pipeline_error');
  assert.ok(mapped.has('error.message'));
});
