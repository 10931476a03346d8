/**
 * What `train`, `eval` and the sweep share: the training options of the command line over
 * `[model]`/`[training]`, reading and sampling the logs, and the fit (through the Retrainer the
 * daemon uses too). Not a command (the leading underscore keeps it out of the command list).
 */
import type { Config } from '../config/index.js';
import { trainArchive, type ArchiveInput } from '../hunt/index.js';
import type { KModesModel } from '../model/index.js';
import { fewerClustersNote, Retrainer, type TrainingSetBuilder, type VettedPair } from '../score/index.js';
import { TrainingWindow } from '../state/index.js';
import { HUNT_OPTIONS, intOption, UsageError } from './_common.js';

/** Training options after the INI and the command line are combined. */
export interface TrainPlan {
  k: number;
  nInit: number;
  init: 'huang' | 'cao';
  seed: number;
  /** One record in N, or `auto` (every record, thinned evenly past window_max_rows). */
  sample: number | 'auto';
}

export const TRAIN_OPTIONS = {
  k: { type: 'string' },
  'n-init': { type: 'string' },
  init: { type: 'string' },
  seed: { type: 'string' },
  sample: { type: 'string' },
} as const;

/** The options `train` and `eval` both take: the config, --json, the training and the hunt options. */
export const TRAINING_COMMAND_OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean', default: false },
  ...TRAIN_OPTIONS,
  ...HUNT_OPTIONS,
} as const;

/** Combines `[model]`/`[training]` with command-line overrides. */
export function trainPlan(config: Config, values: Partial<Record<keyof typeof TRAIN_OPTIONS, string>>): TrainPlan {
  const init = values.init ?? config.model.init;
  if (init !== 'huang' && init !== 'cao') throw new UsageError(`--init must be huang or cao, not '${init}'`);
  return {
    k: intOption('k', values.k, 1) ?? config.model.k,
    nInit: intOption('n-init', values['n-init'], 1) ?? config.model.nInit,
    init,
    seed: intOption('seed', values.seed) ?? config.model.seed ?? 0,
    sample: values.sample === 'auto' ? 'auto' : (intOption('sample', values.sample, 1) ?? config.training.sampleEvery),
  };
}

/** What training produced, and what it left out. */
export interface TrainResult {
  model: KModesModel;
  records: number;
  parseErrors: number;
  /** Files read, and files skipped whole by --since/--until. */
  files: number;
  skippedFiles: number;
  fitMs: number;
  /** Sampled rows of technique operations whose group had too few distinct hosts doing them. */
  withheldRows: number;
  vetting: VettedPair[];
  /** Why the model has fewer clusters than --k asked for (a tiny training set), if it has. */
  clusterNote: string | null;
}

/**
 * Reads `archive` (decoded and sampled in `threads` workers, one sampler stream per file, the
 * sampled records and the folded observations delivered here in file order, so the sample and
 * the model do not depend on the thread count), vets technique operations by distinct hosts,
 * fits and calibrates. Shared with `eval`.
 */
export async function trainFromLogs(
  config: Config,
  plan: TrainPlan,
  archive: ArchiveInput,
  threads: number,
): Promise<TrainResult> {
  const builder = trainingSetBuilder(config);
  if (plan.sample !== 'auto') {
    const totals = await trainArchive(
      archive,
      { every: plan.sample, mode: config.training.sampleMode, seed: plan.seed },
      { sampled: (record) => builder.add(record, true, false), observed: (record) => builder.add(record, false, true) },
      { threads, progress: 'reading' },
    );
    return fitTrainingSet(config, plan, builder, totals);
  }
  // The daemon's window policy, without its age limit (the logs given are the period wanted).
  const window = new TrainingWindow({ maxRows: config.training.windowMaxRows, maxAgeMs: 0, whenFull: 'thin' });
  const totals = await trainArchive(
    archive,
    { every: 1, mode: 'deterministic', seed: plan.seed },
    { sampled: (record) => window.offer(record), observed: (record) => builder.add(record, false, true) },
    { threads, progress: 'reading' },
  );
  for (const row of window.records()) builder.addRow(row);
  return fitTrainingSet(config, plan, builder, totals, window.stride);
}

/** How the rows were sampled, for messages. */
function sampleText(plan: TrainPlan, stride: number): string {
  if (plan.sample !== 'auto') return `sampled 1 in ${plan.sample}`;
  return stride === 1 ? 'every record kept' : `thinned to 1 in ${stride} (window_max_rows)`;
}

/** The builder `train`, `eval` and the sweep fill: routine thresholds from `[scoring]`. */
export function trainingSetBuilder(config: Config): TrainingSetBuilder {
  return retrainerFor(config).builder();
}

function retrainerFor(config: Config): Retrainer {
  return new Retrainer({ features: config.features, scoring: config.scoring });
}

/** Fits and calibrates on what `builder` collected. */
export async function fitTrainingSet(
  config: Config,
  plan: TrainPlan,
  builder: TrainingSetBuilder,
  totals: { records: number; parseErrors: number; files: number; skippedFiles: number },
  stride = 1,
): Promise<TrainResult> {
  const set = builder.build();
  if (set.matrix.rowCount === 0) {
    throw new UsageError(`no training rows: the logs hold ${totals.records} records, ${sampleText(plan, stride)}`);
  }
  const { model, fitMs } = await retrainerFor(config).fit(set, { k: plan.k, nInit: plan.nInit, init: plan.init, seed: plan.seed, maxIter: config.model.maxIter });
  return {
    model,
    records: totals.records,
    parseErrors: totals.parseErrors,
    files: totals.files,
    skippedFiles: totals.skippedFiles,
    fitMs,
    withheldRows: set.withheldRows,
    vetting: set.vetting,
    clusterNote: fewerClustersNote(plan.k, model),
  };
}
