/**
 * Calibration: the rarity distribution of the training rows, stored in the model so that a
 * rate-based rule ("flag the rarest 0.05%") becomes a fixed rarity threshold at scoring time.
 */
import { computeModelId, fitKModes, fitKModesInWorkers, ModelIndex, type KModesModel } from '../model/index.js';
import { Scorer } from './scorer.js';

/** Returns the model with `calibration` filled from `rows` (normally its training rows). */
export function calibrateModel(model: KModesModel, rows: readonly (readonly string[])[]): KModesModel {
  const index = new ModelIndex(model);
  const scorer = new Scorer(model, { kind: 'distance', threshold: Infinity });
  const codes = new Int32Array(model.featureNames.length);
  const histogram = new Map<number, number>();
  const byKey = new Map<string, number>();
  for (const row of rows) {
    index.encode(row, codes);
    let key = '';
    for (let f = 0; f < codes.length; f++) key += String.fromCharCode((codes[f] as number) + 1);
    let rarity = byKey.get(key);
    if (rarity === undefined) {
      rarity = Math.round(scorer.score(row, null).rarity * 1000) / 1000;
      byKey.set(key, rarity);
    }
    histogram.set(rarity, (histogram.get(rarity) ?? 0) + 1);
  }
  const rarity = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const calibrated: KModesModel = { ...model, calibration: { rarity } };
  calibrated.modelId = computeModelId(calibrated);
  return calibrated;
}

/** What training needs besides the rows. */
export interface TrainOptions {
  k: number;
  nInit: number;
  init: 'huang' | 'cao';
  seed: number;
  maxIter: number;
  featureNames: readonly string[];
  timeSpan?: { from: number; to: number } | undefined;
  /** Fit in worker threads so the caller's event loop keeps running (the daemon). */
  inWorkers?: boolean;
  /** Host vetting of technique operations, stored in the model for the scorer. */
  techniques?: KModesModel['techniques'];
}

/** Fits K-Modes on `rows` and calibrates the rarity distribution on the same rows. */
export async function trainModel(rows: string[][], options: TrainOptions): Promise<KModesModel> {
  const fitOptions = {
    k: options.k,
    nInit: options.nInit,
    init: options.init,
    seed: options.seed,
    maxIter: options.maxIter,
    featureNames: options.featureNames,
    ...(options.timeSpan === undefined ? {} : { trainingTimeSpan: options.timeSpan }),
  };
  const model = options.inWorkers === true ? await fitKModesInWorkers(rows, fitOptions) : fitKModes(rows, fitOptions);
  return calibrateModel({ ...model, techniques: options.techniques ?? null }, rows);
}
