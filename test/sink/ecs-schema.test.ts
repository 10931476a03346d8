/**
 * The ECS names of anomalies.log (field_names = ecs) against Elastic's own definitions
 * (`@elastic/ecs`): every field is an ECS field of a compatible type or lies in our documented
 * namespace, constants are allowed values, and the version we claim is the one checked.
 */
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { test } from 'node:test';
import { ANOMALY_SCHEMA } from '../../src/score/index.js';
import { ECS_CONSTANTS, ECS_VERSION, OWN_NAMESPACES, ecsView } from '../../src/sink/ecs.js';
import { ECS_TYPES, elasticTypeOfZeekType } from '../../src/sink/elastic.js';
import { createAnomalyFormatter } from '../../src/sink/format.js';
import { SAMPLE_ANOMALY } from '../../src/sink/render-assets.js';
import type { ZeekSchema } from '../../src/zeek/index.js';
import { ECS_FLAT, ECS_REFERENCE_VERSION, ecsProblems } from '../helpers/ecs-reference.js';
import type { WrittenField } from '../helpers/ecs-reference.js';

function writtenFields(schema: ZeekSchema): WrittenField[] {
  const view = ecsView(schema);
  const constants = new Map(ECS_CONSTANTS.map((c) => [c.name, c.value]));
  return view.schema.fields.map((field) => {
    const value = constants.get(field.name);
    return value === undefined ? { name: field.name, type: elasticTypeOfZeekType(field.type) } : { name: field.name, type: 'keyword', value };
  });
}

void test('the ECS version we claim is the @elastic/ecs release installed and checked', () => {
  assert.equal(ECS_VERSION, ECS_REFERENCE_VERSION, 'bump ECS_VERSION in src/sink/ecs.ts with @elastic/ecs in package.json');
  assert.deepEqual(
    ECS_CONSTANTS.find((c) => c.name === 'ecs.version'),
    { name: 'ecs.version', value: ECS_REFERENCE_VERSION },
  );
});

void test('every field anomalies.log writes under ECS names is ECS with a compatible type, or ours under zeek.*', () => {
  const fields = writtenFields(ANOMALY_SCHEMA);
  assert.deepEqual(ecsProblems(fields, OWN_NAMESPACES), []);
  // The ECS fields proper, so a rename into our namespace cannot pass unnoticed.
  const inEcs = fields.filter((f) => ECS_FLAT[f.name] !== undefined).map((f) => f.name);
  assert.deepEqual(inEcs, ['@timestamp', 'source.ip', 'source.port', 'destination.ip', 'destination.port', 'event.kind', 'event.module', 'event.dataset', 'ecs.version']);
  assert.equal(ECS_FLAT['@timestamp']?.level, 'core');
});

void test('the ECS types the Elasticsearch template is built from are ECS 9.4.0\'s own', () => {
  for (const [name, type] of Object.entries(ECS_TYPES)) assert.equal(type, ECS_FLAT[name]?.type, name);
});

void test('a written ECS record carries exactly the checked fields, with values of their types', () => {
  const formatter = createAnomalyFormatter({ format: 'json', fieldNames: 'ecs', schema: ANOMALY_SCHEMA });
  const record = JSON.parse(formatter.record(SAMPLE_ANOMALY)) as Record<string, unknown>;
  const fields = writtenFields(ANOMALY_SCHEMA);
  assert.deepEqual(Object.keys(record), fields.map((f) => f.name));
  for (const field of fields) {
    const value = record[field.name];
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of values) {
      switch (field.type) {
        case 'date':
          assert.match(String(item), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, field.name);
          break;
        case 'ip':
          assert.ok(isIP(String(item)) !== 0, `${field.name}: ${String(item)}`);
          break;
        case 'long':
          assert.ok(Number.isInteger(item), field.name);
          break;
        case 'double':
          assert.equal(typeof item, 'number', field.name);
          break;
        default:
          assert.equal(typeof item, 'string', field.name);
      }
    }
  }
});

void test('the check fails on drift: an unknown ECS-looking name, a wrong type, a disallowed value', () => {
  const drifted = ecsProblems(
    [
      { name: 'source.ipaddr', type: 'ip' },
      { name: 'source.port', type: 'keyword' },
      { name: 'event.kind', type: 'keyword', value: 'anomaly' },
      { name: 'anomaly.score', type: 'double' },
      { name: 'zeek.anomaly.rarity', type: 'double' },
    ],
    OWN_NAMESPACES,
  );
  assert.equal(drifted.length, 4, drifted.join('\n'));
  assert.match(drifted[0] ?? '', /source\.ipaddr: not an ECS/);
  assert.match(drifted[1] ?? '', /source\.port: we write keyword, ECS says long/);
  assert.match(drifted[2] ?? '', /event\.kind: "anomaly" is not one of/);
  assert.match(drifted[3] ?? '', /anomaly\.score: not an ECS/);
  assert.deepEqual(ecsProblems([{ name: 'host.notes', type: 'keyword' }], ['host.']), ['host.notes: our namespace host.* is an ECS field set']);
});
