/**
 * The Retrainer is the one training path of `train`, `eval` and the daemon: what `[scoring]`
 * makes of the training set (withheld routine rows, external statistics) and a fit that gives
 * the same model in worker threads (the daemon) as in this thread (the commands).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEATURE_OPTIONS, type FeatureOptions } from '../../src/features/index.js';
import { generateDceRpc } from '../../src/generate/generator.js';
import { serializeModel, type KModesModel } from '../../src/model/index.js';
import { Retrainer, RoutineStats, type TrainingScoring } from '../../src/score/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const FEATURES: FeatureOptions = {
  ...DEFAULT_FEATURE_OPTIONS,
  ipGroups: [
    { name: 'servers', cidrs: ['10.0.0.0/24'] },
    { name: 'workstations', cidrs: ['10.1.0.0/16'] },
  ],
};
const SCORING: TrainingScoring = {
  rule: 'technique',
  techniqueMinHosts: 3,
  techniqueMinShare: 0.1,
  routineMinDays: 2,
  routineHabitDays: 3,
  routineWarmupMs: 86_400_000,
};
const PLAN = { k: 6, nInit: 2, init: 'huang' as const, seed: 9, maxIter: 30 };
const records: DceRpcRecord[] = [...generateDceRpc({ rows: 12_000, seed: 21, days: 2 })];

function withoutIdentity(model: KModesModel): string {
  return serializeModel({ ...model, createdAt: '1970-01-01T00:00:00.000Z', modelId: 'x' });
}

void test('the same model in worker threads (the daemon) as in this thread (train, eval)', async () => {
  const inThread = new Retrainer({ features: FEATURES, scoring: SCORING });
  const inWorkers = new Retrainer({ features: FEATURES, scoring: SCORING, inWorkers: true, maxWorkers: 2 });
  const fill = (retrainer: Retrainer) => {
    const builder = retrainer.builder(records.length);
    records.forEach((record, i) => builder.add(record, i % 4 === 0));
    return builder.build();
  };
  const a = await inThread.fit(fill(inThread), PLAN);
  const b = await inWorkers.fit(fill(inWorkers), PLAN);
  assert.equal(withoutIdentity(b.model), withoutIdentity(a.model));
  assert.equal(a.model.params.k, PLAN.k);
  assert.ok(a.set.withheldRows > 0, 'technique rows of too few hosts are withheld under the technique rule');
  assert.equal(a.model.training.rows, a.set.matrix.rowCount);
});

void test("the notebook's distance rule withholds nothing; external statistics are not counted again", () => {
  const notebook = new Retrainer({ features: FEATURES, scoring: { ...SCORING, rule: 'distance' } });
  const builder = notebook.builder();
  for (const record of records) builder.add(record, true);
  assert.equal(builder.build().withheldRows, 0);

  const stats = new RoutineStats({ minHosts: 3, minShare: 0.1 });
  for (const record of records.slice(0, 100)) stats.observe(record.ts, record.origHost, 'servers', record.endpoint, record.operation);
  const before = JSON.stringify(stats.toJSON());
  const daemonLike = new Retrainer({ features: FEATURES, scoring: SCORING, stats });
  const fromWindow = daemonLike.builder();
  for (const record of records) fromWindow.add(record, true);
  fromWindow.build();
  assert.equal(JSON.stringify(stats.toJSON()), before, 'the daemon counts every record itself; the window rows are not counted twice');
});
