/** Property tests (fast-check) of the fit, the scorer and the document round trip. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeRows } from '../../src/model/encoding.js';
import { planRuns, runOne } from '../../src/model/kmodes.js';
import { fitKModesDetailed, type FitOptions } from '../../src/model/fit.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { loadModel, saveModel } from '../../src/model/store.js';
import { ModelIndex } from '../../src/model/model-index.js';
import { tempDir } from '../helpers/tmp.js';

const FEATURES = 3;
const VALUES = ['a', 'b', 'c', 'd', 'missing', '\\pipe\\x', 'Z', 'é'];

/** Skewed small categorical matrices: many repeats, like dce_rpc features. */
const rowsArbitrary = fc.array(
  fc.tuple(
    ...Array.from({ length: FEATURES }, () =>
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...VALUES.slice(0, 2)) },
        { weight: 1, arbitrary: fc.constantFrom(...VALUES) },
      ),
    ),
  ),
  { minLength: 1, maxLength: 80 },
);

const fitArbitrary = fc.record({
  rows: rowsArbitrary,
  k: fc.integer({ min: 1, max: 6 }),
  nInit: fc.integer({ min: 1, max: 3 }),
  init: fc.constantFrom('huang' as const, 'cao' as const),
  seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});

const CREATED_AT = new Date('2026-01-02T03:04:05.678Z');

function options(p: { k: number; nInit: number; init: 'huang' | 'cao'; seed: number; rows: string[][] }): FitOptions {
  return {
    k: Math.min(p.k, p.rows.length),
    nInit: p.nInit,
    init: p.init,
    seed: p.seed,
    featureNames: ['f0', 'f1', 'f2'],
    createdAt: CREATED_AT,
    trainingTimeSpan: { from: 1700000000.5, to: 1700003600 },
  };
}

function hamming(a: readonly string[], b: readonly string[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** Brute force nearest centroid, lowest index on ties. */
function nearest(centroids: string[][], row: readonly string[]): { cluster: number; distance: number } {
  let cluster = 0;
  let distance = Infinity;
  centroids.forEach((c, j) => {
    const d = hamming(c, row);
    if (d < distance) {
      distance = d;
      cluster = j;
    }
  });
  return { cluster, distance };
}

void describe('K-Modes properties', () => {
  void it('every label is the nearest centroid (lowest index on ties) and the cost is the sum of distances', () => {
    fc.assert(
      fc.property(fitArbitrary, (p) => {
        const outcome = fitKModesDetailed(p.rows, options(p));
        let total = 0;
        p.rows.forEach((row, i) => {
          const best = nearest(outcome.model.centroids, row);
          assert.equal(outcome.labels[i], best.cluster);
          total += best.distance;
        });
        assert.equal(outcome.model.cost, total);
        assert.equal(outcome.model.clusterSizes.reduce((a, b) => a + b, 0), p.rows.length);
      }),
      { numRuns: 200 },
    );
  });

  void it('the cost decreases at every iteration except possibly the last', () => {
    fc.assert(
      fc.property(fitArbitrary, (p) => {
        const { epochCosts } = fitKModesDetailed(p.rows, options(p)).model;
        for (let i = 0; i + 2 < epochCosts.length; i++) {
          assert.ok((epochCosts[i + 1] as number) < (epochCosts[i] as number), `${epochCosts.join(',')}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  void it('the same seed gives the same model byte for byte', () => {
    fc.assert(
      fc.property(fitArbitrary, (p) => {
        const first = serializeModel(fitKModesDetailed(p.rows, options(p)).model);
        const second = serializeModel(fitKModesDetailed(p.rows, options(p)).model);
        assert.equal(first, second);
      }),
      { numRuns: 100 },
    );
  });

  void it('first-update mode ties resolve to the smallest code', () => {
    fc.assert(
      fc.property(rowsArbitrary, fc.integer({ min: 1, max: 5 }), (rows, kWanted) => {
        const matrix = encodeRows(rows, FEATURES);
        const k = Math.min(kWanted, matrix.distinctCount);
        // Explicit start = the first k distinct rows; no iteration, so the state after the first
        // update is visible as it is.
        const start = matrix.distinctCodes.slice(0, k * FEATURES);
        const plan = planRuns(matrix, { k, nInit: 1, init: { kind: 'explicit', centroids: start }, seed: 1, maxIter: 0 });
        const update = runOne(matrix, plan, 0, { trace: true }).trace?.centroidsAfterInitialUpdate;
        assert.ok(update);
        const startValues = Array.from({ length: k }, (_, c) =>
          Array.from(start.subarray(c * FEATURES, c * FEATURES + FEATURES), (code, f) => matrix.vocabularies[f]?.[code] ?? ''),
        );
        for (let c = 0; c < k; c++) {
          const members = rows.filter((row) => nearest(startValues, row).cluster === c);
          if (members.length === 0) continue;
          for (let f = 0; f < FEATURES; f++) {
            const counts = new Map<string, number>();
            for (const row of members) counts.set(row[f] as string, (counts.get(row[f] as string) ?? 0) + 1);
            const max = Math.max(...counts.values());
            const vocab = matrix.vocabularies[f] ?? [];
            const expected = vocab.findIndex((v) => counts.get(v) === max);
            assert.equal(update[c * FEATURES + f], expected);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  void it('assign ties go to the lowest cluster index, unseen values match no centroid', () => {
    fc.assert(
      fc.property(fitArbitrary, fc.array(fc.constantFrom(...VALUES, 'never-seen'), { minLength: 3, maxLength: 3 }), (p, row) => {
        const { model } = fitKModesDetailed(p.rows, options(p));
        const index = new ModelIndex(model);
        const got = index.assign(row);
        const best = nearest(model.centroids, row);
        assert.equal(got.cluster, best.cluster);
        assert.equal(got.distance, best.distance);
        const centroid = model.centroids[got.cluster] ?? [];
        assert.deepEqual(got.mismatched, [0, 1, 2].filter((f) => centroid[f] !== row[f]));
        assert.deepEqual(got.unseen, [0, 1, 2].filter((f) => !(model.vocabularies[f] ?? []).includes(row[f] as string)));
        for (const f of got.unseen) assert.ok(got.mismatched.includes(f));
      }),
      { numRuns: 200 },
    );
  });

  void it('a model survives serialize → parse and save → load unchanged', async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fitArbitrary, async (p) => {
        const { model } = fitKModesDetailed(p.rows, options(p));
        assert.deepEqual(parseModel(serializeModel(model), 'memory'), model);
        const path = join(dir, 'model.json');
        await saveModel(path, model);
        const loaded = await loadModel(path);
        assert.deepEqual(loaded, model);
        assert.equal(serializeModel(loaded), serializeModel(model));
      }),
      { numRuns: 50 },
    );
  });
});
