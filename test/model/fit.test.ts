/** fitKModes edge cases: kmodes' few-distinct-rows shortcut and option validation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitKModes, fitKModesDetailed, type FitOptions } from '../../src/model/fit.js';

const base: FitOptions = { k: 5, nInit: 4, init: 'huang', seed: 9, featureNames: ['a', 'b'] };

void describe('fitKModes', () => {
  void it('with no more distinct rows than k, uses the distinct rows as centroids and says so', () => {
    const rows = [['y', '2'], ['x', '1'], ['y', '2'], ['z', '3'], ['x', '1']];
    const outcome = fitKModesDetailed(rows, base);
    const { model } = outcome;
    assert.equal(model.training.distinctRowsAtMostK, true);
    assert.equal(model.training.effectiveK, 3);
    assert.equal(model.params.k, 5);
    assert.deepEqual(model.centroids, [['y', '2'], ['x', '1'], ['z', '3']]);
    assert.equal(model.iterations, 0);
    assert.equal(model.cost, 0);
    assert.deepEqual(model.clusterSizes, [2, 2, 1]);
    assert.deepEqual([...outcome.labels], [0, 1, 0, 2, 1]);
    assert.equal(outcome.results.length, 1);
  });

  void it('otherwise says the shortcut did not fire', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [`v${i % 7}`, `w${i % 4}`]);
    const model = fitKModes(rows, { ...base, k: 3 });
    assert.equal(model.training.distinctRowsAtMostK, false);
    assert.equal(model.centroids.length, 3);
    assert.equal(model.runCosts.length, 4);
    assert.equal(model.cost, Math.min(...model.runCosts));
    assert.equal(model.runCosts.indexOf(model.cost), model.bestRun, 'the earliest best run wins');
  });

  void it('accepts explicit centroids as values or codes, with the same result', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [`v${i % 5}`, `w${(i * 7) % 3}`]);
    const byValue = fitKModes(rows, { ...base, k: 2, init: [['v0', 'w0'], ['v3', 'w2']], createdAt: new Date(0) });
    const byCode = fitKModes(rows, { ...base, k: 2, init: [[0, 0], [3, 2]], createdAt: new Date(0) });
    assert.deepEqual(byValue, byCode);
    assert.equal(byValue.params.init, 'explicit');
  });

  void it('refuses bad options with ERR_TRAIN', () => {
    const rows = [['a', 'b'], ['c', 'd']];
    assert.throws(() => fitKModes(rows, { ...base, k: 3 }), { code: 'ERR_TRAIN' });
    assert.throws(() => fitKModes(rows, { ...base, k: 0 }), { code: 'ERR_TRAIN' });
    assert.throws(() => fitKModes(rows, { ...base, k: 1, seed: -1 }), { code: 'ERR_TRAIN' });
    assert.throws(() => fitKModes(rows, { ...base, k: 1, init: [['zz', 'b']] }), { code: 'ERR_TRAIN' });
    assert.throws(() => fitKModes(rows, { ...base, k: 1, init: [['a', 'b'], ['c', 'd']] }), { code: 'ERR_TRAIN' });
    assert.throws(() => fitKModes([['a'], ['b', 'c']], { ...base, k: 1 }), { code: 'ERR_TRAIN' });
  });
});
