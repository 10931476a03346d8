/**
 * One daemon retrain: the training window (and the routine statistics over every record read)
 * into a new model, through the Retrainer that `train` and `eval` use too. The daemon decides when
 * (schedule, bootstrap, first fill) and swaps the model in between batches; this is the what.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { DaemonError, messageOf } from '../errors.js';
import type { KModesModel } from '../model/index.js';
import { fewerClustersNote, Retrainer, type RoutineStats } from '../score/index.js';
import type { TrainingWindow } from '../state/index.js';
import { emptyRecord } from './learning-state.js';
import type { Logger } from '../log.js';
import type { ModelStore } from './model-store.js';

export interface WindowRetrainInput {
  /** What asked for it (schedule, bootstrap…), for the log. */
  reason: string;
  config: Config;
  window: TrainingWindow;
  routine: RoutineStats;
  models: ModelStore;
  log: Logger;
  /** Persists the routine statistics (after pruning, before the fit reads them). */
  saveRoutine: () => Promise<void>;
}

/** How a retrain went (logged already); `model` is set when installed in the store. */
export interface WindowRetrainOutcome {
  result: 'installed' | 'failed' | 'skipped';
  detail: string;
  model?: KModesModel;
}

/**
 * Ages the window and the statistics, fits a model in worker threads and installs it in the
 * store (not yet in use). A failed fit, or a model that breaks `max_cost_per_row`, leaves the
 * store as it was: the daemon keeps scoring with the model it has.
 */
export async function retrainFromWindow(input: WindowRetrainInput): Promise<WindowRetrainOutcome> {
  const started = Date.now();
  const { log } = input;
  try {
    const trained = await fitWindow(input);
    if ('skipped' in trained) {
      log.info(`retrain skipped: ${trained.skipped}`);
      return { result: 'skipped', detail: trained.skipped };
    }
    const { model } = trained;
    log.info('retrained', { reason: input.reason, model: model.modelId, rows: model.training.rows, cost: model.cost, ms: Date.now() - started });
    return { result: 'installed', detail: `${model.training.rows} rows, cost ${model.cost}`, model };
  } catch (error) {
    log.error(`retrain failed, keeping the current model: ${messageOf(error)}`);
    return { result: 'failed', detail: messageOf(error) };
  }
}

async function fitWindow(input: WindowRetrainInput): Promise<{ model: KModesModel } | { skipped: string }> {
  const { config, window, routine, models, log } = input;
  // Age is measured from the newest record, not the wall clock, so replayed or delayed logs
  // are not thrown away on arrival.
  window.evict(window.timeSpan()?.newest ?? Date.now() / 1000);
  const size = window.size;
  if (size < config.training.minRows) return { skipped: `window holds ${size} rows, fewer than min_rows ${config.training.minRows}` };
  // Routine is judged by the statistics over every record read, aged like the window.
  const newest = window.timeSpan()?.newest;
  if (newest !== undefined && config.training.windowMaxAgeMs > 0) routine.prune(newest - config.training.windowMaxAgeMs / 1000);
  await input.saveRoutine();
  const retrainer = new Retrainer({ features: config.features, scoring: config.scoring, stats: routine, inWorkers: true, maxWorkers: config.model.trainThreads });
  const builder = retrainer.builder(size);
  // In slices with a yield between them: building a 200k-row set in one go stalls reading
  // for ~200 ms. Batches may add (or, at capacity, replace) rows meanwhile; row(i) reads the
  // current columns, so the set is the window as it is while being read.
  const record = emptyRecord();
  for (let i = 0; i < window.size; i += 1) {
    if (i % 5000 === 4999) await yieldToEventLoop();
    if (i >= window.size) break;
    builder.add(window.readRow(i, record));
  }
  const { model } = await retrainer.fit(builder.build(), {
    k: config.model.k,
    nInit: config.model.nInit,
    init: config.model.init,
    seed: config.model.seed ?? (Date.now() % 2 ** 31),
    maxIter: config.model.maxIter,
  });
  const fewer = fewerClustersNote(config.model.k, model);
  if (fewer !== null) log.info(`retrain: ${fewer}`);
  const costPerRow = model.cost / model.training.rows;
  if (config.model.maxCostPerRow !== null && costPerRow > config.model.maxCostPerRow) {
    throw new DaemonError('ERR_TRAIN', `cost per row ${costPerRow.toFixed(3)} exceeds max_cost_per_row ${config.model.maxCostPerRow}`);
  }
  await models.install(model, config.model.keepModels);
  return { model };
}
