/**
 * `zeek-anomalyd generate`: write a realistic, labelled enterprise dce_rpc.log (Zeek TSV or JSON)
 * from the seeded generator in src/generate, plus optionally the attack labels and the matching
 * `[ip_groups]` INI fragment. Output goes through the codec's writers, so it is exactly what Zeek
 * would write.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { EXIT, messageOf } from '../errors.js';
import { generateDceRpc, generatePersonalityWeek, renderIpGroupsIni, renderPersonalityIni, type LabelledRecord } from '../generate/index.js';
import { DEFAULT_START_TS } from '../generate/generator.js';
import {
  DCE_RPC_SCHEMA,
  formatJsonRecord,
  formatTsvClose,
  formatTsvHeader,
  formatTsvRecord,
  type ZeekValue,
} from '../zeek/index.js';

/** One-line description for `zeek-anomalyd --help`. */
export const summary = 'write a synthetic, labelled enterprise dce_rpc.log';

const USAGE = `usage: zeek-anomalyd generate --rows N [--seed S] [--format zeek|json] [--labels FILE]
                              [--start ISO] [--days D] [--ip-groups FILE] [-o FILE]
       zeek-anomalyd generate --personality [--rows N] [--seed S] [--campaign-days D,D,..] ...

Writes N rows of simulated enterprise DCE-RPC traffic (departments, DCs, file/print/management
servers, a working-day rhythm) with rare labelled attacks (DCSync, PsExec, remote tasks, WMI,
PetitPotam, PrinterBug, registry dumps, session-enumeration sweeps, unknown interfaces).
The same seed always gives the same bytes.

With --personality the seed draws a whole network personality (docs/generator.md): groups of a
handful to thousands of hosts, server roles, volume (hundreds to millions of records a week; --rows
overrides it), time zone and working hours, routine technique habits, rare benign events, and one
intrusion campaign acting where its group has no such routine. Without it: the fixed enterprise
the samples were made from (its output is unchanged).

options:
      --rows N          number of rows (required, except with --personality)
      --personality     draw a network personality from the seed
      --seed S          integer seed (default 1)
      --format F        zeek (TSV, default) or json
      --labels FILE     write attack labels: one "uid<TAB>scenario" line per attack session
      --start ISO       first timestamp, e.g. 2024-03-04T00:00:00Z (default 2024-03-04T00:00:00Z)
      --days D          span in days (default 7)
      --ip-groups FILE  write the [ip_groups] INI fragment describing the simulated network
      --campaign-days L with --personality: the campaign acts on each of these day indexes
                        (0 = the first day), each scenario from the same host every time
  -o, --output FILE     output file (default: standard output)
  -h, --help            show this help
`;

/** Getters aligned to the codec's dce_rpc schema, by field name (not by position). */
const FIELD_GETTERS: Record<string, (r: LabelledRecord) => ZeekValue> = {
  ts: (r) => r.ts,
  uid: (r) => r.uid,
  'id.orig_h': (r) => r.origHost,
  'id.orig_p': (r) => r.origPort,
  'id.resp_h': (r) => r.respHost,
  'id.resp_p': (r) => r.respPort,
  rtt: (r) => r.rtt,
  named_pipe: (r) => r.namedPipe,
  endpoint: (r) => r.endpoint,
  operation: (r) => r.operation,
};

/** Flush the text buffer to the stream once it is this large. */
const CHUNK_CHARS = 1 << 20;

interface GenerateArgs {
  rows: number;
  seed: number;
  format: 'zeek' | 'json';
  labels: string | undefined;
  startTs: number;
  days: number;
  ipGroups: string | undefined;
  output: string | undefined;
  personality: boolean;
  campaignDays: number[] | undefined;
}

type ParseResult = { kind: 'args'; args: GenerateArgs } | { kind: 'help' } | { kind: 'usage'; message: string };

function parse(args: string[]): ParseResult {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        rows: { type: 'string' },
        seed: { type: 'string' },
        format: { type: 'string' },
        labels: { type: 'string' },
        start: { type: 'string' },
        days: { type: 'string' },
        'ip-groups': { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
        personality: { type: 'boolean' },
        'campaign-days': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    return usage(messageOf(error));
  }
  if (values.help === true) return { kind: 'help' };
  const personality = values.personality === true;
  if (values.rows === undefined && !personality) return usage('--rows is required');
  const rows = Number(values.rows ?? '-1');
  if (values.rows !== undefined && (!/^\d+$/.test(values.rows) || !Number.isSafeInteger(rows))) return usage(`--rows must be a whole number, got '${values.rows}'`);
  const seed = Number(values.seed ?? '1');
  if (!/^-?\d+$/.test(values.seed ?? '1') || !Number.isSafeInteger(seed)) return usage(`--seed must be an integer, got '${values.seed}'`);
  const format = values.format ?? 'zeek';
  if (format !== 'zeek' && format !== 'json') return usage(`--format must be zeek or json, got '${format}'`);
  let startTs = DEFAULT_START_TS;
  if (values.start !== undefined) {
    const ms = Date.parse(values.start);
    if (Number.isNaN(ms)) return usage(`--start must be an ISO date/time, got '${values.start}'`);
    startTs = ms / 1000;
  }
  const days = Number(values.days ?? '7');
  if (!Number.isFinite(days) || days <= 0 || days > 3660) return usage(`--days must be a number of days > 0, got '${values.days}'`);
  let campaignDays: number[] | undefined;
  if (values['campaign-days'] !== undefined) {
    if (!personality) return usage('--campaign-days needs --personality');
    campaignDays = values['campaign-days'].split(',').map((d) => Number(d.trim()));
    const wrong = values['campaign-days'].split(',').find((d) => !/^\d+$/.test(d.trim()) || Number(d) >= days);
    if (wrong !== undefined) return usage(`--campaign-days must list day indexes from 0 to ${Math.ceil(days) - 1}, got '${wrong}'`);
  }
  return {
    kind: 'args',
    args: {
      rows,
      seed,
      format,
      labels: values.labels,
      startTs,
      days,
      ipGroups: values['ip-groups'],
      output: values.output,
      personality,
      campaignDays,
    },
  };
}

const usage = (message: string): ParseResult => ({ kind: 'usage', message });

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function closeFile(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'close');
}

/** Runs the command; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const result = parse(args);
  if (result.kind === 'help') {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (result.kind === 'usage') {
    process.stderr.write(`generate: ${result.message}\n${USAGE}`);
    return EXIT.usage;
  }
  const parsed = result.args;
  const getters = DCE_RPC_SCHEMA.fields.map((field) => FIELD_GETTERS[field.name] ?? (() => null));
  const values: ZeekValue[] = new Array<ZeekValue>(getters.length).fill(null);
  const file = parsed.output === undefined ? null : createWriteStream(parsed.output);
  const out: NodeJS.WritableStream = file ?? process.stdout;
  const fileError = file === null ? null : once(file, 'error');
  const attackUids = new Map<string, string>();
  let lastTs = parsed.startTs;
  let rows = 0;
  try {
    if (file !== null) await Promise.race([once(file, 'open'), fileError]);
    let buffer = parsed.format === 'zeek' ? formatTsvHeader(DCE_RPC_SCHEMA, parsed.startTs * 1000) : '';
    let ipGroupsIni = renderIpGroupsIni;
    let source: Iterable<LabelledRecord>;
    if (parsed.personality) {
      const week = generatePersonalityWeek({ seed: parsed.seed, startTs: parsed.startTs, days: parsed.days, ...(parsed.campaignDays === undefined ? {} : { campaignDays: parsed.campaignDays }), ...(parsed.rows >= 0 ? { recordsPerWeek: (parsed.rows * 7) / parsed.days } : {}) });
      source = week.records;
      ipGroupsIni = () => renderPersonalityIni(week.personality);
    } else {
      source = generateDceRpc({ rows: parsed.rows, seed: parsed.seed, startTs: parsed.startTs, days: parsed.days });
    }
    for (const record of source) {
      for (let i = 0; i < getters.length; i++) values[i] = (getters[i] as (r: LabelledRecord) => ZeekValue)(record);
      buffer += parsed.format === 'zeek' ? formatTsvRecord(DCE_RPC_SCHEMA, values) : formatJsonRecord(DCE_RPC_SCHEMA, values);
      if (record.scenario !== null && record.uid !== null && !attackUids.has(record.uid)) {
        attackUids.set(record.uid, record.scenario);
      }
      lastTs = record.ts;
      rows++;
      if (buffer.length >= CHUNK_CHARS) {
        await write(out, buffer);
        buffer = '';
      }
    }
    if (parsed.format === 'zeek') buffer += formatTsvClose(Math.max(lastTs, parsed.startTs + parsed.days * 86400) * 1000);
    await write(out, buffer);
    if (file !== null) await closeFile(file);
    if (parsed.labels !== undefined) {
      const lines = [...attackUids].map(([uid, scenario]) => `${uid}\t${scenario}\n`).join('');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(parsed.labels, lines);
    }
    if (parsed.ipGroups !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(parsed.ipGroups, ipGroupsIni());
    }
  } catch (error) {
    process.stderr.write(`generate: cannot write output: ${messageOf(error)}\n`);
    file?.destroy();
    return EXIT.dataErrors;
  }
  const scenarios = new Map<string, number>();
  for (const scenario of attackUids.values()) scenarios.set(scenario, (scenarios.get(scenario) ?? 0) + 1);
  const breakdown = [...scenarios].map(([name, count]) => `${name} ${count}`).join(', ');
  process.stderr.write(
    `generate: ${rows} rows to ${parsed.output ?? 'stdout'}; ${attackUids.size} attack sessions${breakdown === '' ? '' : ` (${breakdown})`}\n`,
  );
  return EXIT.ok;
}
