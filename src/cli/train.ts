/**
 * `zeek-anomalyd train`: logs in, model out. Trains on every record up to window_max_rows rows,
 * thinned evenly beyond (sample_every = auto), or on one record in N (the notebook kept 1 in 20);
 * extracts the configured features, fits K-Modes and calibrates rarity on the sample.
 */
import { EXIT } from '../errors.js';
import { TrainingWindow } from '../state/index.js';
import { serializeModel, type KModesModel } from '../model/index.js';
import { outputMode, writeOutputFile } from '../sink/index.js';
import { fewerClustersNote, routineOptionsFrom, TrainingSetBuilder, trainModel, type VettedPair } from '../score/index.js';
import type { Config } from '../config/index.js';
import { trainArchive, type ArchiveInput } from '../hunt/index.js';
import {
  HUNT_OPTIONS,
  HUNT_USAGE,
  huntArchive,
  huntPlan,
  intOption,
  loadConfigOption,
  runCommand,
  parseCommandArgs,
  UsageError,
} from './_common.js';

export const summary = 'train a K-Modes model from dce_rpc logs';

const USAGE = `usage: zeek-anomalyd train [-c INI] [-o MODEL] [--k N] [--n-init N] [--init huang|cao]
                           [--seed N] [--sample N|auto] [-j N] [--since TIME] [--until TIME]
                           [--json] LOG...

Reads the logs (TSV, JSON, .gz; decoded and sampled in worker threads, taken in the order of
the records' time), keeps every record (up to [training] window_max_rows, thinned evenly
beyond) or one record in N (each file sampled on its own, from a stream keyed by its place in
that order), and writes a model. The sample, and so the model, is the same for any number of
threads.
  -c, --config INI   configuration (features, IP groups, model defaults); default: built-in
  -o, --output FILE  model file to write (default: model.json); replaced atomically (a device or
                     FIFO is written to, never replaced; - = standard output)
  --k N              clusters (default: [model] k, 15)
  --n-init N         independent Huang runs, best kept (default: [model] n_init, 4)
  --init huang|cao   initialisation (default: [model] init)
  --seed N           random seed (default: [model] seed, else 0)
  --sample N|auto    keep one record in N, or auto (default: [training] sample_every, auto)
  --json             print one JSON summary line on stdout
${HUNT_USAGE}`;

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
  return new TrainingSetBuilder(config.features, {
    minHosts: config.scoring.techniqueMinHosts,
    minShare: config.scoring.techniqueMinShare,
    routine: routineOptionsFrom(config.scoring),
    // The notebook's rule trains on every sampled row: nothing is withheld.
    withhold: config.scoring.rule !== 'distance',
  });
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
  const started = performance.now();
  const model = await trainModel(set.matrix, {
    k: plan.k,
    nInit: plan.nInit,
    init: plan.init,
    seed: plan.seed,
    maxIter: config.model.maxIter,
    featureNames: set.featureNames,
    timeSpan: set.timeSpan,
    techniques: set.techniques,
    routine: set.routine,
  });
  return {
    model,
    records: totals.records,
    parseErrors: totals.parseErrors,
    files: totals.files,
    skippedFiles: totals.skippedFiles,
    fitMs: performance.now() - started,
    withheldRows: set.withheldRows,
    vetting: set.vetting,
    clusterNote: fewerClustersNote(plan.k, model),
  };
}

export async function run(args: string[]): Promise<number> {
  return runCommand('train', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        config: { type: 'string', short: 'c' },
        output: { type: 'string', short: 'o', default: 'model.json' },
        json: { type: 'boolean', default: false },
        ...TRAIN_OPTIONS,
        ...HUNT_OPTIONS,
      },
      USAGE,
      true,
    );
    if (parsed === null) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('no LOG given');
    const config = await loadConfigOption(values.config);
    const plan = trainPlan(config, values);
    // Refuse a directory (or a block device) before the training, not after it.
    await outputMode(values.output, 'train');
    const hunt = huntPlan(values);
    const archive = huntArchive(positionals, hunt);
    const { model, records, parseErrors, files, skippedFiles, fitMs, withheldRows, clusterNote } = await trainFromLogs(config, plan, archive, hunt.threads);
    if (clusterNote !== null) process.stderr.write(`train: ${clusterNote}\n`);
    await writeOutputFile(values.output, serializeModel(model), 'train');
    const result = {
      rows: model.training.rows,
      distinct_rows: model.training.distinctRows,
      records,
      parse_errors: parseErrors,
      files,
      skipped_files: skippedFiles,
      k: model.centroids.length,
      cost: model.cost,
      iterations: model.iterations,
      withheld_rows: withheldRows,
      fit_ms: Math.round(fitMs),
      model: values.output,
      model_id: model.modelId,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      process.stderr.write(
        `trained ${model.modelId} on ${result.rows} of ${records} records (${result.distinct_rows} distinct), ` +
          `${withheldRows} unvetted technique rows withheld, k=${result.k}, cost ${result.cost}, ${result.iterations} iterations, ${result.fit_ms} ms -> ${values.output}\n`,
      );
    }
    return parseErrors > 0 ? EXIT.dataErrors : EXIT.ok;
  });
}
