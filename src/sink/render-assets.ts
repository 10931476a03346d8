/**
 * Regenerates what is derived from the anomaly record and its ECS names:
 * config/elasticsearch/anomalies-template.json, config/elasticsearch/anomalies-pipeline.json and
 * the generated blocks of docs/output-format.md (one record in each naming, the ECS table):
 * `npx tsc -p tsconfig.json && node build/src/sink/render-assets.js [REPO_ROOT]`.
 * test/sink/render-assets.test.ts fails when a committed file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeWhenRunAsScript } from '../generated-files.js';
import { ANOMALY_SCHEMA } from '../score/index.js';
import type { ZeekValue } from '../zeek/index.js';
import { ECS_CONSTANTS, ECS_VERSION, ecsFieldName } from './ecs.js';
import { anomalyFieldTypes, anomalyIndexTemplate, anomalyIngestPipeline } from './elastic.js';
import { createAnomalyFormatter } from './format.js';

/** Repo-relative paths of the generated files. */
export const GENERATED_ASSETS = {
  template: 'config/elasticsearch/anomalies-template.json',
  pipeline: 'config/elasticsearch/anomalies-pipeline.json',
  outputFormat: 'docs/output-format.md',
} as const;

/** The record every generated example shows, aligned with ANOMALY_SCHEMA. */
export const SAMPLE_ANOMALY: readonly ZeekValue[] = [
  1709512690.215823,
  'CqsFhdblPCwpnvbww4',
  '10.10.1.219',
  59393,
  '10.0.0.10',
  445,
  '\\PIPE\\winreg',
  'winreg',
  'BaseRegSaveKey',
  'finance',
  'domain_controllers',
  'late_night',
  0,
  4,
  11.961,
  ['endpoint', 'named_pipe', 'operation', 'time_of_day_bin'],
  ['samr', '\\pipe\\lsass', 'SamrOpenDomain', 'afternoon'],
  ['operation'],
  'km-20261128T165852Z-4456afc31254',
  'T1003.002 remote registry hive dump',
  'T1003.002 remote registry hive dump: BaseRegSaveKey is not routine for finance (no host of its 28 did it) ; routine elsewhere: 2 hosts of backup did it on 7 days',
];

// #open/#close of the TSV example; rendered in local time, so the script and test pin TZ=UTC.
const SAMPLE_OPEN_MS = Date.UTC(2024, 2, 4, 0, 0, 0);
const SAMPLE_CLOSE_MS = Date.UTC(2024, 2, 4, 1, 0, 0);

/** The generated blocks of docs/output-format.md, by marker name. */
export function outputFormatBlocks(): Record<string, string> {
  const tsv = createAnomalyFormatter({ format: 'zeek', schema: ANOMALY_SCHEMA });
  const zeekJson = createAnomalyFormatter({ format: 'json', schema: ANOMALY_SCHEMA });
  const ecsJson = createAnomalyFormatter({ format: 'json', fieldNames: 'ecs', schema: ANOMALY_SCHEMA });
  const types = new Map(anomalyFieldTypes(ANOMALY_SCHEMA).map((field) => [field.name, field.type]));
  const rows = ANOMALY_SCHEMA.fields.map((field) => {
    const name = ecsFieldName(field.name);
    return `| \`${field.name}\` | \`${name}\` | \`${types.get(name) ?? ''}\` |`;
  });
  for (const constant of ECS_CONSTANTS) rows.push(`| (added) | \`${constant.name}\`: \`"${constant.value}"\` | \`${types.get(constant.name) ?? ''}\` |`);
  return {
    tsv: ['```', (tsv.header(SAMPLE_OPEN_MS) + tsv.record(SAMPLE_ANOMALY) + tsv.close(SAMPLE_CLOSE_MS)).trimEnd(), '```'].join('\n'),
    'zeek-json': ['```json', zeekJson.record(SAMPLE_ANOMALY).trimEnd(), '```'].join('\n'),
    'ecs-table': [`| Zeek field | ECS name (ECS ${ECS_VERSION}) | Elasticsearch type |`, '|---|---|---|', ...rows].join('\n'),
    'ecs-json': ['```json', ecsJson.record(SAMPLE_ANOMALY).trimEnd(), '```'].join('\n'),
  };
}

const BLOCK = /(<!-- generated:([a-z-]+) [^>]*-->\n)[\s\S]*?(<!-- end generated:\2 -->)/g;

/** `markdown` with every generated block replaced by what the code renders now. */
export function renderOutputFormat(markdown: string): string {
  const blocks = outputFormatBlocks();
  const seen = new Set<string>();
  const out = markdown.replace(BLOCK, (_match, open: string, name: string, close: string) => {
    const body = blocks[name];
    if (body === undefined) throw new RangeError(`sink: docs/output-format.md has an unknown generated block '${name}'`);
    seen.add(name);
    return `${open}${body}\n${close}`;
  });
  const missing = Object.keys(blocks).filter((name) => !seen.has(name));
  if (missing.length > 0) throw new RangeError(`sink: docs/output-format.md lacks the generated blocks ${missing.join(', ')}`);
  return out;
}

/** The JSON text of a generated Elasticsearch file. */
export function renderElasticAsset(kind: 'template' | 'pipeline'): string {
  const body = kind === 'template' ? anomalyIndexTemplate(ANOMALY_SCHEMA) : anomalyIngestPipeline(ANOMALY_SCHEMA);
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** Writes every generated file under `repoRoot`; returns the paths written. */
export function writeGeneratedAssets(repoRoot: string): string[] {
  const template = resolve(repoRoot, GENERATED_ASSETS.template);
  const pipeline = resolve(repoRoot, GENERATED_ASSETS.pipeline);
  const outputFormat = resolve(repoRoot, GENERATED_ASSETS.outputFormat);
  writeFileSync(template, renderElasticAsset('template'));
  writeFileSync(pipeline, renderElasticAsset('pipeline'));
  writeFileSync(outputFormat, renderOutputFormat(readFileSync(outputFormat, 'utf8')));
  return [template, pipeline, outputFormat];
}

writeWhenRunAsScript(import.meta.url, 'sink', (root) => {
  // The examples show ts as a date; in UTC they are the same on every machine.
  process.env.TZ = 'UTC';
  return writeGeneratedAssets(root);
});
