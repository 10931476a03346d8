/** The compiled scorer on a real golden model, against a straightforward reference. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitKModes } from '../../src/model/fit.js';
import { ModelIndex } from '../../src/model/model-index.js';

const featureNames = ['endpoint', 'operation'];
const rows = [
  ...Array.from({ length: 10 }, () => ['samr', 'SamrConnect5']),
  ...Array.from({ length: 10 }, () => ['drsuapi', 'DRSBind']),
  ['samr', 'DRSBind'],
];

void describe('ModelIndex', () => {
  const model = fitKModes(rows, { k: 2, nInit: 1, init: 'cao', seed: 0, featureNames });
  const index = new ModelIndex(model);
  const samr = model.centroids.findIndex((c) => c[0] === 'samr' && c[1] === 'SamrConnect5');
  const drs = model.centroids.findIndex((c) => c[0] === 'drsuapi' && c[1] === 'DRSBind');

  void it('finds the exact centroid at distance 0', () => {
    assert.ok(samr >= 0 && drs >= 0, JSON.stringify(model.centroids));
    assert.deepEqual(index.assign(['samr', 'SamrConnect5']), { cluster: samr, distance: 0, mismatched: [], unseen: [] });
  });

  void it('breaks a tie toward the lower cluster index', () => {
    const got = index.assign(['samr', 'DRSBind']);
    assert.equal(got.cluster, Math.min(samr, drs));
    assert.equal(got.distance, 1);
  });

  void it('an unseen value matches no centroid, even one whose value looks alike', () => {
    const got = index.assign(['samr', 'NeverSeen']);
    assert.deepEqual(got, { cluster: samr, distance: 1, mismatched: [1], unseen: [1] });
    const all = index.assign(['x', 'y']);
    assert.equal(all.distance, 2);
    assert.deepEqual(all.unseen, [0, 1]);
    assert.equal(all.cluster, 0);
  });
});
