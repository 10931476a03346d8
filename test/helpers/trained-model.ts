/** A model trained on `training` with a config's default training plan, as `train` builds it. */
import { fitTrainingSet, trainingSetBuilder, trainPlan } from '../../src/cli/_training.js';
import type { Config } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

export async function trainedModel(config: Config, training: readonly DceRpcRecord[]): Promise<KModesModel> {
  const builder = trainingSetBuilder(config);
  for (const record of training) builder.add(record, true);
  const { model } = await fitTrainingSet(config, trainPlan(config, {}), builder, { records: training.length, parseErrors: 0, files: 0, skippedFiles: 0 });
  return model;
}
