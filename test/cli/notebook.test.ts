/**
 * The notebook, exactly (issue 13, "What to build" 5): with `rule = distance` training uses every
 * sampled row (nothing is withheld by the routine test) and the whole pipeline, from a Zeek log
 * through `train` and `score` as real processes, reproduces the reference kmodes 0.12.2 run in
 * ../shared/golden (Cao init, so the result is exact): the same cost and centroids, and the
 * records the notebook's `distance > 5` flags are exactly the ones `score` writes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, SHARED_ABSENT, sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { readFeatureRows, readGoldenJson, type GoldenFile } from '../model/golden-data.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const log = sharedPath('golden', 'features', 'synth-5k-s777.log');
const ipGroups = sharedPath('golden', 'features', 'ip_groups.ini');
const golden = readGoldenJson<GoldenFile & { runs: { cost: number }[] }>('synth-5k-s777.cao.json');
const skip = log === null || ipGroups === null || golden === null ? SHARED_ABSENT : false;

/** The notebook's settings: its six features, UTC hour bins, `other` for unmapped addresses. */
function notebookIni(dir: string, k: number, sample: string, rule = 'distance'): string {
  const path = join(dir, `notebook-${k}-${sample}-${rule}.ini`);
  writeFileSync(
    path,
    [
      '[features]',
      'time_zone = UTC',
      'ip_group_fallback = label',
      'ip_group_fallback_label = other',
      'fold_pipe_case = false',
      '[training]',
      `sample_every = ${sample}`,
      '[model]',
      `k = ${k}`,
      'init = cao',
      'seed = 0',
      '[scoring]',
      `rule = ${rule}`,
      'distance_threshold = 5',
      readFileSync(ipGroups as string, 'utf8'),
    ].join('\n'),
  );
  return path;
}

/** Data lines of a Zeek TSV file, as field maps. */
function tsvRecords(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const fields = (lines.find((l) => l.startsWith('#fields\t')) ?? '').split('\t').slice(1);
  return lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l): Record<string, string> => Object.fromEntries(l.split('\t').map((v, i): [string, string] => [fields[i] ?? '', v])));
}

for (const k of [5, 15]) {
  void test(`rule = distance, every record, k = ${k}: train + score reproduce kmodes (Cao) and the notebook's distance > 5`, { skip }, () => {
    const dir = tempDir();
    const ini = notebookIni(dir, k, '1');
    const model = join(dir, 'model.json');
    const trained = run('train', '-c', ini, '-o', model, '--json', log as string);
    assert.equal(trained.status, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout) as { rows: number; withheld_rows: number; cost: number };
    assert.equal(summary.rows, 5000, 'every record is a training row');
    assert.equal(summary.withheld_rows, 0, 'nothing is withheld under rule = distance');

    const reference = (golden as GoldenFile).runs.find((r) => r.k === k);
    assert.ok(reference !== undefined);
    const document = JSON.parse(readFileSync(model, 'utf8')) as { centroids: string[][]; cost: number; iterations: number };
    assert.equal(document.cost, reference.cost);
    assert.equal(document.iterations, reference.n_iter);
    assert.deepEqual(document.centroids, reference.final_centroids);

    // The notebook: Hamming distance of each row to its cluster's centroid; > 5 is an anomaly.
    const { rows } = readFeatureRows('features/synth-5k-s777.features.tsv');
    const records = tsvRecords(readFileSync(log as string, 'utf8'));
    assert.equal(records.length, rows.length);
    const expected: string[] = [];
    rows.forEach((row, i) => {
      const centroid = reference.final_centroids[reference.labels[i] as number] as string[];
      const distance = row.filter((value, f) => value !== centroid[f]).length;
      if (distance > 5) expected.push(`${records[i]?.ts} ${records[i]?.uid}`);
    });

    const out = join(dir, 'anomalies.log');
    const scored = run('score', '-c', ini, '-m', model, '-o', out, '--format', 'zeek', log as string);
    assert.equal(scored.status, 0, scored.stderr);
    const flagged = tsvRecords(readFileSync(out, 'utf8')).map((r) => `${r.ts} ${r.uid}`);
    assert.deepEqual(flagged.sort(), expected.sort());
    // Pinned figures (README of the goldens, distance_counts): 39 rows at distance 6 for k = 5, none for k = 15.
    assert.equal(flagged.length, k === 5 ? 39 : 0);
  });
}

void test('rule = distance with sample_every = 20 (the notebook) trains on every sampled row; the default rule would withhold some', { skip }, () => {
  const dir = tempDir();
  const notebook = run('train', '-c', notebookIni(dir, 15, '20'), '-o', join(dir, 'a.json'), '--json', log as string);
  assert.equal(notebook.status, 0, notebook.stderr);
  const sampled = JSON.parse(notebook.stdout) as { rows: number; records: number; withheld_rows: number };
  assert.equal(sampled.records, 5000);
  assert.equal(sampled.rows, 250, '1 in 20 of 5000');
  assert.equal(sampled.withheld_rows, 0);
  const routine = run('train', '-c', notebookIni(dir, 15, '20', 'technique'), '-o', join(dir, 'b.json'), '--json', log as string);
  assert.equal(routine.status, 0, routine.stderr);
  const judged = JSON.parse(routine.stdout) as { rows: number; withheld_rows: number };
  assert.ok(judged.withheld_rows > 0, 'the routine rule withholds rows the notebook keeps (else this test shows nothing)');
  assert.equal(judged.rows + judged.withheld_rows, 250);
});
