/**
 * The live demo: a simulated sensor replays the sample week (samples/week.log.gz) into a
 * temporary Zeek log directory while the real daemon (in this process) bootstraps from the
 * week's first days, tails the rest across rotations and a truncation, and prints every anomaly
 * with its explanation as it is written. Ends with a summary against the week's attack labels.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { printable } from '../printable.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadConfigFile } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/logger.js';
import { loadProgress } from '../daemon/progress.js';
import { anomalyView, explainAnomaly } from './explain.js';
import { SimulatedSensor, type SensorRecord } from './sensor.js';

export interface DemoOptions {
  /** Use only the first `rows` records of the week (default: all 40,000). */
  rows?: number;
  /** Seconds the live part of the replay should take. @default 25 */
  seconds?: number;
  /** Where the story is told. */
  out: NodeJS.WritableStream;
  /** Keep the temporary directory (its path is printed). */
  keep?: boolean;
}

export interface DemoSummary {
  bootstrapRecords: number;
  liveRecords: number;
  scored: number;
  anomalies: number;
  /** Anomaly records whose session is not a labelled attack. */
  unlabelled: number;
  labelledSessions: number;
  caughtSessions: number;
  rotations: number;
  truncations: number;
  elapsedMs: number;
}

/** The package root (holds samples/), found from this module whether run from dist/ or build/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('demo: cannot find the package root (samples/)');
    dir = parent;
  }
  return dir;
}

/** Splits a Zeek TSV log into its leading header and its records with timestamps. */
export function splitZeekLog(text: string): { header: string; records: SensorRecord[] } {
  const header: string[] = [];
  const records: SensorRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (records.length === 0) header.push(`${line}\n`);
      continue;
    }
    records.push({ ts: Number(line.slice(0, line.indexOf('\t'))), line });
  }
  return { header: header.join(''), records };
}

/** Runs the demo; resolves with what happened. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const out = options.out;
  // Lines quote records of the sample log: shown to a terminal, never interpreted by it.
  const say = (text: string): void => void out.write(`${printable(text, { keepLineBreaks: true })}\n`);
  const root = packageRoot();
  const samples = join(root, 'samples');
  const week = splitZeekLog(gunzipSync(await readFile(join(samples, 'week.log.gz'))).toString('utf8'));
  const labels = new Map(
    (await readFile(join(samples, 'week.labels'), 'utf8'))
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.split('\t') as [string, string]),
  );
  const records = options.rows === undefined ? week.records : week.records.slice(0, options.rows);
  if (records.length < 1000) throw new Error('demo: --rows must be at least 1000');
  // The first three days are last week's archive (bootstrap); the rest arrives live.
  const firstTs = (records[0] as SensorRecord).ts;
  let split = records.findIndex((r) => r.ts >= firstTs + 3 * 86_400);
  if (split < 0 || options.rows !== undefined) split = Math.floor(records.length * 0.4);
  const archive = records.slice(0, split);
  const live = records.slice(split);

  const dir = await mkdtemp(join(tmpdir(), 'zeek-anomalyd-demo-'));
  try {
    const logs = join(dir, 'zeek', 'logs');
    const livePath = join(logs, 'dce_rpc.log');
    const stateDirectory = join(dir, 'state');
    await mkdir(logs, { recursive: true });
    const archivePath = join(dir, 'archive', 'dce_rpc.last-week.log.gz');
    await mkdir(dirname(archivePath), { recursive: true });
    await writeFile(archivePath, gzipSync(week.header + archive.map((r) => `${r.line}\n`).join('')));
    // Last week's file is a week old: archives older than the install seed training only.
    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    await utimes(archivePath, weekAgo, weekAgo);

    const iniPath = join(dir, 'demo.ini');
    await writeFile(
      iniPath,
      [
        (await readFile(join(samples, 'sample.ini'), 'utf8')).trimEnd(),
        '',
        '[input]',
        `paths = ${livePath}`,
        'poll_interval = 100ms',
        `archives = ${archivePath}`,
        `state_directory = ${stateDirectory}`,
        '[training]',
        'sample_every = 2',
        'min_rows = 500',
        '[model]',
        'seed = 1',
        'retrain_schedule = 0 0 1 1 *',
        '[output]',
        `directory = ${join(dir, 'out')}`,
        'rotate_interval = 0',
        '[logging]',
        'level = warn',
        'stats_interval = 0',
        '',
      ].join('\n'),
    );
    const config = await loadConfigFile(iniPath);

    say(`zeek-anomalyd demo in ${dir}`);
    say(`  archive (bootstrap): ${archive.length} records; live: ${live.length} records replayed in about ${options.seconds ?? 25} s`);
    say('  the sensor rotates its log every simulated hour and restarts once (truncating its log)\n');

    const caught = new Set<string>();
    let anomalies = 0;
    let unlabelled = 0;
    const daemon = new Daemon({
      configPath: iniPath,
      config,
      logger: createLogger('warn', process.stderr),
      hooks: {
        onAnomaly: (record, values) => {
          anomalies += 1;
          const label = record.uid === null ? undefined : labels.get(record.uid);
          if (label !== undefined && record.uid !== null) caught.add(record.uid);
          else unlabelled += 1;
          say(explainAnomaly(anomalyView(values), label));
        },
      },
    });
    await daemon.start();
    say(`daemon started; model ${daemon.modelId ?? '(training)'}\n`);

    const scored = async (): Promise<number> => (await loadProgress(stateDirectory)).records;
    const waitForScored = async (n: number, timeoutMs: number): Promise<number> => {
      const deadline = Date.now() + timeoutMs;
      let count = await scored();
      while (count < n && Date.now() < deadline) {
        await sleep(100);
        count = await scored();
      }
      return count;
    };
    const sensor = new SimulatedSensor({
      livePath,
      header: week.header,
      recordsPerSecond: Math.max(200, live.length / (options.seconds ?? 25)),
      // An accelerated week still rotates slower than the daemon polls (100 ms).
      minRotationGapMs: 150,
      truncateAfter: {
        records: Math.floor(live.length / 2),
        waitForReader: async () => {
          await waitForScored(Math.floor(live.length / 2), 20_000);
          say('-- sensor: Zeek restarted; dce_rpc.log truncated and started over --\n');
        },
      },
    });
    await sensor.run(live);
    const count = await waitForScored(live.length, 30_000);
    await daemon.stop();

    const liveUids = new Set(live.map((r) => r.line.split('\t')[1]));
    const labelled = [...labels.keys()].filter((uid) => liveUids.has(uid));
    const summary: DemoSummary = {
      bootstrapRecords: archive.length,
      liveRecords: live.length,
      scored: count,
      anomalies,
      unlabelled,
      labelledSessions: labelled.length,
      caughtSessions: labelled.filter((uid) => caught.has(uid)).length,
      rotations: sensor.rotations,
      truncations: sensor.truncations,
      elapsedMs: Date.now() - started,
    };
    say('');
    say(`summary: ${summary.scored} of ${summary.liveRecords} live records scored, ${summary.anomalies} anomalies`);
    say(`  labelled attack sessions in the live part: ${summary.labelledSessions}, caught: ${summary.caughtSessions}`);
    // A missed session is shown with its call, so the reader can judge it: the sample's labels
    // mark whole attack chains, and a chain's opening call (a DCOM activation before WMI's
    // ExecMethod) is everyday traffic on its own; the technique sessions after it are what alert.
    for (const uid of labelled.filter((u) => !caught.has(u))) {
      const fields = live.find((r) => r.line.split('\t')[1] === uid)?.line.split('\t') ?? [];
      say(`  missed: ${uid} (${labels.get(uid) ?? '?'}) ${fields[2] ?? '?'} -> ${fields[4] ?? '?'} ${fields[8] ?? '?'} ${fields[9] ?? '?'}`);
    }
    say(`  anomalies outside labelled attack sessions: ${unlabelled}`);
    say(`  sensor: ${summary.rotations} rotations, ${summary.truncations} truncation; ${(summary.elapsedMs / 1000).toFixed(1)} s`);
    return summary;
  } finally {
    if (options.keep === true) say(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
