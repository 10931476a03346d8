import { DEFAULT_MAX_VALUES_PER_FEATURE, RARE_VALUE } from '../../src/model/encoding.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureOptions } from '../../src/features/index.js';
import { generateDceRpc } from '../../src/generate/generator.js';
import { encodeRows, ModelIndex, withoutRows, type KModesModel } from '../../src/model/index.js';
import { rarityBits, RoutineIndex, RoutineStats, Scorer, techniqueFor, trainModel, TrainingSetBuilder } from '../../src/score/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const FEATURES: FeatureOptions = {
  ...DEFAULT_FEATURE_OPTIONS,
  ipGroups: [
    { name: 'servers', cidrs: ['10.0.0.0/24'] },
    { name: 'workstations', cidrs: ['10.1.0.0/16'] },
  ],
};
const VETTING = { minHosts: 3, minShare: 0.1 };

/**
 * The training set as it was built before rows were encoded on arrival: every sampled row kept
 * as strings, the rows the routine test flags filtered out at the end. The builder must match it.
 */
function stringRowsReference(records: readonly DceRpcRecord[], sampled: (i: number) => boolean): string[][] {
  const extractor = new FeatureExtractor(FEATURES);
  const groupOf = new FeatureExtractor({ ...FEATURES, features: ['orig_ip_group'] });
  const stats = new RoutineStats(VETTING);
  const rows: { row: string[]; record: DceRpcRecord; origGroup: string }[] = [];
  records.forEach((record, i) => {
    const origGroup = groupOf.extract(record)[0] as string;
    stats.observe(record.ts, record.origHost, origGroup, record.endpoint, record.operation);
    if (sampled(i)) rows.push({ row: extractor.extract(record), record, origGroup });
  });
  const index = new RoutineIndex(stats.profile());
  return rows
    .filter(({ record, origGroup }) => !index.judge(record.endpoint, record.operation, origGroup, techniqueFor(record.operation)).flagged)
    .map(({ row }) => row);
}

function withoutIdentity(model: KModesModel): Omit<KModesModel, 'createdAt' | 'modelId'> {
  const { createdAt: _createdAt, modelId: _modelId, ...rest } = model;
  return rest;
}

const rowsArbitrary = fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'é', '𝔸', ''), { minLength: 3, maxLength: 3 }), {
  maxLength: 60,
});

void describe('withoutRows', () => {
  void it('gives the matrix encodeRows gives for the remaining rows', () => {
    fc.assert(
      fc.property(rowsArbitrary, fc.array(fc.nat(70)), (rows, drop) => {
        const dropped = new Set(drop);
        const expected = encodeRows(
          rows.filter((_, i) => !dropped.has(i)),
          3,
        );
        assert.deepEqual(withoutRows(encodeRows(rows, 3), dropped), expected);
      }),
      { numRuns: 300 },
    );
  });
});

void describe('TrainingSetBuilder', () => {
  const records: DceRpcRecord[] = [...generateDceRpc({ rows: 30_000, seed: 11, days: 2 })];

  void it('encodes on arrival to exactly the matrix and model of the string rows it replaces', async () => {
    const sampled = (i: number): boolean => i % 3 !== 1;
    const builder = new TrainingSetBuilder(FEATURES, VETTING, 10);
    records.forEach((record, i) => builder.add(record, sampled(i)));
    const set = builder.build();
    const reference = stringRowsReference(records, sampled);
    // The case that matters: some technique rows withheld, so rows, values and distinct rows drop.
    assert.ok(set.withheldRows > 0, 'the generated attacks leave some technique rows unvetted');
    assert.equal(set.matrix.rowCount, reference.length);
    assert.deepEqual(set.matrix, encodeRows(reference, FEATURES.features.length));

    const options = { k: 8, nInit: 2, init: 'huang' as const, seed: 5, maxIter: 30, featureNames: set.featureNames };
    const fromMatrix = await trainModel(set.matrix, options);
    const fromStrings = await trainModel(reference, options);
    const inWorkers = await trainModel(set.matrix, { ...options, inWorkers: true });
    assert.deepEqual(withoutIdentity(fromMatrix), withoutIdentity(fromStrings));
    assert.deepEqual(withoutIdentity(inWorkers), withoutIdentity(fromStrings));
    // Calibration scores each distinct row once, weighted; row by row must give the same histogram.
    const index = new ModelIndex(fromStrings);
    const scorer = new Scorer(fromStrings, { kind: 'distance', threshold: Infinity });
    const codes = new Int32Array(set.featureNames.length);
    const perRow = new Map<number, number>();
    for (const row of reference) {
      index.encode(row, codes);
      const rarity = Math.round(rarityBits(scorer.supportOf(codes), reference.length) * 1000) / 1000;
      perRow.set(rarity, (perRow.get(rarity) ?? 0) + 1);
    }
    assert.deepEqual(fromMatrix.calibration?.rarity, [...perRow.entries()].sort((a, b) => a[0] - b[0]));
  });

  // Issue #15 item 2: more distinct values than codes used to fail the build (ERR_TRAIN "more
  // than 65535 distinct values"); past the encoder's bound they are folded into RARE_VALUE.
  void it('folds a flood of distinct values into one rare value instead of failing the build', () => {
    const builder = new TrainingSetBuilder({ ...FEATURES, features: ['resp_port'] }, VETTING);
    const base = records[0] as DceRpcRecord;
    for (let port = 0; port <= 0x10000; port++) builder.add({ ...base, respPort: port });
    const set = builder.build();
    assert.equal(set.matrix.rowCount, 0x10001);
    const vocabulary = set.matrix.vocabularies[0] ?? [];
    assert.equal(vocabulary.length, DEFAULT_MAX_VALUES_PER_FEATURE + 1);
    assert.ok(vocabulary.includes(RARE_VALUE));
  });
});
