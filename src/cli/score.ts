/**
 * `zeek-anomalyd score`: logs and a model in, anomalies out, in the anomalies.log record format
 * (Zeek TSV or Zeek JSON). The same evaluator as the daemon's, so offline and live agree.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT } from '../errors.js';
import { loadModel } from '../model/index.js';
import { ANOMALY_SCHEMA, anomalyValues, RecordEvaluator, scoringRuleFrom, checkModelFeatures } from '../score/index.js';
import { formatJsonRecord, formatTsvClose, formatTsvHeader, formatTsvRecord } from '../zeek/index.js';
import { loadConfigOption, Progress, readRecords, runCommand, UsageError } from './_common.js';
import { FeatureExtractor } from '../features/index.js';

export const summary = 'score dce_rpc logs against a model and write the anomalies';

const USAGE = `usage: zeek-anomalyd score [-c INI] -m MODEL [-o OUT] [--format zeek|json] [--json] LOG...

Scores every record of the logs (TSV, JSON, .gz, in order) and writes the anomalous ones in the
anomalies.log format (docs/output-format.md).
  -c, --config INI   configuration (features, IP groups, [scoring] rule, allow-list); default: built-in
  -m, --model FILE   model written by 'zeek-anomalyd train' (required)
  -o, --output FILE  output file, replaced atomically when complete (default: standard output)
  --format zeek|json Zeek TSV or Zeek JSON (default: [output] format)
  --json             print one JSON summary line on stdout (requires -o)
Exit status: 0 ok, 1 some input lines were bad (the rest was scored), 2 usage or unreadable input,
78 invalid configuration.
`;

/** Buffered writer over a stream that honours backpressure. */
class Sink {
  readonly #stream: NodeJS.WritableStream;
  #parts: string[] = [];
  #size = 0;
  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
  }
  get pending(): number {
    return this.#size;
  }
  async flush(): Promise<void> {
    if (this.#size === 0) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }
}

export async function run(args: string[]): Promise<number> {
  return runCommand('score', USAGE, async () => {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          config: { type: 'string', short: 'c' },
          model: { type: 'string', short: 'm' },
          output: { type: 'string', short: 'o' },
          format: { type: 'string' },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    if (values.model === undefined) throw new UsageError('-m MODEL is required');
    if (positionals.length === 0) throw new UsageError('no LOG given');
    if (values.json && values.output === undefined) throw new UsageError('--json needs -o OUT (stdout carries the anomalies)');
    const config = await loadConfigOption(values.config);
    const format = values.format ?? config.output.format;
    if (format !== 'zeek' && format !== 'json') throw new UsageError(`--format must be zeek or json, not '${format}'`);
    const model = await loadModel(values.model);
    checkModelFeatures(model, new FeatureExtractor(config.features).names, values.model);
    const evaluator = new RecordEvaluator({
      model,
      rule: scoringRuleFrom(config.scoring),
      features: config.features,
      allow: config.allow,
    });

    const temp = values.output === undefined ? null : join(dirname(values.output), `.${basename(values.output)}.${process.pid}.tmp`);
    const stream: WriteStream | NodeJS.WriteStream = temp === null ? process.stdout : createWriteStream(temp);
    const sink = new Sink(stream);
    const started = performance.now();
    let anomalies = 0;
    let suppressed = 0;
    let totals;
    try {
      if (format === 'zeek') sink.write(formatTsvHeader(ANOMALY_SCHEMA, new Date()));
      totals = await readRecords(
        positionals,
        (record) => {
          const evaluation = evaluator.evaluate(record);
          if (!evaluation.verdict.anomalous) return;
          if (evaluation.suppressedBy !== undefined) {
            suppressed += 1;
            return;
          }
          anomalies += 1;
          const row = anomalyValues(record, evaluation.context, evaluation.verdict, model);
          sink.write(format === 'zeek' ? formatTsvRecord(ANOMALY_SCHEMA, row) : formatJsonRecord(ANOMALY_SCHEMA, row));
        },
        new Progress('scoring'),
      );
      if (format === 'zeek') sink.write(formatTsvClose(new Date()));
      await sink.flush();
      if (temp !== null) {
        const file = stream as WriteStream;
        file.end();
        await once(file, 'close');
        await rename(temp, values.output as string);
      }
    } catch (error) {
      if (temp !== null) {
        (stream as WriteStream).destroy();
        await rm(temp, { force: true });
      }
      throw error;
    }
    const elapsedMs = performance.now() - started;
    const result = {
      records: totals.records,
      parse_errors: totals.parseErrors,
      anomalies,
      suppressed,
      elapsed_ms: Math.round(elapsedMs),
      records_per_s: Math.round(totals.records / (elapsedMs / 1000)),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stderr.write(
        `scored ${result.records} records: ${anomalies} anomalies, ${suppressed} suppressed, ` +
          `${result.parse_errors} bad lines, ${result.elapsed_ms} ms (${result.records_per_s} records/s)\n`,
      );
    }
    return totals.parseErrors > 0 ? EXIT.dataErrors : EXIT.ok;
  });
}
