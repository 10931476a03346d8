/**
 * `zeek-anomalyd score`: logs and a model in, anomalies out, in the anomalies.log record format
 * (Zeek TSV or Zeek JSON). The same evaluator as the daemon's, so offline and live agree.
 */
import { EXIT } from '../errors.js';
// Modules, not the stages' index files: `score` starts faster for not loading what it does not
// run (training, the daemon's output files, the tail stage), tens of ms of a fresh process.
import { loadModel } from '../model/store.js';
import { ANOMALY_SCHEMA } from '../score/anomaly-record.js';
import { checkModelFeatures } from '../score/evaluator.js';
import { createAnomalyFormatter } from '../sink/format.js';
import { openOutputTarget, type OutputTarget } from '../sink/output-target.js';
import { HUNT_OPTIONS, HUNT_USAGE, huntArchive, huntPlan, loadConfigOption, parseCommandArgs, runCommand, UsageError, type HuntPlan } from './_common.js';
import { scoreArchive, StartedWorkers } from '../hunt/index.js';
import { FeatureExtractor } from '../features/extractor.js';

export const summary = 'score dce_rpc logs against a model and write the anomalies';

const USAGE = `usage: zeek-anomalyd score [-c INI] -m MODEL [-o OUT] [--format zeek|json] [-j N]
                           [--since TIME] [--until TIME] [--json] LOG...

Scores every record of the logs (TSV, JSON, .gz) in worker threads and writes the anomalous
ones in the anomalies.log format (docs/output-format.md), file by file (files in the order of
their first record's time), each in line order. Discovery sweeps are flagged when the model
saw them in training; live fan-out counting is the daemon's and eval's (docs/hunting.md).
  -c, --config INI   configuration (features, IP groups, [scoring] rule, allow-list); default: built-in
  -m, --model FILE   model written by 'zeek-anomalyd train' (required)
  -o, --output FILE  output file, replaced atomically when complete (a device or FIFO such as
                     /dev/null is written to, never replaced; - = standard output, the default)
  --format zeek|json Zeek TSV or Zeek JSON (default: [output] format)
  --json             print one JSON summary line on stdout (requires -o)
${HUNT_USAGE}Exit status: 0 ok, 1 some input lines were bad (the rest was scored), 2 usage or unreadable input,
78 invalid configuration.
`;

/** Output text collected between input chunks is written once it reaches this many characters. */
const FLUSH_AT_CHARS = 256 * 1024;

/** Collects formatted lines and hands them to the output in large writes. */
class Batcher {
  readonly #output: OutputTarget;
  #parts: string[] = [];
  #size = 0;
  constructor(output: OutputTarget) {
    this.#output = output;
  }
  add(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
  }
  /** Writes what was collected when it is large enough, or always with `force`. */
  async flush(force = false): Promise<void> {
    if (this.#size === 0 || (!force && this.#size < FLUSH_AT_CHARS)) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    await this.#output.write(text);
  }
}

export async function run(args: string[]): Promise<number> {
  return runCommand('score', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        config: { type: 'string', short: 'c' },
        model: { type: 'string', short: 'm' },
        output: { type: 'string', short: 'o' },
        format: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...HUNT_OPTIONS,
      },
      USAGE,
      true,
    );
    if (parsed === null) return EXIT.ok;
    const { values, positionals } = parsed;
    if (values.model === undefined) throw new UsageError('-m MODEL is required');
    if (positionals.length === 0) throw new UsageError('no LOG given');
    if (values.json && (values.output === undefined || values.output === '-')) throw new UsageError('--json needs -o OUT (stdout carries the anomalies)');
    const hunt = huntPlan(values);
    // Started first: their module loading overlaps reading the configuration and the model
    // and discovering the archive, which no longer delay the first record (docs/hunting.md).
    const workers = new StartedWorkers(hunt.threads);
    try {
      return await scoreWith(values, values.model, positionals, hunt, workers);
    } finally {
      workers.close();
    }
  });
}

async function scoreWith(
  values: { config?: string; output?: string; format?: string; json?: boolean },
  modelPath: string,
  positionals: string[],
  hunt: HuntPlan,
  workers: StartedWorkers,
): Promise<number> {
  const config = await loadConfigOption(values.config);
  const format = values.format ?? config.output.format;
  if (format !== 'zeek' && format !== 'json') throw new UsageError(`--format must be zeek or json, not '${format}'`);
  const model = await loadModel(modelPath);
  checkModelFeatures(model, new FeatureExtractor(config.features).names, modelPath);
  const started = performance.now();
  const archive = huntArchive(positionals, hunt);

  const formatter = createAnomalyFormatter({ format, schema: ANOMALY_SCHEMA, fieldNames: config.output.fieldNames });
  const output = await openOutputTarget(values.output ?? '-', 'score');
  const batch = new Batcher(output);
  let totals;
  try {
    batch.add(formatter.header(Date.now()));
    totals = await scoreArchive(
      archive,
      { kind: 'score', config, model, format },
      async (text) => {
        batch.add(text);
        await batch.flush();
      },
      { threads: hunt.threads, progress: 'scoring', started: workers },
    );
    batch.add(formatter.close(Date.now()));
    await batch.flush(true);
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
  const elapsedMs = performance.now() - started;
  const result = {
    records: totals.records,
    parse_errors: totals.parseErrors,
    anomalies: totals.anomalies,
    suppressed: totals.suppressed,
    files: totals.files,
    skipped_files: totals.skippedFiles,
    outside_range: totals.outsideRange,
    threads: Math.min(hunt.threads, Math.max(1, totals.files)),
    elapsed_ms: Math.round(elapsedMs),
    records_per_s: Math.round(totals.records / (elapsedMs / 1000)),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stderr.write(
      `scored ${result.records} records of ${result.files} files (${result.skipped_files} skipped by time, ` +
        `${result.outside_range} records outside it): ${result.anomalies} anomalies, ${result.suppressed} suppressed, ` +
        `${result.parse_errors} bad lines, ${result.elapsed_ms} ms (${result.records_per_s} records/s)\n`,
    );
  }
  return totals.parseErrors > 0 ? EXIT.dataErrors : EXIT.ok;
}
