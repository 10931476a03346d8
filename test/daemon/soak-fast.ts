/**
 * The fast-rotation soak (`soak.js --scenario fast`): rotations faster than the daemon catches up,
 * copytruncate and rename mixed at random (soak-fast-writer.ts), while the daemon is killed with
 * kill -9 at random instants and restarted after a random pause, all timing drawn from the seed.
 * As in sensor-scenario.ts the model is pinned and every record is an anomaly, so the final
 * anomalies.log compared with the offline score of every generation written shows each record
 * lost or written twice.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../helpers/shared.js';
import { seededRandom } from '../helpers/zeek-writer.js';
import type { FastWriterOptions } from './soak-fast-writer.js';
import {
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  missingAndTwice,
  offlineAnomalies,
  readProgress,
  uidOfAnomaly,
  uidRanges,
  waitFor,
  writeIni,
} from './harness.js';

const WRITER = join(repoRoot, 'build', 'test', 'daemon', 'soak-fast-writer.js');

export interface FastScenarioOptions {
  root: string;
  seed: number;
  /** @default 100_000 */
  records?: number;
  /** Mean write rate (bursts to 2×). @default 6000 */
  perSecond?: number;
  /** Mean interval between rotations (drawn from 0.2×–1.8×). @default 300 */
  rotateEveryMs?: number;
  /** @default 0.5 */
  copytruncateShare?: number;
  /** kill -9 this far apart (uniform), restarted after 0–maxDownMs. */
  killEveryMs?: { min: number; max: number };
  /** @default 800 */
  maxDownMs?: number;
}

export interface FastScenarioResult {
  seed: number;
  expected: number;
  written: number;
  missing: number;
  twice: number;
  equal: boolean;
  rotations: number;
  copytruncates: number;
  kills: number;
  detail: string;
}

export async function runFastScenario(options: FastScenarioOptions): Promise<FastScenarioResult> {
  const records = options.records ?? 100_000;
  const site = makeSite(options.root);
  site.livePath = join(options.root, 'zeek', 'dce_rpc.log');
  const corpus = makeCorpus(site.root, records, 1000 + options.seed);
  writeIni(site, corpus, { input: { paths: site.livePath } });
  const model = installModel(site, corpus, corpus.records.slice(0, Math.min(10_000, records)));
  const recordsFile = join(site.root, 'records.txt');
  writeFileSync(recordsFile, corpus.records.join('\n') + '\n');
  const headerLines = corpus.header.split('\n');
  const referenceDir = join(site.root, 'reference');
  const random = seededRandom(options.seed * 104729 + 3);

  let daemon = new DaemonProcess(site, { autoKill: false });
  await waitFor('the first progress save', () => readProgress(site) !== null, 60_000);
  const writerOptions: FastWriterOptions = {
    livePath: site.livePath,
    recordsFile,
    fields: headerLines.find((l) => l.startsWith('#fields')) ?? '',
    types: headerLines.find((l) => l.startsWith('#types')) ?? '',
    perSecond: options.perSecond ?? 6000,
    rotateEveryMs: options.rotateEveryMs ?? 300,
    copytruncateShare: options.copytruncateShare ?? 0.5,
    maxCompressDelayMs: 600,
    seed: options.seed,
    referenceDir,
  };
  const child = spawn(process.execPath, [WRITER, JSON.stringify(writerOptions)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let writerStderr = '';
  let partial = '';
  const written = { rotations: 0, records: 0, copytruncates: 0 };
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) Object.assign(written, JSON.parse(part) as Partial<typeof written>);
  });
  child.stderr.on('data', (chunk: Buffer) => (writerStderr += chunk.toString('utf8')));
  let writing = true;
  const writerDone = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => {
      writing = false;
      if (code === 0) resolve();
      else reject(new Error(`soak-fast-writer exited ${code}: ${writerStderr}`));
    }),
  );

  const logs: string[] = [];
  const keep = (d: DaemonProcess, label: string): void => {
    logs.push(`--- ${label}`, ...d.lines.filter((l) => !/ stats /.test(l)));
  };
  const every = options.killEveryMs ?? { min: 300, max: 1500 };
  const maxDownMs = options.maxDownMs ?? 800;
  let kills = 0;
  while (writing) {
    const delay = every.min + random() * (every.max - every.min);
    await Promise.race([sleep(delay), writerDone.catch(() => undefined)]);
    if (!writing) break;
    daemon.signal('SIGKILL');
    await daemon.exited;
    kills += 1;
    const down = random() * maxDownMs;
    keep(daemon, `run ${kills} killed after ${Math.round(delay)} ms, down ${Math.round(down)} ms`);
    await sleep(down);
    daemon = new DaemonProcess(site, { autoKill: false });
  }
  await writerDone;
  const total = written.records;
  const explainShort = (): string => {
    const uids = liveAnomalies(site).map(uidOfAnomaly);
    return `seed ${options.seed} fast: missing ${uidRanges(uids, records, 0)}; twice ${uidRanges(uids, records, 2)}`;
  };
  try {
    await waitFor(
      () => `records to reach ${total} (at ${readProgress(site)?.records}); ${explainShort()}\n${daemon.tail()}`,
      () => (readProgress(site)?.records ?? 0) >= total,
      120_000,
    ).catch(() => undefined);
    await sleep(300);
  } finally {
    await daemon.terminate();
    keep(daemon, 'final run');
  }
  const referenceFiles = readdirSync(referenceDir).sort().map((name) => join(referenceDir, name));
  const offline = offlineAnomalies(site, model.path, referenceFiles);
  const live = liveAnomalies(site);
  const { missing, twice } = missingAndTwice(live.map(uidOfAnomaly), offline);
  const equal = live.length === offline.length && JSON.stringify([...live].sort()) === JSON.stringify([...offline].sort());
  return {
    seed: options.seed,
    expected: offline.length,
    written: live.length,
    missing,
    twice,
    equal,
    rotations: written.rotations,
    copytruncates: written.copytruncates,
    kills,
    detail: `${explainShort()}\n${logs.join('\n')}`,
  };
}
