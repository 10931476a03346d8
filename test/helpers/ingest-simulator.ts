/**
 * Runs an Elasticsearch ingest pipeline on a document, for the processors our pipelines use
 * (dot_expander, date, rename, remove, set, with `ctx.X != null [&& ctx.X.isEmpty()]`
 * conditions), following the semantics of Elasticsearch's reference. Any other processor,
 * option or condition throws, so a pipeline that grows past what this checks fails loudly
 * instead of passing untested. No Elasticsearch is reachable from CI.
 */
type Doc = Record<string, unknown>;

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(doc: Doc, path: string): unknown {
  let node: unknown = doc;
  for (const part of path.split('.')) {
    if (!isObject(node)) return undefined;
    node = node[part];
  }
  return node;
}

function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined) node[part] = {};
    else if (!isObject(next)) throw new Error(`ingest: cannot set ${path}: ${part} is not an object`);
    node = node[part] as Doc;
  }
  node[parts[parts.length - 1] as string] = value;
}

function removePath(doc: Doc, path: string): boolean {
  const parts = path.split('.');
  const parent = parts.length === 1 ? doc : getPath(doc, parts.slice(0, -1).join('.'));
  const leaf = parts[parts.length - 1] as string;
  if (!isObject(parent) || !(leaf in parent)) return false;
  delete parent[leaf];
  return true;
}

function condition(expression: string, doc: Doc): boolean {
  const match = /^ctx\.([\w.@]+) != null(?: && ctx\.\1\.isEmpty\(\))?$/.exec(expression);
  if (match === null) throw new Error(`ingest: unsupported condition '${expression}'`);
  const value = getPath(doc, match[1] as string);
  if (value === undefined || value === null) return false;
  if (!expression.endsWith('.isEmpty()')) return true;
  return isObject(value) ? Object.keys(value).length === 0 : typeof value === 'string' && value.length === 0;
}

function parseDate(value: unknown, formats: readonly string[]): string {
  for (const format of formats) {
    if (format === 'UNIX' && (typeof value === 'number' || /^\d+(\.\d+)?$/.test(String(value)))) {
      // Elasticsearch keeps the instant to the nanosecond and prints milliseconds, truncating.
      return new Date(Math.floor(Number(value) * 1000)).toISOString();
    }
    if (format === 'ISO8601' && typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(Date.parse(value)).toISOString();
    if (format !== 'UNIX' && format !== 'ISO8601') throw new Error(`ingest: unsupported date format ${format}`);
  }
  throw new Error(`ingest: unable to parse date [${String(value)}]`);
}

function checkOptions(name: string, options: Doc, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) if (!allowed.includes(key)) throw new Error(`ingest: unsupported ${name} option '${key}'`);
}

function runProcessor(processor: Doc, doc: Doc): void {
  const entries = Object.entries(processor);
  if (entries.length !== 1) throw new Error('ingest: a processor is an object with one key');
  const [name, raw] = entries[0] as [string, Doc];
  if (typeof raw.if === 'string' && !condition(raw.if, doc)) return;
  switch (name) {
    case 'dot_expander': {
      checkOptions(name, raw, ['field']);
      if (raw.field !== '*') throw new Error('ingest: only dot_expander field "*" is simulated');
      for (const key of Object.keys(doc)) {
        if (!key.includes('.')) continue;
        const value = doc[key];
        delete doc[key];
        setPath(doc, key, value);
      }
      return;
    }
    case 'date': {
      checkOptions(name, raw, ['if', 'field', 'target_field', 'formats']);
      const value = getPath(doc, String(raw.field));
      if (value === undefined) throw new Error(`ingest: field [${String(raw.field)}] not present`);
      setPath(doc, typeof raw.target_field === 'string' ? raw.target_field : '@timestamp', parseDate(value, raw.formats as string[]));
      return;
    }
    case 'rename': {
      checkOptions(name, raw, ['if', 'field', 'target_field', 'ignore_missing']);
      const value = getPath(doc, String(raw.field));
      if (value === undefined) {
        if (raw.ignore_missing === true) return;
        throw new Error(`ingest: field [${String(raw.field)}] doesn't exist`);
      }
      if (getPath(doc, String(raw.target_field)) !== undefined) throw new Error(`ingest: field [${String(raw.target_field)}] already exists`);
      removePath(doc, String(raw.field));
      setPath(doc, String(raw.target_field), value);
      return;
    }
    case 'remove': {
      checkOptions(name, raw, ['if', 'field', 'ignore_missing']);
      if (!removePath(doc, String(raw.field)) && raw.ignore_missing !== true) throw new Error(`ingest: field [${String(raw.field)}] not present`);
      return;
    }
    case 'set': {
      checkOptions(name, raw, ['if', 'field', 'value', 'override']);
      if (raw.override === false && getPath(doc, String(raw.field)) !== undefined) return;
      setPath(doc, String(raw.field), raw.value);
      return;
    }
    default:
      throw new Error(`ingest: processor '${name}' is not simulated; extend test/helpers/ingest-simulator.ts`);
  }
}

/** The document after `pipeline` (with `on_failure` run on an error, as Elasticsearch does). */
export function simulatePipeline(pipeline: { processors: Doc[]; on_failure?: Doc[] }, source: Doc): Doc {
  const doc = structuredClone(source);
  try {
    for (const processor of pipeline.processors) runProcessor(processor, doc);
  } catch (error) {
    if (pipeline.on_failure === undefined) throw error;
    for (const processor of pipeline.on_failure) runProcessor(processor, doc);
  }
  return doc;
}

/** Leaves of a document as flat dotted names (arrays are leaves). */
export function flattenDoc(doc: Doc, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isObject(value)) Object.assign(out, flattenDoc(value, name));
    else out[name] = value;
  }
  return out;
}
