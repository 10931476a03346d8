import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ECS_VERSION, ecsFieldName, ecsView } from '../../src/sink/ecs.js';
import { createAnomalyFormatter, parseZeekLocalTime, tsvOpenTime } from '../../src/sink/format.js';
import { nextRotationAt, rotatedFileName } from '../../src/sink/rotation.js';
import type { ZeekSchema, ZeekValue } from '../../src/zeek/index.js';

const SCHEMA: ZeekSchema = {
  path: 'anomalies',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'operation', type: 'string' },
    { name: 'score', type: 'double' },
  ],
};
const ROW: ZeekValue[] = [1700000000.5, 'CAbc', '10.0.0.1', 49152, '10.0.0.2', 135, null, 0.75];

void test('ECS names follow the documented table and the rest goes under zeek.anomaly', () => {
  assert.equal(ecsFieldName('ts'), '@timestamp');
  assert.equal(ecsFieldName('id.orig_h'), 'source.ip');
  assert.equal(ecsFieldName('id.resp_p'), 'destination.port');
  assert.equal(ecsFieldName('uid'), 'zeek.session_id');
  assert.equal(ecsFieldName('operation'), 'zeek.dce_rpc.operation');
  assert.equal(ecsFieldName('score'), 'zeek.anomaly.score');
  const view = ecsView(SCHEMA);
  assert.equal(view.schema.fields.length, SCHEMA.fields.length + 4);
  assert.deepEqual(view.project(ROW).slice(-4), ['alert', 'zeek', 'zeek.dce_rpc_anomaly', ECS_VERSION]);
});

void test('JSON with ECS names is one valid object per line with an ISO @timestamp and no unset keys', () => {
  const formatter = createAnomalyFormatter({ format: 'json', fieldNames: 'ecs', schema: SCHEMA });
  const line = formatter.record(ROW);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  const object = JSON.parse(line) as Record<string, unknown>;
  assert.equal(object['@timestamp'], '2023-11-14T22:13:20.500000Z');
  assert.equal(object['source.ip'], '10.0.0.1');
  assert.equal(object['destination.port'], 135);
  assert.equal(object['zeek.session_id'], 'CAbc');
  assert.equal(object['event.kind'], 'alert');
  assert.equal('zeek.dce_rpc.operation' in object, false);
  assert.equal(object['zeek.anomaly.score'], 0.75);
});

void test('plain JSON keeps Zeek names and an epoch ts', () => {
  const object = JSON.parse(createAnomalyFormatter({ format: 'json', schema: SCHEMA }).record(ROW)) as Record<string, unknown>;
  assert.equal(object['ts'], 1700000000.5);
  assert.equal(object['id.orig_h'], '10.0.0.1');
});

void test('TSV header matching ignores #open but not the columns, and needs the whole header', () => {
  const formatter = createAnomalyFormatter({ format: 'zeek', schema: SCHEMA });
  const header = formatter.header(Date.UTC(2026, 0, 1));
  assert.ok(formatter.headerMatches(formatter.header(Date.UTC(2030, 5, 6)) + 'row\n'));
  assert.ok(formatter.headerMatches(header));
  assert.equal(formatter.headerMatches(header.slice(0, -1)), false);
  const other = createAnomalyFormatter({ format: 'zeek', schema: { ...SCHEMA, fields: SCHEMA.fields.slice(1) } });
  assert.equal(formatter.headerMatches(other.header(0)), false);
});

void test('#open times parse back in local time', () => {
  const formatter = createAnomalyFormatter({ format: 'zeek', schema: SCHEMA });
  const open = new Date(2026, 10, 28, 16, 5, 9).getTime();
  assert.equal(tsvOpenTime(formatter.header(open)), open);
  assert.equal(parseZeekLocalTime('not-a-time'), null);
});

void test('rotation falls on interval boundaries from local midnight and is named after the open time', () => {
  const open = new Date(2026, 10, 28, 16, 20, 0).getTime();
  assert.equal(nextRotationAt(open, 3600_000), new Date(2026, 10, 28, 17, 0, 0).getTime());
  assert.equal(nextRotationAt(new Date(2026, 10, 28, 17, 0, 0).getTime(), 3600_000), new Date(2026, 10, 28, 18, 0, 0).getTime());
  assert.equal(nextRotationAt(open, 7 * 3600_000), new Date(2026, 10, 28, 21, 0, 0).getTime());
  assert.equal(nextRotationAt(new Date(2026, 10, 28, 22, 0, 0).getTime(), 7 * 3600_000), new Date(2026, 10, 29).getTime());
  assert.equal(nextRotationAt(open, 0), Number.POSITIVE_INFINITY);
  assert.equal(rotatedFileName('anomalies.log', open), 'anomalies.2026-11-28-16-20-00.log');
  assert.equal(rotatedFileName('anomalies.log', open, 2), 'anomalies.2026-11-28-16-20-00-2.log');
});
