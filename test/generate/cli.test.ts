import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readZeekLog, toDceRpcRecord } from '../../src/zeek/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const result = spawnSync(process.execPath, [cli, 'generate', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

void test('generate writes a Zeek TSV log the codec reads back, with labels and an INI', async () => {
  const dir = tempDir();
  const log = join(dir, 'dce_rpc.log');
  const labels = join(dir, 'labels.tsv');
  const ini = join(dir, 'ip_groups.ini');
  const result = run('--rows', '30000', '--seed', '11', '-o', log, '--labels', labels, '--ip-groups', ini);
  assert.equal(result.status, 0, result.stderr);

  const uids = new Set<string>();
  const stream = readZeekLog(log);
  for await (const event of stream) {
    assert.notEqual(event.kind, 'error', JSON.stringify(event));
    if (event.kind !== 'record') continue;
    const record = toDceRpcRecord(event);
    assert.ok(!('reason' in record));
    if (record.uid !== null) uids.add(record.uid);
  }
  assert.equal(stream.stats.records, 30000);
  assert.equal(stream.stats.errors, 0);

  const labelLines = readFileSync(labels, 'utf8').split('\n').filter((l) => l !== '');
  assert.ok(labelLines.length > 0);
  for (const line of labelLines) {
    const [uid = '', scenario = ''] = line.split('\t');
    assert.ok(uids.has(uid), `labelled uid ${uid} is in the log`);
    assert.match(scenario, /^[a-z_]+$/);
  }
  assert.equal(new Set(labelLines.map((l) => l.split('\t')[0])).size, labelLines.length, 'one line per uid');
  assert.match(readFileSync(ini, 'utf8'), /^\[ip_groups\]$/m);
});

void test('same seed → same bytes; JSON format is one object per line', () => {
  const dir = tempDir();
  const a = join(dir, 'a.log');
  const b = join(dir, 'b.log');
  const j = join(dir, 'c.json');
  assert.equal(run('--rows', '3000', '--seed', '5', '-o', a).status, 0);
  assert.equal(run('--rows', '3000', '--seed', '5', '-o', b).status, 0);
  assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
  assert.equal(run('--rows', '3000', '--seed', '5', '--format', 'json', '--start', '2025-01-06T00:00:00Z', '--days', '2', '-o', j).status, 0);
  const lines = readFileSync(j, 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 3000);
  const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.ok(typeof first.ts === 'number' && first.ts >= Date.UTC(2025, 0, 6) / 1000);
  assert.equal(typeof first['id.orig_h'], 'string');
});

void test('usage errors exit 2, --help exits 0', () => {
  assert.equal(run('--help').status, 0);
  assert.equal(run().status, 2);
  assert.equal(run('--rows', 'many').status, 2);
  assert.equal(run('--rows', '10', '--format', 'csv').status, 2);
  assert.equal(run('--rows', '10', '--start', 'yesterday-ish').status, 2);
  assert.equal(run('--rows', '10', '--bogus').status, 2);
});
