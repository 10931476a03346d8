/**
 * Calibration: the rarity distribution of the training rows, stored in the model so that a
 * rate-based rule ("flag the rarest 0.05%") becomes a fixed rarity threshold at scoring time.
 */
import { computeModelId, fitKModes, fitKModesInWorkers, ModelIndex, type KModesModel } from '../model/index.js';
import { rarityBits, Scorer } from './scorer.js';

/**
 * The calibration work, one slice of rows per step, so that the daemon can give its event loop a
 * turn between slices (`calibrateModelYielding`) while offline tools run it in one go.
 */
function* calibrationSteps(
  model: KModesModel,
  rows: readonly (readonly string[])[],
  sliceRows: number,
): Generator<void, KModesModel> {
  const index = new ModelIndex(model);
  const scorer = new Scorer(model, { kind: 'distance', threshold: Infinity });
  const trainingRows = model.training.rows;
  const codes = new Int32Array(model.featureNames.length);
  const histogram = new Map<number, number>();
  const byKey = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % sliceRows === 0) yield;
    index.encode(rows[i] as readonly string[], codes);
    let key = '';
    for (let f = 0; f < codes.length; f++) key += String.fromCharCode((codes[f] as number) + 1);
    let rarity = byKey.get(key);
    if (rarity === undefined) {
      // Rounded as anomalies.log prints it, so a threshold compares like with like.
      rarity = Math.round(rarityBits(scorer.supportOf(codes), trainingRows) * 1000) / 1000;
      byKey.set(key, rarity);
    }
    histogram.set(rarity, (histogram.get(rarity) ?? 0) + 1);
  }
  const rarity = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const calibrated: KModesModel = { ...model, calibration: { rarity } };
  calibrated.modelId = computeModelId(calibrated);
  return calibrated;
}

/** Returns the model with `calibration` filled from `rows` (normally its training rows). */
export function calibrateModel(model: KModesModel, rows: readonly (readonly string[])[]): KModesModel {
  const steps = calibrationSteps(model, rows, Number.MAX_SAFE_INTEGER);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** As `calibrateModel`, yielding to the event loop every `sliceRows` rows. */
export async function calibrateModelYielding(
  model: KModesModel,
  rows: readonly (readonly string[])[],
  sliceRows = 10_000,
): Promise<KModesModel> {
  const steps = calibrationSteps(model, rows, sliceRows);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
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
  const withTechniques = { ...model, techniques: options.techniques ?? null };
  return options.inWorkers === true ? calibrateModelYielding(withTechniques, rows) : calibrateModel(withTechniques, rows);
}
