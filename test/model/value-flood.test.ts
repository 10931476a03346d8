/**
 * Issue #15 item 2: 2M records with distinct operation names made every retrain fail
 * ("feature 2 has more than 65535 distinct values") until the rows left the window, and the
 * window's dictionaries grew with every forged name. Both are bounded now: past the bound, new
 * values are folded into one RARE_VALUE token, and training goes on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MatrixEncoder, RARE_VALUE } from '../../src/model/encoding.js';
import { fitKModes } from '../../src/model/index.js';
import { calibrateModel, Scorer, UNSEEN_VERDICT_CACHE_BYTES, VERDICT_CACHE_BYTES } from '../../src/score/index.js';
import { TrainingWindow } from '../../src/state/training-window.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

void test('encoder: values past the bound fold into RARE_VALUE; counts and other features are kept', () => {
  const encoder = new MatrixEncoder(2, 1000, 100);
  for (let i = 0; i < 1000; i += 1) encoder.addRow([`op${i}`, i % 2 === 0 ? 'even' : 'odd']);
  const matrix = encoder.finish();
  assert.equal(matrix.rowCount, 1000);
  assert.equal(matrix.vocabularies[0]?.length, 101);
  assert.ok(matrix.vocabularies[0]?.includes(RARE_VALUE));
  assert.deepEqual(matrix.vocabularies[1], ['even', 'odd']);
  assert.equal(encoder.foldedRows(0), 900);
  assert.equal(encoder.foldedRows(1), 0);
  const rare = matrix.vocabularies[0]?.indexOf(RARE_VALUE) ?? -1;
  let rareRows = 0;
  for (let r = 0; r < matrix.rowCount; r += 1) {
    const id = matrix.rowToDistinct[r] as number;
    if (matrix.distinctCodes[id * 2] === rare) rareRows += 1;
  }
  assert.equal(rareRows, 900);
});

void test('train on 70,000 distinct operation names succeeds (it failed at 65,535)', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const cli = join(repoRoot, 'build', 'src', 'cli.js');
  const clean = join(dir, 'clean.log');
  const generated = spawnSync(process.execPath, [cli, 'generate', '--rows', '70000', '--seed', '5', '-o', clean], { encoding: 'utf8' });
  assert.equal(generated.status, 0, generated.stderr);
  let n = 0;
  const flooded = readFileSync(clean, 'utf8')
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const fields = line.split('\t');
      fields[9] = `Forged${n++}`;
      return fields.join('\t');
    })
    .join('\n');
  const log = join(dir, 'flood.log');
  writeFileSync(log, flooded);
  const model = join(dir, 'model.json');
  const trained = spawnSync(process.execPath, [cli, 'train', '--sample', '1', '--k', '4', '--n-init', '1', '-o', model, '--json', log], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  // Every record is read and either trained on or withheld (one-off never-seen values are
  // withheld by the routine rule); what matters is that training gets past 65,535 values.
  const summary = JSON.parse(trained.stdout) as { rows: number; records: number; withheld_rows: number };
  assert.equal(summary.records, n);
  assert.equal(summary.rows + summary.withheld_rows, n);
  assert.ok(summary.rows > 0);
  assert.ok(n > 65_535);
});

void test('window: each string column is bounded; a flood folds into RARE_VALUE and survives a reload', async () => {
  const dir = tempDir();
  const options = { maxRows: 5000, maxAgeMs: 0, directory: dir, maxValuesPerColumn: { operation: 50 } };
  const { window } = await TrainingWindow.load(options);
  for (let i = 0; i < 2000; i += 1) {
    window.add({ ts: 1_700_000_000 + i, respPort: 445, origHost: '10.0.0.1', respHost: '10.0.0.2', namedPipe: 'svcctl', endpoint: 'svcctl', operation: `op${i}` });
  }
  assert.ok(window.dictionarySizes().operation <= 51, String(window.dictionarySizes().operation));
  assert.equal(window.foldedValues().operation, 2000 - 50);
  assert.equal(window.row(1999).operation, RARE_VALUE);
  assert.equal(window.row(10).operation, 'op10');
  await window.persist();
  await window.close();
  const again = await TrainingWindow.load(options);
  assert.equal(again.window.size, 2000);
  assert.equal(again.window.row(1999).operation, RARE_VALUE);
  assert.equal(again.window.row(10).operation, 'op10');
  await again.window.close();
});

void test("the scorer's verdict cache stays within its byte bound under a flood of unseen rows, and still serves repeated rows", () => {
  const features = ['endpoint', 'operation', 'orig_ip_group', 'resp_ip_group'];
  const rows = Array.from({ length: 400 }, (_, i) => ['samr', i % 2 === 0 ? 'SamrConnect5' : 'SamrOpenDomain', 'finance', 'domain_controllers']);
  const scorer = new Scorer(calibrateModel(fitKModes(rows, { k: 2, nInit: 1, init: 'huang', seed: 1, maxIter: 10, featureNames: features }), rows), { kind: 'distance', threshold: 5 });
  let most = 0;
  for (let i = 0; i < 60_000; i += 1) {
    const operation = `FloodOperation_${i.toString(36).padStart(40, 'x')}`;
    scorer.score([`flood_endpoint_${i}`, operation, `group${i}`, `group${i + 1}`], operation, `group${i}`, `flood_endpoint_${i}`);
    most = Math.max(most, scorer.cachedBytes);
  }
  assert.ok(most > UNSEEN_VERDICT_CACHE_BYTES / 2 && most <= UNSEEN_VERDICT_CACHE_BYTES, `cache held ${most} bytes, bound ${UNSEEN_VERDICT_CACHE_BYTES}`);
  const routine = ['samr', 'SamrConnect5', 'finance', 'domain_controllers'];
  assert.equal(scorer.score(routine, 'SamrConnect5'), scorer.score(routine, 'SamrConnect5'), 'a repeated row is one cached verdict');
});

void test('a flood of unseen rows does not empty the cached verdicts of known rows', () => {
  const features = ['endpoint', 'operation', 'orig_ip_group', 'resp_ip_group'];
  const groups = Array.from({ length: 40 }, (_, g) => `group${g}`);
  const rows = groups.flatMap((group, g) => ['SamrConnect5', 'SamrOpenDomain', 'SamrLookupNamesInDomain'].map((op) => ['samr', op, group, groups[(g + 1) % groups.length] as string]));
  const scorer = new Scorer(calibrateModel(fitKModes(rows, { k: 3, nInit: 1, init: 'huang', seed: 3, maxIter: 10, featureNames: features }), rows), { kind: 'distance', threshold: 5 });
  const known = rows[7] as string[];
  const before = scorer.score(known, known[1] as string);
  // Far more unseen rows than their part of the cache holds: it fills and is emptied many times.
  for (let i = 0; i < 20_000; i += 1) {
    const operation = `Flood_${i.toString(36).padStart(30, 'x')}`;
    scorer.score([`flood_${i}`, operation, `g${i}`, `g${i + 1}`], operation, `g${i}`, `flood_${i}`);
  }
  assert.equal(scorer.score(known, known[1] as string), before, 'the known row is still answered from its cache entry');
  assert.ok(scorer.cachedBytes <= VERDICT_CACHE_BYTES);
});
