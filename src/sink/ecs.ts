/**
 * Optional Elastic Common Schema names for the JSON output (`field_names = ecs`). The mapping is
 * a pure rename of the Zeek column names plus three constant columns, so Filebeat needs no rename
 * processors:
 *
 * | Zeek column | ECS field |
 * |---|---|
 * | `ts` | `@timestamp` (written as ISO 8601, which Elasticsearch parses without a pipeline) |
 * | `id.orig_h` / `id.orig_p` | `source.ip` / `source.port` |
 * | `id.resp_h` / `id.resp_p` | `destination.ip` / `destination.port` |
 * | `uid` | `zeek.session_id` (as Filebeat's zeek module does; not `event.id`, because one connection can yield several anomalies and `event.id` must be unique per event) |
 * | `rtt`, `named_pipe`, `endpoint`, `operation` | `zeek.dce_rpc.<name>` (the zeek module's dce_rpc names) |
 * | anything else (scores, reasons, model id…) | `zeek.anomaly.<name>` |
 * | (added) | `event.kind: "alert"`, `event.module: "zeek"`, `event.dataset: "zeek.dce_rpc_anomaly"`, `ecs.version` |
 *
 * Keys stay flat and dotted (`"source.ip"`), exactly like Zeek's own JSON; Elasticsearch treats
 * dots as object paths. Every name is either an ECS field of ECS_VERSION with a compatible type
 * or lies under OWN_NAMESPACES; test/sink/ecs-schema.test.ts checks both against `@elastic/ecs`.
 */
import type { ZeekSchema, ZeekValue } from '../zeek/index.js';

const FIXED: Readonly<Record<string, string>> = {
  ts: '@timestamp',
  'id.orig_h': 'source.ip',
  'id.orig_p': 'source.port',
  'id.resp_h': 'destination.ip',
  'id.resp_p': 'destination.port',
  uid: 'zeek.session_id',
  rtt: 'zeek.dce_rpc.rtt',
  named_pipe: 'zeek.dce_rpc.named_pipe',
  endpoint: 'zeek.dce_rpc.endpoint',
  operation: 'zeek.dce_rpc.operation',
};

/** The ECS release the names and types are checked against (`@elastic/ecs`, pinned in package.json). */
export const ECS_VERSION = '9.4.0';

/**
 * Namespaces outside ECS that our names use: `zeek.*` as Filebeat's zeek module does
 * (`zeek.session_id`, `zeek.dce_rpc.*`), with our verdict under `zeek.anomaly.*`.
 */
export const OWN_NAMESPACES: readonly string[] = ['zeek.'];

/** Constant ECS columns appended to every record, in this order. */
export const ECS_CONSTANTS: readonly { name: string; value: string }[] = [
  { name: 'event.kind', value: 'alert' },
  { name: 'event.module', value: 'zeek' },
  { name: 'event.dataset', value: 'zeek.dce_rpc_anomaly' },
  { name: 'ecs.version', value: ECS_VERSION },
];

/** The ECS name of one Zeek column name (see the module comment for the table). */
export function ecsFieldName(zeekName: string): string {
  return FIXED[zeekName] ?? `zeek.anomaly.${zeekName}`;
}

/** A schema with ECS names and values projected to it. */
export interface EcsView {
  schema: ZeekSchema;
  /** Values aligned with the original schema → values aligned with `schema`. */
  project(values: readonly ZeekValue[]): ZeekValue[];
}

/** Renames a schema's columns to ECS and appends the constant `event.*` columns. */
export function ecsView(schema: ZeekSchema): EcsView {
  const fields = schema.fields.map((field) => ({ name: ecsFieldName(field.name), type: field.type }));
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.name)) throw new RangeError(`sink: two columns map to the ECS field '${field.name}'`);
    seen.add(field.name);
  }
  for (const constant of ECS_CONSTANTS) fields.push({ name: constant.name, type: 'string' });
  const width = schema.fields.length;
  return {
    schema: { path: schema.path, fields },
    project(values) {
      const out: ZeekValue[] = new Array<ZeekValue>(width + ECS_CONSTANTS.length);
      for (let i = 0; i < width; i++) out[i] = values[i] ?? null;
      for (let i = 0; i < ECS_CONSTANTS.length; i++) out[width + i] = (ECS_CONSTANTS[i] as { value: string }).value;
      return out;
    },
  };
}
