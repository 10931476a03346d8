/**
 * Builds a Zeek archive tree from one TSV log: its records cut into consecutive parts, each
 * written as Zeek would archive it (the log's header, the part's records, `#close`), gzipped,
 * under zeekctl's `logs/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS.log.gz` names (UTC here) or the
 * supervisor's `archive/YYYY-MM-DD/` ones. Used by the hunt tests and bench/hunt.bench.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface ArchivePart {
  path: string;
  records: number;
  firstTs: number;
  lastTs: number;
}

function stamp(ts: number): { day: string; time: string } {
  const iso = new Date(ts * 1000).toISOString();
  return { day: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/**
 * Writes `parts` gzipped parts of `logText` under `root` and returns them in record order.
 * `name` may rename a part (to make names disagree with time); it gets the default name.
 */
export function writeArchiveTree(
  logText: string,
  root: string,
  parts: number,
  options: {
    layout?: 'zeekctl' | 'supervisor';
    /** false: plain `.log` files. @default true */
    gzip?: boolean;
    gzipLevel?: number;
    /** Records per part (summing to the log's), instead of equal parts. */
    sizes?: readonly number[];
    name?: (index: number, path: string) => string;
  } = {},
): ArchivePart[] {
  const lines = logText.split('\n');
  const header = lines.filter((line, i) => line.startsWith('#') && !line.startsWith('#close') && i < 20);
  const records = lines.filter((line) => line !== '' && !line.startsWith('#'));
  const out: ArchivePart[] = [];
  const per = Math.ceil(records.length / parts);
  let from = 0;
  for (let p = 0; p < parts; p++) {
    const size = options.sizes?.[p] ?? per;
    const slice = records.slice(from, from + size);
    from += size;
    if (slice.length === 0) break;
    const firstTs = Number((slice[0] as string).split('\t')[0]);
    const lastTs = Number((slice[slice.length - 1] as string).split('\t')[0]);
    const start = stamp(firstTs);
    const to = stamp(lastTs);
    const top = options.layout === 'supervisor' ? 'archive' : 'logs';
    const gzip = options.gzip ?? true;
    let path = join(root, top, start.day, `dce_rpc.${start.time}-${to.time}.log${gzip ? '.gz' : ''}`);
    if (options.name !== undefined) path = join(root, options.name(p, path));
    const body = `${header.join('\n')}\n${slice.join('\n')}\n#close\t${to.day}-${to.time.replace(/:/g, '-')}\n`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzip ? gzipSync(body, { level: options.gzipLevel ?? 6 }) : body);
    out.push({ path, records: slice.length, firstTs, lastTs });
  }
  return out;
}
