/**
 * Huang init: its random vectors must equal kmodes' draw for draw (same MT19937 stream); its
 * tie order cannot be reproduced, so costs over many seeds must pass each huang-stats file's
 * acceptance block (one-sided 3-sigma checks on the mean).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRows } from '../../src/model/encoding.js';
import { drawHuangVectors, planRuns } from '../../src/model/kmodes.js';
import { fitKModes } from '../../src/model/fit.js';
import { Mt19937, runSeeds } from '../../src/model/rng.js';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';
import {
  GOLDEN_MATRICES,
  readFeatureRows,
  readGoldenJson,
  type GoldenFile,
  type HuangStatsFile,
} from './golden-data.js';

const absent = sharedPath('golden', 'kmodes') === null;

void describe('Huang random vectors equal kmodes draws', { skip: absent ? SHARED_ABSENT : false }, () => {
  for (const name of GOLDEN_MATRICES) {
    void it(name, () => {
      const golden = readGoldenJson<GoldenFile>(`${name}.explicit-init.json`);
      assert.ok(golden);
      const matrix = encodeRows(readFeatureRows(golden.matrix.path).rows, 6);
      for (const run of golden.runs) {
        const masterSeed = run.huang_random_state ?? -1;
        const plan = planRuns(matrix, { k: run.k, nInit: 1, init: { kind: 'huang' }, seed: masterSeed, maxIter: 100 });
        assert.equal(plan.runSeeds[0], run.huang_run_seed, 'per-run seed');
        const vectors = drawHuangVectors(matrix, run.k, new Mt19937(runSeeds(masterSeed, 1)[0] ?? 0));
        assert.deepEqual([...vectors], run.huang_random_vector_codes?.flat());
      }
    });
  }
});

void describe('Huang cost statistics pass the acceptance blocks', { skip: absent ? SHARED_ABSENT : false }, () => {
  for (const name of GOLDEN_MATRICES) {
    const stats = absent ? null : readGoldenJson<HuangStatsFile>(`${name}.huang-stats.json`);
    const cao = absent ? null : readGoldenJson<GoldenFile>(`${name}.cao.json`);
    const rows = cao === null ? [] : readFeatureRows(cao.matrix.path).rows;
    for (const [block, nInit, seeds] of [
      ['n_init_1', 1, 40],
      ['n_init_4', 4, 20],
    ] as const) {
      void it(`${name} ${block} over ${seeds} seeds`, () => {
        assert.ok(stats && cao);
        let total = 0;
        for (let seed = 0; seed < seeds; seed++) {
          const model = fitKModes(rows, {
            k: stats.k,
            nInit,
            init: 'huang',
            seed: 5000 + seed,
            maxIter: stats.max_iter,
            featureNames: cao.matrix.columns,
          });
          total += model.cost;
        }
        const mean = total / seeds;
        const threshold = stats.acceptance[block].threshold_by_n[String(seeds)];
        assert.ok(threshold !== undefined);
        assert.ok(mean <= threshold, `mean cost ${mean} > acceptance threshold ${threshold}`);
      });
    }
  }
});
