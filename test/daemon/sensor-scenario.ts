/**
 * Issue 14's end-to-end scenarios: the independent Zeek-style writer (test/helpers/zeek-writer.ts,
 * its own process) writes and rotates in one of four sensor layouts while the daemon (its own
 * process) is killed, stopped and restarted; the final anomalies.log is compared with the offline
 * `score` of every file the writer wrote, in order. The model is pinned and every record is an
 * anomaly (harness.writeIni), so each record lost or written twice shows as a uid.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/shared.js';
import { seededRandom, type WriterLayout, type WriterOptions } from '../helpers/zeek-writer.js';
import {
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  missingAndTwice,
  offlineAnomalies,
  offlineAnomaliesInBackground,
  readProgress,
  CLI,
  uidOfAnomaly,
  uidRanges,
  waitFor,
  writeIni,
  type Site,
} from './harness.js';

const WRITER = join(repoRoot, 'build', 'test', 'helpers', 'zeek-writer.js');

/** How the daemon is interrupted while the writer runs. */
export type Interruptions =
  /** `count` × kill -9 at random instants `minMs`–`maxMs` apart, restarted at once. */
  | { kind: 'kills'; count: number; minMs: number; maxMs: number }
  /** `times` stops (SIGTERM and kill -9 alternately), each lasting `rotations` rotations. */
  | { kind: 'downs'; times: number; rotations: number };

export interface ScenarioOptions {
  root: string;
  layout: WriterLayout;
  seed: number;
  records: number;
  perSecond: number;
  rotateEveryMs: number;
  interruptions: Interruptions;
  /** Write `[input] archives` for the layout (off to measure a build without the key). */
  withArchives?: boolean;
  /**
   * Let the daemon bootstrap its own model from an archive of earlier records (the issue's
   * setup) instead of pinning one; lines then differ in their model fields, so only uids count.
   */
  bootstrap?: boolean;
  /** See WriterOptions.wallClockNames. */
  wallClockNames?: boolean;
  /** Run `zeek-anomalyd status --json` in a loop while the daemon runs, keeping every answer. */
  pollStatus?: boolean;
  /** Signal of the stops in `downs` (default: SIGTERM and kill -9 alternately). */
  stopSignal?: NodeJS.Signals;
}

export interface ScenarioResult {
  seed: number;
  layout: WriterLayout;
  expected: number;
  written: number;
  missing: number;
  twice: number;
  /** Lines equal to the offline ones, as multisets. */
  equal: boolean;
  rotations: number;
  detail: string;
  /** uid indexes in anomalies.log order (to check reading order). */
  order: number[];
  statuses: Record<string, unknown>[];
  site: Site;
  /** Wall time of each phase in ms: generate, train, firstStart, writing, finalCatchUp, stop, offlineScore. */
  phases: Record<string, number>;
}

interface Layout {
  livePath: string;
  archiveDir?: string;
  queueDir?: string;
  archives: string[];
}

function layoutOf(root: string, layout: WriterLayout): Layout {
  switch (layout) {
    case 'rename':
      return { livePath: join(root, 'spool', 'zeek', 'dce_rpc.log'), archives: [] };
    case 'zeekctl':
      return {
        livePath: join(root, 'spool', 'zeek', 'dce_rpc.log'),
        archiveDir: join(root, 'logs'),
        archives: [join(root, 'logs', '*', 'dce_rpc.*.log.gz')],
      };
    case 'supervisor':
      return {
        livePath: join(root, 'spool', 'logger-1', 'dce_rpc.log'),
        queueDir: join(root, 'spool', 'logger-1', 'log-queue'),
        archiveDir: join(root, 'archive'),
        archives: [join(root, 'spool', 'logger-1', 'log-queue', 'dce_rpc__*.log'), join(root, 'archive', '*', 'dce_rpc.*.log.gz')],
      };
    case 'logrotate':
      return { livePath: join(root, 'zeek', 'dce_rpc.log'), archives: [join(root, 'zeek', 'dce_rpc.log.*')] };
  }
}

/** `zeek-anomalyd status --json` for the site, run as a user would (null if it failed). */
function statusJson(site: Site): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'status', '-c', site.iniPath, '--json'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('exit', (code) => {
      try {
        resolve(code === 0 ? (JSON.parse(out) as Record<string, unknown>) : null);
      } catch {
        resolve(null);
      }
    });
  });
}

/** The writer process; resolves `done` when it has written everything and archived the rest. */
class WriterProcess {
  rotations = 0;
  records = 0;
  readonly done: Promise<void>;
  #stderr = '';

  constructor(options: WriterOptions) {
    const child = spawn(process.execPath, [WRITER, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        const event = JSON.parse(part) as { event: string; rotations: number; records: number };
        this.rotations = event.rotations;
        this.records = event.records;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString('utf8')));
    this.done = new Promise((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`zeek-writer exited ${code}: ${this.#stderr}`)))),
    );
  }
}

/** Runs one scenario to the end and compares the result with the offline score. */
export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const phases: Record<string, number> = {};
  let phaseStart = performance.now();
  const phase = (name: string): void => {
    const now = performance.now();
    phases[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };
  const site = makeSite(options.root);
  const layout = layoutOf(options.root, options.layout);
  site.livePath = layout.livePath;
  const corpus = makeCorpus(site.root, options.records, 1000 + options.seed);
  phase('generate');
  const overrides: Record<string, Record<string, string | null>> = { input: { paths: layout.livePath } };
  if (options.withArchives !== false && layout.archives.length > 0) {
    (overrides.input as Record<string, string>).archives = layout.archives.join(', ');
  }
  let model: { path: string } | null = null;
  let liveRecords = corpus.records;
  if (options.bootstrap === true) {
    // Last week's archive, where the layout keeps archives (or beside the spool for rename).
    const seedArchive = join(site.root, 'seed', 'dce_rpc.2025-12-29-00-00-00.log');
    mkdirSync(dirname(seedArchive), { recursive: true });
    writeFileSync(seedArchive, corpus.header + corpus.records.slice(0, 10_000).join('\n') + '\n');
    liveRecords = corpus.records.slice(10_000);
    const key = options.withArchives === false ? 'bootstrap' : 'archives';
    const input = overrides.input as Record<string, string>;
    input[key] = [seedArchive, ...(input.archives === undefined ? [] : [input.archives])].join(', ');
    overrides.training = { min_rows: '200', sample_every: '20' };
    writeIni(site, corpus, overrides);
  } else {
    writeIni(site, corpus, overrides);
    model = installModel(site, corpus, corpus.records.slice(0, Math.min(10_000, corpus.records.length)));
  }
  phase('train');
  const recordsFile = join(site.root, 'records.txt');
  writeFileSync(recordsFile, liveRecords.join('\n') + '\n');
  const headerLines = corpus.header.split('\n');
  const referenceDir = join(site.root, 'reference');
  const random = seededRandom(options.seed * 7919 + 1);

  // A new install: the daemon is running (and has saved its first progress) before Zeek writes.
  let daemon = new DaemonProcess(site);
  const logs: string[] = [];
  await waitFor('the first progress save', () => readProgress(site) !== null, 60_000);
  phase('firstStart');
  const writer = new WriterProcess({
    layout: options.layout,
    livePath: layout.livePath,
    ...(layout.archiveDir === undefined ? {} : { archiveDir: layout.archiveDir }),
    ...(layout.queueDir === undefined ? {} : { queueDir: layout.queueDir }),
    recordsFile,
    fields: headerLines.find((l) => l.startsWith('#fields')) ?? '',
    types: headerLines.find((l) => l.startsWith('#types')) ?? '',
    perSecond: options.perSecond,
    rotateEveryMs: options.rotateEveryMs,
    seed: options.seed,
    referenceDir,
    ...(options.wallClockNames === true ? { wallClockNames: true } : {}),
  });
  let writing = true;
  const writerDone = writer.done.finally(() => (writing = false));
  const keep = (d: DaemonProcess, label: string): void => {
    logs.push(`--- ${label}`, ...d.lines.filter((l) => !/ stats /.test(l)));
  };

  const plan = options.interruptions;
  if (plan.kind === 'kills') {
    for (let kill = 0; kill < plan.count; kill += 1) {
      const delay = plan.minMs + random() * (plan.maxMs - plan.minMs);
      await sleep(delay);
      daemon.signal('SIGKILL');
      await daemon.exited;
      keep(daemon, `run ${kill} killed after ${Math.round(delay)} ms${writing ? '' : ' (writer done)'}`);
      daemon = new DaemonProcess(site);
    }
  } else {
    for (let down = 0; down < plan.times; down += 1) {
      // Let the daemon read for a while, then stop it for `rotations` rotations.
      await sleep(500 + random() * 1000);
      const signal = options.stopSignal ?? (down % 2 === 0 ? 'SIGTERM' : 'SIGKILL');
      daemon.signal(signal);
      await daemon.exited;
      keep(daemon, `run ${down} stopped by ${signal}`);
      const target = writer.rotations + plan.rotations;
      await waitFor('rotations while the daemon is down', () => writer.rotations >= target || !writing, 120_000);
      daemon = new DaemonProcess(site);
    }
  }
  const statuses: Record<string, unknown>[] = [];
  let polling = options.pollStatus === true;
  const poller = (async () => {
    while (polling) {
      const status = await statusJson(site);
      if (status !== null) statuses.push(status);
    }
  })();
  await writerDone;
  phase('writing');
  // Everything is written, so the reference is complete: with the model known from the start,
  // score it while the daemon does its final catch-up (the two phases took about as long).
  const referenceFiles = readdirSync(referenceDir).sort().map((name) => join(referenceDir, name));
  const offlineEarly = model === null ? null : offlineAnomaliesInBackground(site, model.path, referenceFiles);

  const total = writer.records;
  const explainShort = (): string => {
    const uids = liveAnomalies(site).map(uidOfAnomaly);
    return `seed ${options.seed} ${options.layout}: missing ${uidRanges(uids, corpus.records.length, 0)}; twice ${uidRanges(uids, corpus.records.length, 2)}`;
  };
  try {
    await waitFor(
      () => `records to reach ${total} (at ${readProgress(site)?.records}); ${explainShort()}\n${daemon.tail()}`,
      () => (readProgress(site)?.records ?? 0) >= total,
      90_000,
    ).catch(() => undefined);
    // Counted records can reach the total while a lost file was skipped; wait for the output too.
    await sleep(300);
    phase('finalCatchUp');
  } finally {
    polling = false;
    await poller;
    await daemon.terminate();
    keep(daemon, 'final run');
  }
  phase('stop');

  const live = liveAnomalies(site);
  const uids = live.map(uidOfAnomaly);
  let offline: string[];
  if (offlineEarly === null) {
    // Bootstrapped: the model is the one the daemon trained, known only now.
    const modelPath = join(site.stateDir, 'models', `${readFileSync(join(site.stateDir, 'models', 'current'), 'utf8').trim()}.json`);
    offline = offlineAnomalies(site, modelPath, referenceFiles);
  } else {
    const scored = await offlineEarly;
    if ('error' in scored) throw scored.error;
    offline = scored.lines;
  }
  phase('offlineScore');
  const { missing, twice } = missingAndTwice(uids, offline);
  const equal =
    live.length === offline.length &&
    (options.bootstrap === true
      ? JSON.stringify([...uids].sort()) === JSON.stringify(offline.map(uidOfAnomaly).sort())
      : JSON.stringify([...live].sort()) === JSON.stringify([...offline].sort()));
  return {
    seed: options.seed,
    layout: options.layout,
    expected: offline.length,
    written: live.length,
    missing,
    twice,
    equal,
    rotations: writer.rotations,
    detail: `${explainShort()}\n${logs.join('\n')}`,
    order: uids.map((uid) => Number(uid.slice(1))),
    statuses,
    site,
    phases,
  };
}
