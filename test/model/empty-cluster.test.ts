/**
 * The empty-cluster paths (no golden reaches them): a cluster empty after the first assignment
 * gets a random value per feature; a move that empties a cluster pulls a random member of the
 * largest cluster into it. Both draw from the run's generator, so they are compared exactly with
 * the Python executable spec on hand-made starts with duplicate centroids.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeRows } from '../../src/model/encoding.js';
import { planRuns, runOne } from '../../src/model/kmodes.js';
import { runSpec, specAvailable, type SpecCase } from './reference-spec.js';

const SPEC_ABSENT = specAvailable() ? false : '../shared/reference/kmodes_spec.py or python3 is absent';

/** Rows whose values are already codes in code-point order ("v0".."v9" sort like 0..9). */
function codesToRows(codes: number[][]): string[][] {
  return codes.map((row) => row.map((code) => `v${code}`));
}

const caseArbitrary = fc
  .record({
    features: fc.integer({ min: 1, max: 4 }),
    cardinality: fc.integer({ min: 2, max: 4 }),
    rowCount: fc.integer({ min: 8, max: 60 }),
    k: fc.integer({ min: 2, max: 7 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 2 }),
    raw: fc.array(fc.nat(), { minLength: 60 * 4, maxLength: 60 * 4 }),
    picks: fc.array(fc.nat(), { minLength: 7, maxLength: 7 }),
  })
  .map(({ features, cardinality, rowCount, k, seed, raw, picks }) => {
    // Skewed values (most rows repeat) so clusters drain and refill.
    const rows = Array.from({ length: rowCount }, (_, r) =>
      Array.from({ length: features }, (_, f) => {
        const x = (raw[r * 4 + f] ?? 0) % (cardinality * cardinality);
        return Math.min(cardinality - 1, Math.floor(Math.sqrt(x)));
      }),
    );
    // Every value code must occur in each column for codes to equal vocabulary indexes.
    for (let f = 0; f < features; f++) {
      for (let v = 0; v < cardinality; v++) (rows[v % rowCount] as number[])[f] = v;
    }
    // Starts taken from data rows, with a duplicate so at least one cluster starts empty.
    const init = Array.from({ length: k }, (_, c) => [...(rows[(picks[c] ?? 0) % rowCount] as number[])]);
    init[k - 1] = [...(init[0] as number[])];
    return { rows, init, runSeed: seed } satisfies SpecCase;
  });

void describe('empty clusters match the Python spec', { skip: SPEC_ABSENT }, () => {
  void it('on random small matrices with duplicate starting centroids', () => {
    const cases = fc.sample(caseArbitrary, { numRuns: 300, seed: 20260101 });
    const expected = runSpec(cases);
    let onlineRefills = 0;
    cases.forEach((spec, i) => {
      const features = spec.rows[0]?.length ?? 0;
      const matrix = encodeRows(codesToRows(spec.rows), features);
      // Rows may have no more distinct vectors than k; the spec has no shortcut, so run directly.
      const plan = {
        ...planRuns(matrix, { k: 1, nInit: 1, init: { kind: 'cao' }, seed: 0, maxIter: 100 }),
        k: spec.init.length,
        init: { kind: 'explicit' as const, centroids: Uint16Array.from(spec.init.flat()) },
        runSeeds: [spec.runSeed],
      };
      const result = runOne(matrix, plan, 0, { trace: true });
      onlineRefills += result.trace?.emptyClusterEvents ?? 0;
      const want = expected[i];
      assert.ok(want);
      const centroids = Array.from({ length: spec.init.length }, (_, c) =>
        Array.from(result.centroids.subarray(c * features, c * features + features)),
      );
      const message = `case ${i}: ${JSON.stringify(spec)}`;
      assert.deepEqual(centroids, want.centroids, message);
      assert.deepEqual(
        Array.from(matrix.rowToDistinct, (u) => result.distinctLabels[u]),
        want.labels,
        message,
      );
      assert.equal(result.cost, want.cost, message);
      assert.equal(result.iterations, want.iterations, message);
      assert.deepEqual(result.epochCosts, want.epochCosts, message);
    });
    // The suite must actually reach the online refill path, not only the first-update draw.
    assert.ok(onlineRefills > 0, 'no case emptied a cluster during a pass');
  });
});

void describe('empty clusters (hand-made, no spec needed)', () => {
  void it('a duplicate starting centroid is empty after the first assignment and gets data values', () => {
    const rows = [
      ...Array.from({ length: 20 }, () => ['a', 'x']),
      ...Array.from({ length: 20 }, () => ['b', 'y']),
      ['c', 'z'],
    ];
    const matrix = encodeRows(rows, 2);
    // Start: cluster 0 = (a,x), cluster 1 = (a,x) again (never wins a tie), cluster 2 = (b,y).
    const plan = planRuns(matrix, {
      k: 3,
      nInit: 1,
      init: { kind: 'explicit', centroids: Uint16Array.from([0, 0, 0, 0, 1, 1]) },
      seed: 7,
      maxIter: 100,
    });
    const result = runOne(matrix, plan, 0, { trace: true });
    const update = result.trace?.centroidsAfterInitialUpdate;
    assert.ok(update);
    // The empty cluster's values are drawn from the columns: valid codes, and the run finishes
    // with labels that are each row's nearest centroid.
    for (let i = 0; i < update.length; i++) assert.ok((update[i] as number) < 3);
    assert.equal(result.distinctLabels.length, matrix.distinctCount);
    assert.ok(result.cost <= 2, `cost ${result.cost}: the three row groups should end apart`);
  });
});
