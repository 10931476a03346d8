/**
 * `[logging] format`: the daemon's own log as text, JSON or ECS, checked line by line, and the
 * ECS lines against Elastic's field definitions (`@elastic/ecs`), in-process and from a real
 * daemon process.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ECS_LOG_DATASET, ECS_LOG_NAMESPACE, createLogger } from '../../src/daemon/logger.js';
import type { LogFormat } from '../../src/daemon/logger.js';
import { ECS_FLAT, ecsProblems } from '../helpers/ecs-reference.js';
import type { WrittenField } from '../helpers/ecs-reference.js';
import { flattenDoc } from '../helpers/ingest-simulator.js';
import { tempDir } from '../helpers/tmp.js';
import { DaemonProcess, installModel, makeCorpus, makeSite, waitFor, writeIni, ZeekWriter } from './harness.js';

function capture(format: LogFormat, journal: boolean): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createLogger('debug', stream, { format, journal });
  return { logger, lines: () => text.split('\n').filter((line) => line !== '') };
}

const STATS = { records_per_s: 120, lag_bytes: 0, records: 5000, model: 'km-x', model_age_s: undefined, loop_delay_p99_ms: 1.5 };

/** The Elasticsearch type a JSON value would be checked as for one ECS field. */
function fieldsOf(line: Record<string, unknown>): WrittenField[] {
  return Object.entries(flattenDoc(line)).map(([name, value]) => {
    const ecsType = ECS_FLAT[name]?.type;
    if (typeof value === 'number') return { name, type: Number.isInteger(value) ? 'long' : 'double' };
    if (typeof value === 'boolean') return { name, type: 'boolean' };
    // A string fits ECS's keyword and text fields; a date field must hold an ISO time.
    if (ecsType === 'date') return { name, type: Number.isNaN(Date.parse(String(value))) ? 'keyword' : 'date' };
    if (ecsType === 'match_only_text' || ecsType === 'wildcard') return { name, type: ecsType };
    return { name, type: 'keyword' };
  });
}

void test('text lines are unchanged: LEVEL message key=value, or <N>message under the journal', async () => {
  const plain = capture('text', false);
  plain.logger.info('stats', STATS);
  plain.logger.warn('odd value', { path: '/a b' });
  await plain.logger.flush();
  assert.deepEqual(plain.lines(), ['INFO  stats records_per_s=120 lag_bytes=0 records=5000 model=km-x loop_delay_p99_ms=1.5', 'WARN  odd value path="/a b"']);
  const journal = capture('text', true);
  journal.logger.error('boom');
  await journal.logger.flush();
  assert.deepEqual(journal.lines(), ['<3>boom']);
});

void test('json lines are one object each, the stats fields structured and typed', async () => {
  const { logger, lines } = capture('json', false);
  logger.info('stats', STATS);
  logger.error('line\nbreak \u001b[31m', { path: '/x', err: new Error('bad') });
  await logger.flush();
  const [stats, error] = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.deepEqual(stats, { level: 'info', message: 'stats', records_per_s: 120, lag_bytes: 0, records: 5000, model: 'km-x', loop_delay_p99_ms: 1.5 });
  assert.equal(lines().length, 2, 'a newline inside a message stays inside its line');
  assert.equal(error?.message, 'line\nbreak \u001b[31m');
  assert.equal((error?.err as { message?: string }).message, 'bad');
  const journal = capture('json', true);
  journal.logger.warn('w');
  await journal.logger.flush();
  assert.deepEqual(journal.lines(), ['<4>{"level":"warn","message":"w"}']);
});

void test('ecs lines hold only ECS fields of ECS types plus ours under zeek_anomalyd.*', async () => {
  const { logger, lines } = capture('ecs', false);
  logger.info('stats', STATS);
  logger.error('cannot write', { err: new Error('disk full', { cause: new Error('ENOSPC') }), path: '/var/log/x' });
  logger.debug('plain');
  await logger.flush();
  const parsed = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(parsed.length, 3);
  for (const line of parsed) {
    assert.deepEqual(ecsProblems(fieldsOf(line), [`${ECS_LOG_NAMESPACE}.`]), [], JSON.stringify(line));
    assert.equal(line['event.dataset'], ECS_LOG_DATASET);
    assert.equal(line['service.name'], 'zeek-anomalyd');
    assert.ok(!Number.isNaN(Date.parse(String(line['@timestamp']))));
  }
  const [stats, error, plain] = parsed;
  assert.equal(stats?.['log.level'], 'info');
  assert.deepEqual(stats?.[ECS_LOG_NAMESPACE], { records_per_s: 120, lag_bytes: 0, records: 5000, model: 'km-x', loop_delay_p99_ms: 1.5 });
  const errorFields = error?.error as Record<string, unknown>;
  assert.equal(errorFields.message, 'disk full');
  assert.equal(errorFields.type, 'Error');
  assert.match(String(errorFields.stack_trace), /^Error: disk full/);
  const ours = error?.[ECS_LOG_NAMESPACE] as Record<string, unknown>;
  assert.equal(ours.path, '/var/log/x');
  assert.match(String(ours.error_cause), /^Error: ENOSPC/, 'the cause, which ECS has no field for, is ours');
  assert.equal(plain?.[ECS_LOG_NAMESPACE], undefined);
});

void test('setFormat switches the line format of a running logger (SIGHUP reload)', async () => {
  const { logger, lines } = capture('text', false);
  logger.info('before');
  logger.setFormat('json');
  logger.info('after');
  await logger.flush();
  assert.deepEqual(lines(), ['INFO  before', '{"level":"info","message":"after"}']);
});

void test('a daemon with [logging] format = ecs logs only ECS lines, its stats line as fields', { timeout: 60_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 400);
  writeIni(site, corpus, { logging: { format: 'ecs', stats_interval: '1s' } });
  installModel(site, corpus, corpus.records.slice(0, 200));
  const daemon = new DaemonProcess(site);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records);
  const statsLine = await waitFor(
    () => `an ECS stats line counting 400 records\n${daemon.tail()}`,
    () =>
      daemon.lines.find((line) => {
        if (!line.startsWith('{')) return false;
        const parsed = JSON.parse(line) as { message?: string; zeek_anomalyd?: { records?: number } };
        return parsed.message === 'stats' && parsed.zeek_anomalyd?.records === 400;
      }),
  );
  writer.close();
  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, daemon.tail());
  const stats = JSON.parse(statsLine) as Record<string, Record<string, unknown>>;
  assert.equal(stats[ECS_LOG_NAMESPACE]?.anomalies, 400);
  assert.equal(typeof stats[ECS_LOG_NAMESPACE]?.records_per_s, 'number');
  assert.ok(daemon.lines.length >= 3);
  for (const line of daemon.lines) {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(ecsProblems(fieldsOf(parsed), [`${ECS_LOG_NAMESPACE}.`]), [], line);
  }
});
