/**
 * A schema for a JSON log, which carries no header: the keys its records use, in first-seen
 * order, typed from dce_rpc's schema where the name is known and from the JSON values otherwise.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { hasGzipMagic, inflateGzip } from './gzip.js';
import { LineSplitter } from './line-splitter.js';
import { DCE_RPC_SCHEMA } from './schema.js';
import type { ZeekField, ZeekSchema, ZeekType } from './schema.js';

const KNOWN = new Map(DCE_RPC_SCHEMA.fields.map((field) => [field.name, field.type]));
const KNOWN_UNDERSCORED = new Map(DCE_RPC_SCHEMA.fields.map((field) => [field.name.replaceAll('.', '_'), field.name]));
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?$/;

interface Observed {
  kinds: Set<string>;
}

/**
 * Nesting kept when flattening: Zeek's records nest two deep (`id.orig_h`), Corelight's a few
 * more. Deeper objects (a 5,000-deep bomb) contribute no column, and cannot exhaust the stack.
 */
const MAX_FLATTEN_DEPTH = 8;

/** Flattens one JSON object into dotted names (nested objects), mapping `id_orig_h` to `id.orig_h`. */
function flatten(object: Record<string, unknown>, prefix: string, out: Map<string, unknown>, depth = 0): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix + key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (depth + 1 < MAX_FLATTEN_DEPTH) flatten(value as Record<string, unknown>, `${name}.`, out, depth + 1);
    } else {
      out.set(KNOWN_UNDERSCORED.get(name) ?? name, value);
    }
  }
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? (value < 0 ? 'int' : 'count') : 'double';
  if (typeof value === 'string') return ISO_TIME.test(value) ? 'iso' : 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) {
    const inner = new Set((value as unknown[]).map(kindOf).filter((k) => k !== 'null'));
    return `vector:${inner.size === 1 ? [...inner][0] ?? 'string' : inner.size === 0 ? 'string' : 'string'}`;
  }
  return 'string';
}

function scalarType(kinds: Set<string>, name: string): ZeekType {
  kinds.delete('null');
  const timeLike = name === 'ts' || name.endsWith('_ts') || name.endsWith('.ts');
  if (kinds.size === 0) return 'string';
  if ([...kinds].every((k) => k === 'iso')) return 'time';
  if ([...kinds].every((k) => k === 'count' || k === 'int' || k === 'double')) {
    if (timeLike) return 'time';
    if (kinds.has('double')) return 'double';
    return kinds.has('int') ? 'int' : 'count';
  }
  if (kinds.size === 1 && kinds.has('bool')) return 'bool';
  return 'string';
}

function typeFor(name: string, observed: Observed): ZeekType {
  const known = KNOWN.get(name);
  if (known !== undefined) return known;
  const vectors = [...observed.kinds].filter((k) => k.startsWith('vector:'));
  if (vectors.length > 0 && vectors.length === [...observed.kinds].filter((k) => k !== 'null').length) {
    const inner = scalarType(new Set(vectors.map((k) => k.slice('vector:'.length))), '');
    return `vector[${inner === 'time' ? 'string' : inner}]`;
  }
  return scalarType(new Set(observed.kinds), name);
}

async function openMaybeGzip(path: string): Promise<AsyncIterable<Buffer>> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(2);
  try {
    await handle.read(magic, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const file = createReadStream(path);
  // Whatever stops the gzip data early is reported by the decoding pass, at its line.
  return hasGzipMagic(magic) ? inflateGzip(file, () => undefined) : file;
}

/**
 * Reads a JSON log once and returns the schema of the records in it. Lines that are not JSON
 * objects are skipped here (the decoding pass reports them). When some objects have dce_rpc
 * keys, objects without any (wrappers, stray lines) do not contribute keys.
 */
export async function inferJsonSchema(path: string, maxLineBytes?: number): Promise<ZeekSchema> {
  const order: string[] = [];
  const all = new Map<string, Observed>();
  const fromKnown = new Map<string, Observed>();
  let sawKnown = false;
  const splitter = new LineSplitter({ maxLineBytes });
  const onLine = (bytes: Buffer): void => {
    if (bytes[0] !== 0x7b) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return; // reported by the decoding pass
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    const flat = new Map<string, unknown>();
    flatten(parsed as Record<string, unknown>, '', flat);
    const known = [...flat.keys()].some((key) => KNOWN.has(key));
    sawKnown ||= known;
    for (const [name, value] of flat) {
      if (!all.has(name)) {
        all.set(name, { kinds: new Set() });
        order.push(name);
      }
      all.get(name)?.kinds.add(kindOf(value));
      if (known) {
        if (!fromKnown.has(name)) fromKnown.set(name, { kinds: new Set() });
        fromKnown.get(name)?.kinds.add(kindOf(value));
      }
    }
  };
  try {
    for await (const chunk of await openMaybeGzip(path)) splitter.push(chunk, onLine, () => undefined);
    splitter.finish(onLine, () => undefined);
  } catch {
    // A failed read: the schema comes from what was readable; the decoding pass reports it.
  }
  const source = sawKnown ? fromKnown : all;
  const fields: ZeekField[] = order
    .filter((name) => source.has(name))
    .map((name) => ({ name, type: typeFor(name, source.get(name) ?? { kinds: new Set() }) }));
  const path_ = fields.some((f) => KNOWN.has(f.name)) ? DCE_RPC_SCHEMA.path : '';
  return { path: path_, fields };
}
