/**
 * The Elasticsearch side of anomalies.log, derived from the record schema and the ECS names of
 * ecs.ts so it cannot drift from what the writer emits: an index template (field types Kibana can
 * aggregate on) and an ingest pipeline that turns records written with Zeek names into the ECS
 * names the template maps, and leaves records already written with ECS names as they are.
 * render-assets.ts writes them to config/elasticsearch/; test/sink/elastic.test.ts checks them
 * against `@elastic/ecs`.
 */
import type { ZeekSchema } from '../zeek/index.js';
import { ECS_CONSTANTS, ECS_VERSION, ecsFieldName } from './ecs.js';

/** Name the pipeline is installed under (`PUT _ingest/pipeline/<name>`). */
export const ANOMALY_PIPELINE_NAME = 'zeek-anomalyd-anomalies';

/** Name the index template is installed under (`PUT _index_template/<name>`). */
export const ANOMALY_TEMPLATE_NAME = 'zeek-anomalyd-anomalies';

/** Data stream the template covers: `logs-<event.dataset>-<namespace>`, as Fleet names them. */
export const ANOMALY_INDEX_PATTERN = 'logs-zeek.dce_rpc_anomaly-*';

/** One leaf of an Elasticsearch mapping. */
export interface FieldMapping {
  type: string;
  ignore_above?: number;
}

/** A mapping tree: objects have `properties`, leaves a `type`. */
export interface MappingNode {
  type?: string;
  ignore_above?: number;
  properties?: Record<string, MappingNode>;
}

/**
 * Elasticsearch type of a Zeek column outside ECS: `date` for times, `ip` for addresses,
 * `long` for counts and ports, `double` for reals, `keyword` (aggregatable) for strings and
 * string vectors such as feature names and values.
 */
export function elasticTypeOfZeekType(zeekType: string): string {
  switch (zeekType) {
    case 'time':
      return 'date';
    case 'addr':
    case 'subnet':
      return 'ip';
    case 'port':
    case 'count':
    case 'int':
      return 'long';
    case 'double':
    case 'interval':
      return 'double';
    case 'bool':
      return 'boolean';
    default:
      // string, enum, pattern and any vector/set of them: arrays map like their elements.
      return 'keyword';
  }
}

// Fields the pipeline may set besides the record's own (its on_failure handler), with ECS types.
const PIPELINE_ERROR_FIELDS: readonly { name: string; type: string }[] = [{ name: 'error.message', type: 'match_only_text' }];

/**
 * Every field of an ECS-named record with its Elasticsearch type. `ecsTypes` gives the type ECS
 * assigns to an ECS name (the writer's names are checked against ECS by the tests, so the
 * template is built from the same table the tests read): pass the types of the ECS release the
 * names were checked against; a name absent from it is ours and typed from its Zeek type.
 */
export function anomalyFieldTypes(schema: ZeekSchema, ecsTypes: Readonly<Record<string, string>> = ECS_TYPES): { name: string; type: string }[] {
  const fields = schema.fields.map((field) => {
    const name = ecsFieldName(field.name);
    return { name, type: ecsTypes[name] ?? elasticTypeOfZeekType(field.type) };
  });
  for (const constant of ECS_CONSTANTS) fields.push({ name: constant.name, type: ecsTypes[constant.name] ?? 'keyword' });
  for (const extra of PIPELINE_ERROR_FIELDS) fields.push(extra);
  return fields;
}

/**
 * ECS types of the ECS fields we write (from ECS 9.4.0, `@elastic/ecs` EcsFlat). Kept here because
 * `@elastic/ecs` is a development dependency; test/sink/elastic.test.ts fails when one differs.
 */
export const ECS_TYPES: Readonly<Record<string, string>> = {
  '@timestamp': 'date',
  'source.ip': 'ip',
  'source.port': 'long',
  'destination.ip': 'ip',
  'destination.port': 'long',
  'event.kind': 'keyword',
  'event.module': 'keyword',
  'event.dataset': 'keyword',
  'ecs.version': 'keyword',
  'error.message': 'match_only_text',
};

/** A dotted list of fields as a nested mapping tree (`source.ip` → source.properties.ip). */
export function mappingTree(fields: readonly { name: string; type: string }[]): Record<string, MappingNode> {
  const root: Record<string, MappingNode> = {};
  for (const { name, type } of fields) {
    const parts = name.split('.');
    let level = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const node = (level[part] ??= { properties: {} });
      if (node.properties === undefined) throw new RangeError(`sink: ${name} lies under the leaf field ${parts.slice(0, i + 1).join('.')}`);
      level = node.properties;
    }
    const leaf = parts[parts.length - 1] as string;
    if (level[leaf] !== undefined) throw new RangeError(`sink: ${name} is mapped twice`);
    level[leaf] = type === 'keyword' ? { type, ignore_above: 1024 } : { type };
  }
  return root;
}

/** The composable index template (`PUT _index_template/zeek-anomalyd-anomalies`). */
export function anomalyIndexTemplate(schema: ZeekSchema): Record<string, unknown> {
  return {
    index_patterns: [ANOMALY_INDEX_PATTERN],
    data_stream: {},
    priority: 200,
    template: {
      settings: { 'index.default_pipeline': ANOMALY_PIPELINE_NAME },
      mappings: { properties: mappingTree(anomalyFieldTypes(schema)) },
    },
    _meta: {
      description: 'zeek-anomalyd anomalies.log records (docs/output-format.md)',
      ecs_version: ECS_VERSION,
    },
  };
}

/**
 * The ingest pipeline (`PUT _ingest/pipeline/zeek-anomalyd-anomalies`): Zeek-named JSON records
 * (flat dotted keys, epoch `ts`) become the ECS-named record the writer would have produced with
 * `field_names = ecs`; ECS-named records pass through unchanged.
 */
export function anomalyIngestPipeline(schema: ZeekSchema): Record<string, unknown> {
  const processors: Record<string, unknown>[] = [
    // Zeek's JSON keys are flat and dotted ("id.orig_h"); processors address object paths.
    { dot_expander: { field: '*' } },
  ];
  for (const field of schema.fields) {
    const target = ecsFieldName(field.name);
    if (field.type === 'time') {
      processors.push({ date: { if: `ctx.${field.name} != null`, field: field.name, target_field: target, formats: ['UNIX', 'ISO8601'] } });
      processors.push({ remove: { field: field.name, ignore_missing: true } });
    } else {
      processors.push({ rename: { field: field.name, target_field: target, ignore_missing: true } });
    }
  }
  // "id.orig_h" and its siblings leave an empty "id" object behind once renamed.
  const emptied = new Set(schema.fields.filter((f) => f.name.includes('.')).map((f) => f.name.slice(0, f.name.indexOf('.'))));
  for (const parent of emptied) processors.push({ remove: { if: `ctx.${parent} != null && ctx.${parent}.isEmpty()`, field: parent } });
  for (const constant of ECS_CONSTANTS) processors.push({ set: { field: constant.name, value: constant.value, override: false } });
  return {
    description: 'zeek-anomalyd anomalies.log: Zeek field names to ECS (docs/output-format.md)',
    processors,
    on_failure: [
      { set: { field: 'event.kind', value: 'pipeline_error' } },
      { set: { field: 'error.message', value: '{{{ _ingest.on_failure_message }}}' } },
    ],
    _meta: { ecs_version: ECS_VERSION },
  };
}
