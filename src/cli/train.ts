/**
 * `zeek-anomalyd train`: logs in, model out. Trains on every record up to window_max_rows rows,
 * thinned evenly beyond (sample_every = auto), or on one record in N (the notebook kept 1 in 20);
 * extracts the configured features, fits K-Modes and calibrates rarity on the sample.
 */
import { EXIT } from '../errors.js';
import { serializeModel } from '../model/index.js';
import { outputMode, writeOutputFile } from '../sink/index.js';
import { HUNT_USAGE, huntArchive, huntPlan, loadConfigOption, runCommand, parseCommandArgs, UsageError } from './_common.js';
import { TRAINING_COMMAND_OPTIONS, trainFromLogs, trainPlan } from './_training.js';

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

export async function run(args: string[]): Promise<number> {
  return runCommand('train', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      { output: { type: 'string', short: 'o', default: 'model.json' }, ...TRAINING_COMMAND_OPTIONS },
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
