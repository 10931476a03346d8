/**
 * `zeek-anomalyd cat`: read Zeek logs (TSV or JSON, plain or gzip, several in order) and write
 * them to stdout as Zeek TSV or Zeek JSON. Bad lines go to stderr as `FILE:LINE: reason`.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { EXIT, isDaemonError, messageOf } from '../errors.js';
import {
  DEFAULT_TSV_FORMAT,
  formatJsonRecord,
  formatTsvClose,
  formatTsvHeader,
  formatTsvRecord,
  inferJsonSchema,
  scanZeekLog,
} from '../zeek/index.js';
import type { ReadEvent, TsvFormat, ZeekSchema, ZeekValue } from '../zeek/index.js';

/** One-line description for the command list. */
export const summary = 'print Zeek logs (TSV/JSON, .gz) as Zeek TSV or JSON';

const USAGE = `usage: zeek-anomalyd cat [--format zeek|json] [--fields a,b,...] FILE...

Reads Zeek logs (TSV or JSON, plain or gzip) in order and writes them to stdout.
  --format zeek   Zeek TSV, as Zeek's ASCII writer (default)
  --format json   Zeek JSON, as Zeek's JSON writer
  --fields LIST   only these columns, in this order (unknown names are written unset)
JSON input has no header: its schema is the keys its records use, typed as in dce_rpc.log where
the name is known (see docs/zeek-format.md). Bad lines are reported on stderr as FILE:LINE:
reason, followed by a count. Exit status: 0 ok, 1 some lines were bad, 2 usage error or an
unreadable file.
`;

/** Buffered stdout that honours backpressure between chunks of input. */
class Output {
  #parts: string[] = [];
  #size = 0;

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
  }

  async flush(force = false): Promise<void> {
    if (this.#size === 0 || (!force && this.#size < 64 * 1024)) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }
}

interface Projection {
  schema: ZeekSchema;
  /** For each output column, the input column index or -1 (unset). */
  source: number[];
}

function project(schema: ZeekSchema, fields: string[] | null): Projection {
  if (fields === null) return { schema, source: schema.fields.map((_, i) => i) };
  const names = schema.fields.map((f) => f.name);
  const source = fields.map((name) => names.indexOf(name));
  return {
    schema: {
      path: schema.path,
      fields: fields.map((name, i) => schema.fields[source[i] ?? -1] ?? { name, type: 'string' }),
    },
    source,
  };
}

function sameSchema(a: ZeekSchema, b: ZeekSchema): boolean {
  return (
    a.path === b.path &&
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f.name === b.fields[i]?.name && f.type === b.fields[i]?.type)
  );
}

function sameFormat(a: TsvFormat, b: TsvFormat): boolean {
  return (
    a.separator === b.separator &&
    a.setSeparator === b.setSeparator &&
    a.emptyField === b.emptyField &&
    a.unsetField === b.unsetField &&
    a.metaPrefix === b.metaPrefix
  );
}

/** Runs the command; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'zeek' },
        fields: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`zeek-anomalyd cat: ${messageOf(error)}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const outputFormat = values.format;
  if (outputFormat !== 'zeek' && outputFormat !== 'json') {
    process.stderr.write(`zeek-anomalyd cat: --format must be zeek or json, not '${outputFormat}'\n${USAGE}`);
    return EXIT.usage;
  }
  const fields = values.fields === undefined ? null : values.fields.split(',').filter((f) => f.length > 0);
  if (fields?.length === 0) {
    process.stderr.write(`zeek-anomalyd cat: --fields needs at least one name\n${USAGE}`);
    return EXIT.usage;
  }
  if (positionals.length === 0) {
    process.stderr.write(`zeek-anomalyd cat: no FILE given\n${USAGE}`);
    return EXIT.usage;
  }

  const out = new Output();
  let bad = 0;
  let lines = 0;
  let unreadable = false;
  let open: { projection: Projection; format: TsvFormat } | null = null;
  let current: Projection | null = null;
  let currentFormat: TsvFormat = DEFAULT_TSV_FORMAT;

  const startBlock = (schema: ZeekSchema, format: TsvFormat): void => {
    const projection = project(schema, fields);
    current = projection;
    currentFormat = format;
    if (outputFormat !== 'zeek') return;
    if (open !== null && sameSchema(open.projection.schema, projection.schema) && sameFormat(open.format, format)) {
      current = open.projection;
      return;
    }
    if (open !== null) out.write(formatTsvClose(new Date(), open.format));
    out.write(formatTsvHeader(projection.schema, new Date(), format));
    open = { projection, format };
  };

  const onEvent = (event: ReadEvent): void => {
    switch (event.kind) {
      case 'header':
        startBlock(event.schema, event.format);
        return;
      case 'error':
        bad += 1;
        process.stderr.write(`${event.file}:${event.line}: ${event.reason}\n`);
        return;
      case 'record': {
        if (current === null || current.schema !== event.schema) {
          if (current === null || !sameSchema(project(event.schema, fields).schema, current.schema)) {
            startBlock(event.schema, DEFAULT_TSV_FORMAT);
          }
        }
        const projection = current;
        if (projection === null) return;
        const row: ZeekValue[] = projection.source.map((index) => (index < 0 ? null : (event.values[index] ?? null)));
        out.write(
          outputFormat === 'zeek'
            ? formatTsvRecord(projection.schema, row, currentFormat)
            : formatJsonRecord(projection.schema, row),
        );
        return;
      }
    }
  };

  for (const path of positionals) {
    try {
      const first = await firstByte(path);
      const jsonSchema = first === 0x7b ? await inferJsonSchema(path) : undefined;
      current = null;
      const stats = await scanZeekLog(path, onEvent, {
        ...(jsonSchema === undefined ? {} : { jsonSchema }),
        afterChunk: () => out.flush(),
      });
      lines += stats.lines;
    } catch (error) {
      if (!isDaemonError(error)) throw error;
      unreadable = true;
      process.stderr.write(`zeek-anomalyd cat: ${error.message}\n`);
    }
  }
  const last = open as { projection: Projection; format: TsvFormat } | null;
  if (last !== null) out.write(formatTsvClose(new Date(), last.format));
  await out.flush(true);
  if (bad > 0) process.stderr.write(`zeek-anomalyd cat: ${bad} bad line${bad === 1 ? '' : 's'} of ${lines} skipped\n`);
  if (unreadable) return EXIT.usage;
  return bad > 0 ? EXIT.dataErrors : EXIT.ok;
}

/** The first non-blank byte of a file (after a btest banner line), to pick JSON or TSV. */
async function firstByte(path: string): Promise<number | undefined> {
  const { open: openFile } = await import('node:fs/promises');
  let handle;
  try {
    handle = await openFile(path, 'r');
  } catch {
    return undefined; // scanZeekLog reports why with a clear error
  }
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, 4096, 0);
    if (buffer[0] === 0x1f && buffer[1] === 0x8b) return gzipFirstByte(path);
    let text = buffer.subarray(0, bytesRead).toString('latin1');
    if (text.startsWith('### BTest')) text = text.slice(text.indexOf('\n') + 1);
    return text.trimStart().charCodeAt(0);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

async function gzipFirstByte(path: string): Promise<number | undefined> {
  const { createReadStream } = await import('node:fs');
  const { createGunzip } = await import('node:zlib');
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream) {
      let text = (chunk as Buffer).toString('latin1');
      if (text.startsWith('### BTest')) text = text.slice(text.indexOf('\n') + 1);
      return text.trimStart().charCodeAt(0);
    }
  } catch {
    return undefined;
  } finally {
    stream.destroy();
  }
  return undefined;
}
