/**
 * ZeekRecord → DceRpcRecord: Zeek's column names become domain names here. This is on the
 * scoring hot path, so column positions are resolved once per schema, not per record.
 */
import { isRecordTime, type DceRpcRecord } from './dce-rpc-record.js';
import type { ZeekParseError, ZeekRecord } from './decoded.js';
import type { ZeekSchema, ZeekValue } from './schema.js';

/** The dce_rpc.log columns `toDceRpcRecord` reads; pass as `columns` to decode only these. */
export const DCE_RPC_COLUMNS: readonly string[] = Object.freeze([
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'rtt',
  'named_pipe',
  'endpoint',
  'operation',
]);

const positionCache = new WeakMap<ZeekSchema, Int32Array>();

let lastSchema: ZeekSchema | null = null;
let lastPositions: Int32Array = new Int32Array(0);

function positions(schema: ZeekSchema): Int32Array {
  // Records of one file share one schema object: skip even the WeakMap lookup for them.
  if (schema === lastSchema) return lastPositions;
  let found = positionCache.get(schema);
  if (found === undefined) {
    const names = schema.fields.map((field) => field.name);
    found = Int32Array.from(DCE_RPC_COLUMNS, (name) => names.indexOf(name));
    positionCache.set(schema, found);
  }
  lastSchema = schema;
  lastPositions = found;
  return found;
}

function at(values: readonly ZeekValue[], index: number | undefined): ZeekValue {
  return index === undefined || index < 0 ? null : (values[index] ?? null);
}

/**
 * The record as a `DceRpcRecord`, or a parse error when `ts` is missing or not a finite time, or
 * a column holds a value of the wrong type (a schema that is not dce_rpc's).
 */
export function toDceRpcRecord(record: ZeekRecord): DceRpcRecord | ZeekParseError {
  const p = positions(record.schema);
  const v = record.values;
  const ts = at(v, p[0]);
  if (typeof ts !== 'number' || !Number.isFinite(ts)) {
    return wrong(record, ts === null ? 'ts is unset or missing' : `ts is not a time: ${String(ts)}`);
  }
  if (!isRecordTime(ts)) return wrong(record, `ts is out of range (1970 to 9999): ${String(ts)}`);
  const uid = at(v, p[1]);
  const origHost = at(v, p[2]);
  const origPort = at(v, p[3]);
  const respHost = at(v, p[4]);
  const respPort = at(v, p[5]);
  const rtt = at(v, p[6]);
  const namedPipe = at(v, p[7]);
  const endpoint = at(v, p[8]);
  const operation = at(v, p[9]);
  if (
    !isStringOrNull(uid) ||
    !isStringOrNull(origHost) ||
    !isNumberOrNull(origPort) ||
    !isStringOrNull(respHost) ||
    !isNumberOrNull(respPort) ||
    !isNumberOrNull(rtt) ||
    !isStringOrNull(namedPipe) ||
    !isStringOrNull(endpoint) ||
    !isStringOrNull(operation)
  ) {
    return wrong(record, 'a dce_rpc column has the wrong type for dce_rpc.log');
  }
  return { ts, uid, origHost, origPort, respHost, respPort, rtt, namedPipe, endpoint, operation };
}

function isStringOrNull(value: ZeekValue): value is string | null {
  return value === null || typeof value === 'string';
}

function isNumberOrNull(value: ZeekValue): value is number | null {
  return value === null || typeof value === 'number';
}

function wrong(record: ZeekRecord, reason: string): ZeekParseError {
  return { kind: 'error', code: 'bad-value', file: record.file, line: record.line, offset: record.offset, reason };
}
