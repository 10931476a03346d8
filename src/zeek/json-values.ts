/**
 * Zeek's JSON writer (and other exporters' variants) into Zeek values: the lookup of a column
 * in an object (flat, underscored or nested names) and the conversion of a member to its type.
 */
import { unescapeJsonHex } from './bytes.js';
import type { TypeShape, ZeekValue } from './schema.js';
import { INVALID, MILLIS_THRESHOLD, isAddrText, isSubnetText, parseIsoTime } from './values.js';

/** One JSON member as the column's Zeek type; INVALID when it is not one. */
export function jsonValue(member: unknown, shape: TypeShape, hexEscapes: boolean): ZeekValue | typeof INVALID {
  if (shape.container === null) return jsonScalar(member, shape, hexEscapes);
  if (!Array.isArray(member)) return INVALID;
  const out: ZeekValue[] = [];
  for (const element of member as unknown[]) {
    if (element === null || element === undefined) {
      out.push(null);
      continue;
    }
    const value = jsonScalar(element, shape, hexEscapes);
    if (value === INVALID) return INVALID;
    out.push(value);
  }
  return out;
}

function jsonScalar(member: unknown, shape: TypeShape, hexEscapes: boolean): ZeekValue | typeof INVALID {
  switch (shape.kind) {
    case 'time':
      if (typeof member === 'number') return Math.abs(member) >= MILLIS_THRESHOLD ? member / 1000 : member;
      if (typeof member === 'string') return parseIsoTime(member);
      return INVALID;
    case 'interval':
    case 'double':
      return typeof member === 'number' ? member : INVALID;
    case 'count':
    case 'port':
      if (typeof member !== 'number' || !Number.isInteger(member) || member < 0) return INVALID;
      return shape.kind === 'port' && member > 65535 ? INVALID : member;
    case 'int':
      return typeof member === 'number' && Number.isInteger(member) ? member : INVALID;
    case 'bool':
      return typeof member === 'boolean' ? member : INVALID;
    case 'addr':
      return typeof member === 'string' && isAddrText(member) ? member : INVALID;
    case 'subnet':
      return typeof member === 'string' && isSubnetText(member) ? member : INVALID;
    case 'string':
      if (typeof member === 'string') return hexEscapes ? unescapeJsonHex(member) : member;
      // Other exporters write numbers or booleans where Zeek has strings (e.g. ports as pipes).
      if (typeof member === 'number' || typeof member === 'boolean') return String(member);
      return INVALID;
  }
}

/** Finds one column in a JSON object: `id.orig_h`, `id_orig_h`, or nested `id: {orig_h}`. */
export type JsonLookup = (object: Record<string, unknown>) => unknown;

export function jsonLookup(name: string): JsonLookup {
  if (name.indexOf('.') === -1) return (object) => object[name];
  const underscored = name.replaceAll('.', '_');
  const path = name.split('.');
  return (object) => {
    const flat = object[name];
    if (flat !== undefined) return flat;
    const under = object[underscored];
    if (under !== undefined) return under;
    let node: unknown = object;
    for (const part of path) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Record<string, unknown>)[part];
    }
    return node;
  };
}
