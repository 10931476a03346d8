/**
 * Training a model from sampled records, done one way by `train`, `eval` (and its sweep) and the
 * daemon's retrain: the training-set options come from `[scoring]` here and nowhere else, and the
 * set and the fit parameters reach K-Modes and the rarity calibration through one mapping.
 */
import type { FeatureOptions } from '../features/index.js';
import type { KModesModel } from '../model/index.js';
import { trainModel } from './calibrate.js';
import { routineOptionsFrom, type RoutineStats } from './routine.js';
import { TrainingSetBuilder, type TrainingSet } from './training-set.js';

/** The K-Modes parameters of one fit (`[model]`, or a command line's overrides of it). */
export interface FitPlan {
  k: number;
  nInit: number;
  init: 'huang' | 'cao';
  seed: number;
  maxIter: number;
}

/** The `[scoring]` keys training depends on. */
export interface TrainingScoring {
  rule: 'technique' | 'rate' | 'rarity' | 'distance';
  techniqueMinHosts: number;
  techniqueMinShare: number;
  routineMinDays: number;
  routineHabitDays: number;
  routineWarmupMs: number;
}

export interface RetrainerOptions {
  features: FeatureOptions;
  scoring: TrainingScoring;
  /**
   * Routine statistics kept over every record read (the daemon's); without them the builder
   * counts the records it is given, with `[scoring]`'s routine thresholds.
   */
  stats?: RoutineStats;
  /** Fit in worker threads, so that the caller's event loop keeps running (the daemon). */
  inWorkers?: boolean;
  maxWorkers?: number;
}

/** A fitted model and the set it was fitted on. */
export interface Fitted {
  model: KModesModel;
  set: TrainingSet;
  fitMs: number;
}

export class Retrainer {
  readonly #options: RetrainerOptions;

  constructor(options: RetrainerOptions) {
    this.#options = options;
  }

  /** An empty training set to fill with `add()`; `expectedRows` sizes it ahead. */
  builder(expectedRows?: number): TrainingSetBuilder {
    const { features, scoring, stats } = this.#options;
    return new TrainingSetBuilder(
      features,
      {
        minHosts: scoring.techniqueMinHosts,
        minShare: scoring.techniqueMinShare,
        ...(stats === undefined ? { routine: routineOptionsFrom(scoring) } : { stats }),
        // The notebook's rule trains on every sampled row: nothing is withheld.
        withhold: scoring.rule !== 'distance',
      },
      expectedRows,
    );
  }

  /** Fits K-Modes on `set` (built from this retrainer's builder) and calibrates rarity on it. */
  async fit(set: TrainingSet, plan: FitPlan): Promise<Fitted> {
    const started = performance.now();
    const model = await trainModel(set.matrix, {
      ...plan,
      featureNames: set.featureNames,
      timeSpan: set.timeSpan,
      techniques: set.techniques,
      routine: set.routine,
      ...(this.#options.inWorkers === true ? { inWorkers: true } : {}),
      ...(this.#options.maxWorkers === undefined ? {} : { maxWorkers: this.#options.maxWorkers }),
    });
    return { model, set, fitMs: performance.now() - started };
  }
}
