/**
 * Zeek log schemas: a record layout (column names and Zeek type names) declared once and used by
 * the reader (to decode columns) and by both writers (TSV and JSON).
 */

/** Zeek scalar types the codec knows by name; anything else is carried as text. */
export type ZeekScalarType =
  | 'time'
  | 'interval'
  | 'string'
  | 'addr'
  | 'subnet'
  | 'port'
  | 'count'
  | 'int'
  | 'double'
  | 'bool'
  | 'enum';

/**
 * A Zeek type name as written in `#types`: a scalar, `set[T]`, `vector[T]`, or any other name
 * (`func`, `file`, `pattern`, …) that the codec treats as opaque text.
 */
export type ZeekType = ZeekScalarType | `set[${string}]` | `vector[${string}]` | (string & {});

/** One column of a log. `name` is the flattened Zeek name (`id.orig_h`). */
export interface ZeekField {
  name: string;
  type: ZeekType;
}

/** A log layout: its `#path` and its columns in order. */
export interface ZeekSchema {
  path: string;
  fields: ZeekField[];
}

/**
 * A decoded value. `null` is unset (`-`, a missing JSON key, or JSON null). time, interval,
 * double, count, int and port are numbers (count/int beyond 2^53 lose precision); bool is a
 * boolean; set and vector are arrays whose `null` elements are vector holes; everything else
 * (string, enum, addr, subnet, opaque types) is a string holding Zeek's bytes losslessly (see
 * bytes.ts for the representation of invalid UTF-8).
 */
export type ZeekValue = null | string | number | boolean | ZeekValue[];

/** How a column's values are decoded and rendered. */
export type ValueKind =
  | 'time'
  | 'interval'
  | 'double'
  | 'count'
  | 'int'
  | 'port'
  | 'bool'
  | 'addr'
  | 'subnet'
  | 'string';

/** A column type taken apart: container or not, and the element kind. */
export interface TypeShape {
  container: 'set' | 'vector' | null;
  kind: ValueKind;
  /** time, interval, double, count, int or port: decoded to a number. */
  numeric: boolean;
}

const NUMERIC_KINDS: ReadonlySet<ValueKind> = new Set(['time', 'interval', 'double', 'count', 'int', 'port']);

const SCALAR_KINDS: Record<string, ValueKind> = {
  time: 'time',
  interval: 'interval',
  double: 'double',
  count: 'count',
  int: 'int',
  port: 'port',
  bool: 'bool',
  addr: 'addr',
  subnet: 'subnet',
  string: 'string',
  enum: 'string',
};

/** Classifies a Zeek type name; unknown names (func, file, table…) are treated as strings. */
export function typeShape(type: ZeekType): TypeShape {
  const match = /^(set|vector)\[(.*)\]$/.exec(type);
  if (match !== null) {
    const kind = SCALAR_KINDS[match[2] ?? ''] ?? 'string';
    return { container: match[1] === 'set' ? 'set' : 'vector', kind, numeric: NUMERIC_KINDS.has(kind) };
  }
  const kind = SCALAR_KINDS[type] ?? 'string';
  return { container: null, kind, numeric: NUMERIC_KINDS.has(kind) };
}

/**
 * dce_rpc.log as every Zeek release from 3.0 to 8.x writes it
 * (`scripts/base/protocols/dce-rpc/main.zeek`, `Info` with `id: conn_id` flattened).
 */
export const DCE_RPC_SCHEMA: ZeekSchema = Object.freeze({
  path: 'dce_rpc',
  fields: Object.freeze([
    // The call, its connection, then what was called.
    { name: 'ts', type: 'time' }, { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' }, { name: 'id.orig_p', type: 'port' }, { name: 'id.resp_h', type: 'addr' }, { name: 'id.resp_p', type: 'port' },
    { name: 'rtt', type: 'interval' }, { name: 'named_pipe', type: 'string' }, { name: 'endpoint', type: 'string' }, { name: 'operation', type: 'string' },
  ]),
}) as ZeekSchema;

/** Index of a column by name, or -1. */
export function fieldIndex(schema: ZeekSchema, name: string): number {
  return schema.fields.findIndex((field) => field.name === name);
}
