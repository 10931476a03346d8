/**
 * Issue #15 item 1: a record with `ts = 9000000000000.000000` (or a year past 9999, or before
 * 1970) made `score` exit 2 without FILE:LINE, `train` fail on the training time span, and the
 * ECS writer print a malformed @timestamp. Such a record is now a parse error at the boundary:
 * counted, reported as FILE:LINE, skipped; the records around it are scored.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const dir = tempDir();
const BAD_TIMES = ['9000000000000.000000', '253402300800.0', '-62167219201.0', '-1.5'];
// In JSON a number >= 1e11 is epoch milliseconds (Zeek's TS_MILLIS), so 9e12 is a valid 2255:
// these are the JSON values that are out of range after that reading.
const BAD_JSON_TIMES = [9e18, 2.6e14, -1.5, -5e11];

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let tsvPath = '';
let jsonPath = '';
let poisonedLines: number[] = [];
let goodRecords = 0;
const iniPath = join(dir, 'ecs.ini');

before(() => {
  const clean = join(dir, 'clean.log');
  assert.equal(run('generate', '--rows', '3000', '--seed', '3', '-o', clean).status, 0);
  const lines = readFileSync(clean, 'utf8').split('\n').filter((line) => line !== '');
  const header = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
  const records = lines.filter((line) => !line.startsWith('#'));
  goodRecords = records.length;
  // Each bad time replaces the ts of a copy of a real record, spread through the file.
  const out: string[] = [...header];
  poisonedLines = [];
  records.forEach((record, i) => {
    out.push(record);
    if (i % 700 === 350) {
      const bad = BAD_TIMES[poisonedLines.length % BAD_TIMES.length] ?? '';
      out.push([bad, ...record.split('\t').slice(1)].join('\t'));
      poisonedLines.push(out.length);
    }
  });
  tsvPath = join(dir, 'poisoned.log');
  writeFileSync(tsvPath, `${out.join('\n')}\n`);
  // The same records as Zeek JSON (one object per line).
  const fields = (header.find((line) => line.startsWith('#fields')) ?? '').split('\t').slice(1);
  const json = out
    .filter((line) => !line.startsWith('#'))
    .map((line) => {
      const values = line.split('\t');
      const object: Record<string, unknown> = {};
      fields.forEach((name, i) => {
        const value = values[i] ?? '-';
        if (value === '-') return;
        object[name] = /^(ts|id\.orig_p|id\.resp_p|rtt)$/.test(name) ? Number(value) : value;
        if (name === 'ts' && BAD_TIMES.includes(value)) object[name] = BAD_JSON_TIMES[BAD_TIMES.indexOf(value)];
      });
      return JSON.stringify(object);
    });
  jsonPath = join(dir, 'poisoned.json');
  writeFileSync(jsonPath, `${json.join('\n')}\n`);
  writeFileSync(iniPath, '[output]\nformat = json\nfield_names = ecs\n[scoring]\nrule = rarity\nrarity_threshold = 0.000001\n');
});

for (const [label, path] of [['TSV', () => tsvPath], ['JSON', () => jsonPath]] as const) {
  void test(`${label}: out-of-range ts is a parse error with FILE:LINE; train and score go on`, () => {
    const model = join(dir, `model-${label}.json`);
    const trained = run('train', '-c', iniPath, '-o', model, '--json', path());
    assert.equal(trained.status, 1, `train: bad lines give exit 1, not a failure\n${trained.stderr}`);
    const summary = JSON.parse(trained.stdout) as { records: number; parse_errors: number };
    assert.equal(summary.records, goodRecords);
    assert.equal(summary.parse_errors, poisonedLines.length);
    const out = join(dir, `anomalies-${label}.json`);
    const scored = run('score', '-c', iniPath, '-m', model, '-o', out, '--json', path());
    assert.equal(scored.status, 1, scored.stderr);
    const result = JSON.parse(scored.stdout) as { records: number; parse_errors: number; anomalies: number };
    assert.equal(result.records, goodRecords);
    assert.equal(result.parse_errors, poisonedLines.length);
    // Every record is an anomaly under this rule, so every good record was written.
    assert.equal(result.anomalies, goodRecords);
    const errorLines = scored.stderr.split('\n').filter((line) => /out of range/.test(line));
    assert.equal(errorLines.length, poisonedLines.length, scored.stderr);
    if (label === 'TSV') {
      assert.deepEqual(
        errorLines.map((line) => Number(/:(\d+): /.exec(line)?.[1])),
        poisonedLines,
      );
    }
    for (const line of errorLines) assert.ok(line.startsWith(`${path()}:`), line);
    // Every @timestamp is a four-digit-year ISO time.
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (line === '') continue;
      const stamp = (JSON.parse(line) as { '@timestamp': string })['@timestamp'];
      assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
  });
}
