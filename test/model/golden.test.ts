/**
 * Parity with Python kmodes 0.12.2 on the exact goldens (Cao and explicit-init): every
 * intermediate state, the costs, the iteration count, the final centroids and every label.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeRows } from '../../src/model/encoding.js';
import { initCao, planRuns, runOne, type InitPlan } from '../../src/model/kmodes.js';
import { fitKModesDetailed } from '../../src/model/fit.js';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';
import { GOLDEN_MATRICES, readFeatureRows, readGoldenJson, type GoldenFile } from './golden-data.js';

const absent = sharedPath('golden', 'kmodes') === null;

function decode(vocab: string[][], codes: Uint16Array, m: number): string[][] {
  const out: string[][] = [];
  for (let c = 0; c < codes.length / m; c++) {
    out.push(Array.from(codes.subarray(c * m, c * m + m), (code, f) => vocab[f]?.[code] ?? '?'));
  }
  return out;
}

for (const name of GOLDEN_MATRICES) {
  for (const kind of ['cao', 'explicit-init'] as const) {
    void describe(`golden ${name}.${kind}`, { skip: absent ? SHARED_ABSENT : false }, () => {
      const golden = absent ? null : readGoldenJson<GoldenFile>(`${name}.${kind}.json`);
      const rows = golden === null ? [] : readFeatureRows(golden.matrix.path).rows;
      const matrix = encodeRows(rows, 6);

      void it('encodes with the reference vocabulary (code-point order)', () => {
        assert.deepEqual(matrix.vocabularies, golden?.matrix.vocab);
        assert.equal(matrix.rowCount, golden?.matrix.n_rows);
      });

      for (const run of golden?.runs ?? []) {
        const seed = run.params?.random_state ?? run.refit_params?.random_state ?? 0;
        void it(`k=${run.k} seed=${seed}: same path, costs, centroids and labels`, () => {
          const m = matrix.featureCount;
          const init: InitPlan =
            kind === 'cao'
              ? { kind: 'cao' }
              : { kind: 'explicit', centroids: Uint16Array.from(run.initial_centroid_codes.flat()) };
          if (kind === 'cao') {
            assert.deepEqual([...initCao(matrix, run.k)], run.initial_centroid_codes.flat(), 'Cao picks');
          }
          const plan = planRuns(matrix, { k: run.k, nInit: 1, init, seed, maxIter: 100 });
          const result = runOne(matrix, plan, 0, { trace: true });
          const trace = result.trace;
          assert.ok(trace);
          const vocab = matrix.vocabularies;
          assert.deepEqual(
            decode(vocab, trace.centroidsAfterInitialUpdate, m),
            run.centroids_after_initial_update,
            'centroids after the first update',
          );
          assert.deepEqual(
            trace.centroidsAfterEachPass.map((c) => decode(vocab, c, m)),
            run.centroids_after_each_pass,
            'centroids after each pass',
          );
          assert.deepEqual(trace.movesPerPass, run.moves_per_pass, 'moves per pass');
          assert.deepEqual(result.epochCosts, run.epoch_costs, 'epoch costs');
          assert.equal(result.iterations, run.n_iter);
          assert.equal(result.cost, run.cost);
          assert.deepEqual(decode(vocab, result.centroids, m), run.final_centroids);
          const labels = Array.from(matrix.rowToDistinct, (u) => result.distinctLabels[u]);
          assert.deepEqual(labels, run.labels, 'labels');
        });
      }

      void it('the public fit reproduces the first run end to end', () => {
        const run = golden?.runs[0];
        assert.ok(run && golden);
        const seed = run.params?.random_state ?? run.refit_params?.random_state ?? 0;
        const outcome = fitKModesDetailed(rows, {
          k: run.k,
          nInit: 4,
          init: kind === 'cao' ? 'cao' : run.initial_centroid_codes,
          seed,
          featureNames: golden.matrix.columns,
        });
        assert.equal(outcome.results.length, 1, 'Cao and explicit starts force nInit = 1');
        assert.deepEqual(outcome.model.centroids, run.final_centroids);
        assert.equal(outcome.model.cost, run.cost);
        assert.deepEqual([...outcome.labels], run.labels);
      });
    });
  }
}
