/**
 * Calibration: the rarity distribution of the training rows, stored in the model so that a
 * rate-based rule ("flag the rarest 0.05%") becomes a fixed rarity threshold at scoring time.
 */
import {
  computeModelId,
  encodeRows,
  fitMatrix,
  fitMatrixInWorkers,
  ModelIndex,
  type EncodedMatrix,
  type KModesModel,
} from '../model/index.js';
import { rarityBits, roundRarity, Scorer } from './scorer.js';

/**
 * The calibration work, one slice of distinct rows per step, so that the daemon can give its
 * event loop a turn between slices (`calibrateModelYielding`) while offline tools run it in one
 * go. Rows that repeat share a rarity, so each distinct row is scored once and counted with its
 * weight: the histogram is the one a walk over every row would give.
 */
function* calibrationSteps(
  model: KModesModel,
  matrix: EncodedMatrix,
  sliceRows: number,
): Generator<void, KModesModel> {
  const index = new ModelIndex(model);
  const scorer = new Scorer(model, { kind: 'distance', threshold: Infinity });
  const trainingRows = model.training.rows;
  const m = matrix.featureCount;
  const values = new Array<string>(m);
  const codes = new Int32Array(model.featureNames.length);
  const histogram = new Map<number, number>();
  for (let d = 0; d < matrix.distinctCount; d++) {
    if (d > 0 && d % sliceRows === 0) yield;
    for (let f = 0; f < m; f++) values[f] = (matrix.vocabularies[f] as string[])[matrix.distinctCodes[d * m + f] as number] as string;
    index.encode(values, codes);
    // Rounded as anomalies.log prints it, so a threshold compares like with like.
    const rarity = roundRarity(rarityBits(scorer.supportOf(codes), trainingRows));
    histogram.set(rarity, (histogram.get(rarity) ?? 0) + (matrix.distinctWeights[d] as number));
  }
  const rarity = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const calibrated: KModesModel = { ...model, calibration: { rarity } };
  calibrated.modelId = computeModelId(calibrated);
  return calibrated;
}

/** The training rows as given: strings, or already encoded. */
export type TrainingRows = readonly (readonly string[])[] | EncodedMatrix;

function asMatrix(rows: TrainingRows, featureCount: number): EncodedMatrix {
  return 'distinctCodes' in rows ? rows : encodeRows(rows, featureCount);
}

/** Returns the model with `calibration` filled from `rows` (normally its training rows). */
export function calibrateModel(model: KModesModel, rows: TrainingRows): KModesModel {
  const steps = calibrationSteps(model, asMatrix(rows, model.featureNames.length), Number.MAX_SAFE_INTEGER);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** As `calibrateModel`, yielding to the event loop every `sliceRows` distinct rows. */
export async function calibrateModelYielding(
  model: KModesModel,
  rows: TrainingRows,
  sliceRows = 5_000,
): Promise<KModesModel> {
  const steps = calibrationSteps(model, asMatrix(rows, model.featureNames.length), sliceRows);
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
  /** Most worker threads when `inWorkers`. @default os.availableParallelism() */
  maxWorkers?: number;
  /** Host vetting of technique operations, stored in the model for the scorer. */
  techniques?: KModesModel['techniques'];
  /** Routine statistics (routine.ts), stored in the model for the scorer. */
  routine?: KModesModel['routine'];
}

/**
 * Why the fitted model has fewer clusters than asked for, or null. kmodes refuses k above the
 * row count and, with no more distinct rows than k, fits one cluster per distinct row; a small
 * site's first window can be that small, so trainModel fits what the rows allow and the caller
 * logs this instead of failing.
 */
export function fewerClustersNote(requestedK: number, model: KModesModel): string | null {
  if (model.training.effectiveK >= requestedK) return null;
  const { rows, distinctRows } = model.training;
  return `k = ${requestedK} is more than the ${rows < requestedK ? `${rows} training rows` : `${distinctRows} distinct training rows`}: fitted ${model.training.effectiveK} clusters, one per distinct row`;
}

/**
 * Fits K-Modes on `rows` and calibrates the rarity distribution on the same rows. `k` above the
 * row count is lowered to it (see fewerClustersNote); `params.k` keeps the value asked for.
 */
export async function trainModel(rows: TrainingRows, options: TrainOptions): Promise<KModesModel> {
  const matrix = asMatrix(rows, options.featureNames.length);
  const fitOptions = {
    k: Math.max(1, Math.min(options.k, matrix.rowCount)),
    nInit: options.nInit,
    init: options.init,
    seed: options.seed,
    maxIter: options.maxIter,
    featureNames: options.featureNames,
    ...(options.timeSpan === undefined ? {} : { trainingTimeSpan: options.timeSpan }),
  };
  const model = options.inWorkers === true ? await fitMatrixInWorkers(matrix, fitOptions, options.maxWorkers === undefined ? {} : { maxWorkers: options.maxWorkers }) : fitMatrix(matrix, fitOptions);
  const withTechniques: KModesModel = { ...model, params: { ...model.params, k: options.k }, techniques: options.techniques ?? null, ...(options.routine === undefined ? {} : { routine: options.routine }) };
  return options.inWorkers === true ? calibrateModelYielding(withTechniques, matrix) : calibrateModel(withTechniques, matrix);
}
