/**
 * The synchronous fit: strings in, model document out. Pure and self-contained, so it can run in
 * the caller's thread or inside a worker (see workers.ts for the off-thread, parallel version).
 */
import { DaemonError } from '../errors.js';
import { encodeRows, type EncodedMatrix } from './encoding.js';
import { planRuns, pickBest, runOne, type InitPlan, type RunPlan, type RunResult } from './kmodes.js';
import { buildModel, type KModesModel, type TimeInput } from './model.js';

/** Explicit initial centroids: encoded codes (as kmodes takes them) or values. */
export type ExplicitCentroids = readonly (readonly number[])[] | readonly (readonly string[])[];

/** Options of a K-Modes fit. */
export interface FitOptions {
  /** Number of clusters (the notebook used 15). */
  k: number;
  /** Independent Huang runs; the lowest cost wins (forced to 1 for Cao and explicit starts). */
  nInit: number;
  /** `'huang'` (the notebook's), `'cao'` (deterministic) or explicit centroids. */
  init: 'huang' | 'cao' | ExplicitCentroids;
  /** Master seed, an integer in 0..2^32-1; means what kmodes' `random_state` means. */
  seed: number;
  /** Most iterations per run. @default 100 */
  maxIter?: number;
  /** One name per column of the rows. */
  featureNames: readonly string[];
  /** First and last record time of the training rows (Date, ISO string or epoch seconds). */
  trainingTimeSpan?: { from: TimeInput; to: TimeInput };
  /** Time stamped into the model. @default now */
  createdAt?: Date;
}

/** Default of {@link FitOptions.maxIter}, as in kmodes. */
export const DEFAULT_MAX_ITER = 100;

/** Everything a fit produces; tests and tools use the labels, the daemon only the model. */
export interface FitOutcome {
  model: KModesModel;
  /** Nearest final centroid of every training row, in input order. */
  labels: Uint16Array;
  matrix: EncodedMatrix;
  plan: RunPlan;
  best: RunResult;
  results: RunResult[];
}

/** Converts the init option to codes against the matrix's vocabularies. */
export function resolveInit(matrix: EncodedMatrix, init: FitOptions['init']): InitPlan {
  if (init === 'huang' || init === 'cao') return { kind: init };
  const m = matrix.featureCount;
  const centroids = new Uint16Array(init.length * m);
  const codeMaps = matrix.vocabularies.map((values) => new Map(values.map((v, code) => [v, code])));
  init.forEach((centroid, c) => {
    if (centroid.length !== m) {
      throw new DaemonError('ERR_TRAIN', `model: explicit centroid ${c} has ${centroid.length} values, expected ${m}`);
    }
    centroid.forEach((value: number | string, f: number) => {
      const code = typeof value === 'number' ? value : (codeMaps[f] as Map<string, number>).get(value);
      const cardinality = (matrix.vocabularies[f] as string[]).length;
      if (code === undefined || !Number.isInteger(code) || code < 0 || code >= cardinality) {
        throw new DaemonError(
          'ERR_TRAIN',
          `model: explicit centroid ${c} feature ${f}: ${JSON.stringify(value)} is not a training value`,
        );
      }
      centroids[c * m + f] = code;
    });
  });
  return { kind: 'explicit', centroids };
}

/** Plans the runs of a fit of `matrix` with `options`. */
export function planFit(matrix: EncodedMatrix, options: FitOptions): RunPlan {
  if (options.featureNames.length !== matrix.featureCount) {
    throw new DaemonError('ERR_TRAIN', 'model: featureNames does not match the row width');
  }
  const init =
    typeof options.init !== 'string' && options.init.length !== options.k
      ? (() => {
          throw new DaemonError(
            'ERR_TRAIN',
            `model: explicit init has ${options.init.length} centroids, k is ${options.k}`,
          );
        })()
      : resolveInit(matrix, options.init);
  return planRuns(matrix, {
    k: options.k,
    nInit: options.nInit,
    init,
    seed: options.seed,
    maxIter: options.maxIter ?? DEFAULT_MAX_ITER,
  });
}

/** Builds the model document once the runs are done. */
export function finishFit(
  matrix: EncodedMatrix,
  plan: RunPlan,
  results: RunResult[],
  options: FitOptions,
): FitOutcome {
  const best = pickBest(results);
  const model = buildModel(matrix, plan, results, best, {
    params: {
      k: options.k,
      nInit: options.nInit,
      init: typeof options.init === 'string' ? options.init : 'explicit',
      seed: options.seed,
      maxIter: options.maxIter ?? DEFAULT_MAX_ITER,
    },
    featureNames: [...options.featureNames],
    createdAt: options.createdAt ?? new Date(),
    timeSpan: options.trainingTimeSpan,
  });
  const labels = new Uint16Array(matrix.rowCount);
  for (let i = 0; i < matrix.rowCount; i++) {
    labels[i] = best.distinctLabels[matrix.rowToDistinct[i] as number] as number;
  }
  return { model, labels, matrix, plan, best, results };
}

/** Fits and returns the model together with labels and per-run results. */
export function fitKModesDetailed(
  rows: readonly (readonly string[])[],
  options: FitOptions,
  debug: { trace?: boolean } = {},
): FitOutcome {
  return fitMatrixDetailed(encodeRows(rows, options.featureNames.length), options, debug);
}

/** As `fitKModesDetailed`, on rows already encoded (see `MatrixEncoder`). */
export function fitMatrixDetailed(matrix: EncodedMatrix, options: FitOptions, debug: { trace?: boolean } = {}): FitOutcome {
  const plan = planFit(matrix, options);
  const results = plan.runSeeds.map((_, i) => runOne(matrix, plan, i, debug));
  return finishFit(matrix, plan, results, options);
}

/**
 * Fits K-Modes exactly as Python kmodes 0.12.2 would (up to Huang's tie order), in this thread.
 * Pure and synchronous; call it inside a worker, or use `fitKModesInWorkers` from a daemon.
 */
export function fitKModes(rows: readonly (readonly string[])[], options: FitOptions): KModesModel {
  return fitKModesDetailed(rows, options).model;
}

/** As `fitKModes`, on rows already encoded (see `MatrixEncoder`). */
export function fitMatrix(matrix: EncodedMatrix, options: FitOptions): KModesModel {
  return fitMatrixDetailed(matrix, options).model;
}
