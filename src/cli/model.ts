/**
 * `zeek-anomalyd model show`: what a model file holds, for an analyst deciding whether to trust
 * it: the centroids as a table, cluster sizes, and how it was trained (parameters, rows, time
 * span, cost, calibration, vetted technique pairs). `model` takes subcommands so that later
 * ones (diff, verify) fit under the same name.
 */
import { printable } from '../printable.js';
import { EXIT } from '../errors.js';
import { loadModel, type KModesModel } from '../model/index.js';
import { rateThreshold } from '../score/index.js';
import { parseCommandArgs, runCommand, UsageError } from './_common.js';

export const summary = 'inspect a trained model (model show)';

const USAGE = `usage: zeek-anomalyd model show -m MODEL [--json]

Subcommands:
  show   print the centroids (cluster, size, value per feature), the cluster sizes and the
         training facts: model id, created, parameters, rows, distinct rows, time span, cost,
         iterations, calibration summary and vetted technique pairs
options:
  -m, --model FILE   model written by 'zeek-anomalyd train' (required)
  --json             one JSON object on stdout instead of the text report
Exit status: 0 ok, 2 usage error or unreadable/corrupt/incompatible model.
`;

/** Alert rates whose calibrated rarity thresholds the report lists. */
const REPORTED_ALERT_RATES = [0.0005, 0.001, 0.01] as const;

/** The calibration stored in a model, summarised: how rare the training rows were. */
export interface CalibrationSummary {
  /** Training rows in the rarity histogram (normally the model's training rows). */
  rows: number;
  /** Distinct rarity values (bits, rounded to 1/1000). */
  distinctRarities: number;
  minRarity: number;
  medianRarity: number;
  maxRarity: number;
  /** For each alert rate, the rarity that the rarest such fraction of training rows exceeds. */
  thresholds: { alertRate: number; rarity: number }[];
}

/** One vetted technique pair: `hosts` distinct hosts of `origGroup` did `operation` in training. */
export interface VettedPairSummary {
  operation: string;
  origGroup: string;
  hosts: number;
}

/** Everything `model show` prints, as plain data (this is also the `--json` output). */
export interface ModelSummary {
  file: string;
  modelId: string;
  createdAt: string;
  params: KModesModel['params'];
  featureNames: string[];
  training: KModesModel['training'];
  cost: number;
  iterations: number;
  /** One entry per cluster, in model order. */
  clusters: { cluster: number; size: number; centroid: string[] }[];
  calibration: CalibrationSummary | null;
  techniques: { minHosts: number; minShare: number; admitted: VettedPairSummary[] } | null;
}

/** The weighted median of a `[value, rows]` histogram sorted by value. */
function histogramMedian(histogram: readonly (readonly [number, number])[], total: number): number {
  let seen = 0;
  for (const [value, rows] of histogram) {
    seen += rows;
    if (seen * 2 >= total) return value;
  }
  return Number.NaN;
}

function summariseCalibration(model: KModesModel): CalibrationSummary | null {
  const histogram = model.calibration?.rarity;
  if (histogram === undefined || histogram.length === 0) return null;
  const rows = histogram.reduce((sum, [, count]) => sum + count, 0);
  return {
    rows,
    distinctRarities: histogram.length,
    minRarity: (histogram[0] as [number, number])[0],
    medianRarity: histogramMedian(histogram, rows),
    maxRarity: (histogram[histogram.length - 1] as [number, number])[0],
    thresholds: REPORTED_ALERT_RATES.map((alertRate) => ({ alertRate, rarity: rateThreshold(model, alertRate) })),
  };
}

/** Condenses a validated model into what `model show` reports. Pure. */
export function summariseModel(model: KModesModel, file: string): ModelSummary {
  return {
    file,
    modelId: model.modelId,
    createdAt: model.createdAt,
    params: { ...model.params },
    featureNames: [...model.featureNames],
    training: { ...model.training },
    cost: model.cost,
    iterations: model.iterations,
    clusters: model.centroids.map((centroid, cluster) => ({
      cluster,
      size: model.clusterSizes[cluster] ?? 0,
      centroid: [...centroid],
    })),
    calibration: summariseCalibration(model),
    techniques:
      model.techniques === null
        ? null
        : {
            minHosts: model.techniques.minHosts,
            minShare: model.techniques.minShare,
            admitted: model.techniques.admitted.map(([operation, origGroup, hosts]) => ({ operation, origGroup, hosts })),
          },
  };
}

/** Left-aligned text columns, numbers right-aligned; two spaces between columns. */
function renderTable(header: readonly string[], rows: readonly (readonly string[])[], numericColumns: ReadonlySet<number>): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  return all.map((row) =>
    row
      .map((cell, c) => (numericColumns.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

/** The human-readable report of {@link summariseModel}'s result. Pure. */
export function renderModelSummary(summary: ModelSummary): string {
  const { params, training } = summary;
  const lines = [
    `model       ${summary.modelId}`,
    `file        ${summary.file}`,
    `created     ${summary.createdAt}`,
    `params      k ${params.k}, n_init ${params.nInit}, init ${params.init}, seed ${params.seed}, max_iter ${params.maxIter}`,
    `features    ${summary.featureNames.join(', ')}`,
    `training    ${training.rows} rows, ${training.distinctRows} distinct, ${training.effectiveK} clusters` +
      (training.distinctRowsAtMostK ? ' (no more distinct rows than k: centroids are the rows)' : ''),
    `time span   ${training.timeSpan === null ? 'unknown' : `${training.timeSpan.from} .. ${training.timeSpan.to}`}`,
    `cost        ${summary.cost} (sum of Hamming distances to the nearest centroid), ${summary.iterations} iterations`,
  ];
  const calibration = summary.calibration;
  if (calibration === null) {
    lines.push('calibration none (rate rules cannot flag anything with this model)');
  } else {
    lines.push(
      `calibration ${calibration.rows} rows, ${calibration.distinctRarities} distinct rarities, ` +
        `rarity min ${calibration.minRarity} / median ${calibration.medianRarity} / max ${calibration.maxRarity} bits`,
      `            rarity thresholds: ${calibration.thresholds.map((t) => `${percent(t.alertRate)} -> ${t.rarity} bits`).join(', ')}`,
    );
  }
  lines.push('', 'clusters:');
  const header = ['cluster', 'size', ...summary.featureNames];
  const rows = summary.clusters.map((c) => [String(c.cluster), String(c.size), ...c.centroid]);
  lines.push(...renderTable(header, rows, new Set([0, 1])));
  lines.push('');
  const techniques = summary.techniques;
  if (techniques === null) {
    lines.push('vetted technique pairs: none recorded (trained without host vetting)');
  } else {
    lines.push(
      `vetted technique pairs (min ${techniques.minHosts} hosts and ${percent(techniques.minShare)} of the group): ` +
        (techniques.admitted.length === 0 ? 'none' : String(techniques.admitted.length)),
    );
    if (techniques.admitted.length > 0) {
      const pairRows = techniques.admitted.map((p) => [p.operation, p.origGroup, String(p.hosts)]);
      lines.push(...renderTable(['operation', 'orig_ip_group', 'hosts'], pairRows, new Set([2])).map((l) => `  ${l}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

async function show(args: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      model: { type: 'string', short: 'm' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
    false,
  );
  if (parsed === null) return EXIT.ok;
  const { values } = parsed;
  if (values.model === undefined) throw new UsageError('show: -m MODEL is required');
  const summary = summariseModel(await loadModel(values.model), values.model);
  // Centroid values come from the training data: escaped for the terminal, never interpreted.
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : printable(renderModelSummary(summary), { keepLineBreaks: true }));
  return EXIT.ok;
}

export async function run(args: string[]): Promise<number> {
  return runCommand('model', USAGE, async () => {
    const [subcommand, ...rest] = args;
    switch (subcommand) {
      case 'show':
        return show(rest);
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(USAGE);
        return EXIT.ok;
      case undefined:
        throw new UsageError('a subcommand is required');
      default:
        throw new UsageError(`unknown subcommand '${subcommand}'`);
    }
  });
}
