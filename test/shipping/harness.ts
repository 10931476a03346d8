/**
 * Issue 18: real log shippers following anomalies.log while the daemon rotates it. The daemon
 * runs as a real process on a generated network where every record is an anomaly (the test
 * harness of test/daemon), a shipper runs as a foreground process with the config shipped in
 * config/, and forwards to a TCP listener this test owns on 127.0.0.1. What arrives is compared,
 * line by line, with what the offline `score` command writes for the same input.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after } from 'node:test';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import {
  DaemonProcess,
  installModel,
  makeCorpus,
  makeSite,
  runCli,
  readProgress,
  uidOf,
  uidRanges,
  waitFor,
  writeIni,
  ZeekWriter,
} from '../daemon/harness.js';

/** Where .ci/run (test/shipping/install-shippers.sh) unpacks the shippers. */
const CACHE = process.env.ZAD_CI_CACHE ?? '/var/cache/zeek-anomalyd-ci';
const NOBODY = 65534;

/**
 * Whether a shipper that cannot run fails the test instead of skipping it: with
 * ZAD_SHIPPER_TEST=require, or in CI as root (where .ci/run has installed them).
 */
export function shippersRequired(): boolean {
  return process.env.ZAD_SHIPPER_TEST === 'require' || (process.env.CI === 'true' && process.getuid?.() === 0);
}

/** How to start one shipper on a config file. */
export interface ShipperCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** A shipper binary found on this machine, with what it needs to run from where it is. */
export interface LocatedShipper {
  binary: string;
  env: NodeJS.ProcessEnv;
  extraArgs: string[];
}

/** A shipper under test: where its config lives and how it is started. */
export interface Shipper {
  name: string;
  /** The shipped config, repo-relative. */
  configFile: string;
  /** The command, or why it cannot run here. */
  locate(): LocatedShipper | string;
  /** Writes the main config around the (adapted) shipped one; returns the arguments. */
  prepare(workDir: string, snippetPath: string, located: LocatedShipper): string[];
}

function firstExisting(paths: readonly string[]): string | null {
  return paths.find((path) => existsSync(path)) ?? null;
}

export const RSYSLOG: Shipper = {
  name: 'rsyslog',
  configFile: 'config/rsyslog-anomalies.conf',
  locate() {
    const root = join(CACHE, 'shippers', 'rsyslog');
    const binary = firstExisting([process.env.ZAD_RSYSLOGD ?? '', join(root, 'usr/sbin/rsyslogd'), '/usr/sbin/rsyslogd']);
    if (binary === null) return `rsyslogd not found (run test/shipping/install-shippers.sh as root, or set ZAD_RSYSLOGD)`;
    // The unpacked package keeps its modules beside it; an installed one finds its own.
    const moduleDir = binary.startsWith(root) ? firstExisting([join(root, 'usr/lib/x86_64-linux-gnu/rsyslog'), join(root, 'usr/lib/aarch64-linux-gnu/rsyslog')]) : null;
    return { binary, env: {}, extraArgs: moduleDir === null ? [] : ['-M', moduleDir] };
  },
  prepare(workDir, snippetPath) {
    const main = join(workDir, 'rsyslog.conf');
    writeFileSync(
      main,
      [
        `global(workDirectory="${workDir}" maxMessageSize="64k")`,
        `include(file="${snippetPath}")`,
        '',
      ].join('\n'),
    );
    return ['-n', '-f', main, '-i', join(workDir, 'rsyslogd.pid')];
  },
};

export const SYSLOG_NG: Shipper = {
  name: 'syslog-ng',
  configFile: 'config/syslog-ng-anomalies.conf',
  locate() {
    const root = join(CACHE, 'shippers', 'syslog-ng-core');
    const binary = firstExisting([process.env.ZAD_SYSLOG_NG ?? '', join(root, 'usr/sbin/syslog-ng'), '/usr/sbin/syslog-ng']);
    if (binary === null) return `syslog-ng not found (run test/shipping/install-shippers.sh as root, or set ZAD_SYSLOG_NG)`;
    if (!binary.startsWith(root)) return { binary, env: {}, extraArgs: [] };
    const lib = join(root, 'usr/lib/syslog-ng');
    const modules = readdirSync(lib).filter((name) => /^\d+\.\d+$/.test(name));
    if (modules.length === 0) return `no module directory under ${lib}`;
    return { binary, env: { LD_LIBRARY_PATH: lib }, extraArgs: [`--module-path=${join(lib, modules[0] as string)}`] };
  },
  prepare(workDir, snippetPath, located) {
    const main = join(workDir, 'syslog-ng.conf');
    // The config must declare the running version, or syslog-ng runs it in compatibility mode.
    const versionText = spawnSync(located.binary, ['--version'], { env: { ...process.env, ...located.env }, encoding: 'utf8' }).stdout;
    const version = /syslog-ng \d+ \((\d+\.\d+)/.exec(versionText)?.[1] ?? '3.38';
    writeFileSync(main, [`@version: ${version}`, 'options { stats-freq(0); };', `@include "${snippetPath}"`, ''].join('\n'));
    return [
      '-F',
      '-e',
      '--no-caps',
      `--cfgfile=${main}`,
      `--persist-file=${join(workDir, 'syslog-ng.persist')}`,
      `--pidfile=${join(workDir, 'syslog-ng.pid')}`,
      `--control=${join(workDir, 'syslog-ng.ctl')}`,
    ];
  },
};

/** One received line and when it arrived (performance.now()). */
interface Arrival {
  line: string;
  at: number;
}

/** A line-framed TCP listener on 127.0.0.1 that keeps every line with its arrival time. */
export class LineReceiver {
  readonly arrivals: Arrival[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  connections = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async listen(): Promise<LineReceiver> {
    const server = createServer();
    const receiver = new LineReceiver(server);
    server.on('connection', (socket) => receiver.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('receiver: not listening');
    return address.port;
  }

  #accept(socket: Socket): void {
    this.connections += 1;
    this.#sockets.add(socket);
    let partial = '';
    socket.on('data', (chunk: Buffer) => {
      const at = performance.now();
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.arrivals.push({ line, at });
    });
    // A connection closed mid-line leaves a torn line: keep it, so the test sees it.
    socket.on('close', () => {
      if (partial !== '') this.arrivals.push({ line: partial, at: performance.now() });
      this.#sockets.delete(socket);
    });
    socket.on('error', () => undefined);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A shipper as a foreground child process; its output kept for failure messages. */
class ShipperProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv, uid: number | undefined) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, ...(uid === undefined ? {} : { uid, gid: uid }) });
    after(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    });
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** The shipped config adapted to a test site: its paths, and our receiver's port. */
export function adaptConfig(text: string, outDir: string, port: number): string {
  const adapted = text.replaceAll('/var/log/zeek-anomalyd', outDir).replaceAll('5170', String(port));
  if (adapted === text) throw new Error('shipping: the shipped config names neither /var/log/zeek-anomalyd nor port 5170');
  return adapted;
}

/** Settings of one shipping run. */
export interface ScenarioOptions {
  /** Own rotations of anomalies.log to wait for before the input ends. */
  rotations: number;
  /** Records written to dce_rpc.log per second (each becomes an anomaly). */
  perSecond: number;
  /** Records the model is trained on before the run (not written live). */
  trainingRecords: number;
  /** Generator seed of the network. */
  seed: number;
  /** Seed of when the move and the delete happen (which rotation, how far into the second). */
  eventSeed: number;
  /** `[output] format`: JSON lines, or Zeek TSV (whose `#` header lines the shipper must drop). */
  format: 'json' | 'zeek';
}

/** What a shipping run measured. */
export interface ScenarioReport {
  shipper: string;
  format: 'json' | 'zeek';
  written: number;
  expectedLines: number;
  received: number;
  missing: number;
  duplicated: number;
  /** Received lines that are no expected anomaly line (torn, merged or altered). */
  foreign: string[];
  rotations: number;
  logrotateMoves: number;
  deletes: number;
  connections: number;
  /** Seconds from writing the last record to dce_rpc.log until its anomaly arrived. */
  lastArrivalS: number | null;
  /** Median and worst of the same for every anomaly. */
  medianArrivalS: number | null;
  maxArrivalS: number | null;
  wallS: number;
  /** When the logrotate move and the delete happened (record indexes). */
  events: string[];
  /** Where the missing and duplicated records were (ranges of record indexes). */
  missingRanges: string;
  duplicatedRanges: string;
  shipperOutput: string;
}

/** mulberry32: a small seeded PRNG, so a run's event timing can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function uidOfLine(line: string): string | null {
  // A TSV record (format = zeek): the uid is the second column; header lines have none.
  if (!line.startsWith('{')) return line.startsWith('#') ? null : (line.split('\t')[1] ?? null);
  try {
    const uid = (JSON.parse(line) as { uid?: unknown }).uid;
    return typeof uid === 'string' ? uid : null;
  } catch {
    // Not JSON: a torn or merged line; the caller counts it as foreign.
    return null;
  }
}

/**
 * The scenario of issue 18: the daemon writes an anomaly for every record while it rotates
 * anomalies.log every second; after a third to a half of the rotations a logrotate-style move
 * (anomalies.log → anomalies.log.1) plus SIGHUP, after two thirds to five sixths the live
 * anomalies.log is deleted, each hitting a file at least 400 to 700 ms old (drawn from `eventSeed`); the
 * shipper forwards throughout. Ends when the shipper has delivered everything it
 * will (it is stopped after the daemon), so a late duplicate is counted too.
 */
export async function runShippingScenario(shipper: Shipper, located: LocatedShipper, options: ScenarioOptions): Promise<ScenarioReport> {
  const started = performance.now();
  const site = makeSite(tempDir('zeek-anomalyd-shipping-'));
  const asRoot = process.getuid?.() === 0;
  // The shipper reads what the daemon writes, as an unprivileged user when we are root.
  chmodSync(site.root, 0o755);
  mkdirSync(site.outDir, { recursive: true, mode: 0o755 });
  const workDir = join(site.root, 'shipper');
  mkdirSync(workDir, { mode: 0o755 });
  if (asRoot) chownSync(workDir, NOBODY, NOBODY);

  const total = options.trainingRecords + Math.ceil(options.perSecond * (options.rotations + 30));
  const corpus = makeCorpus(site.root, total, options.seed);
  writeIni(site, corpus, { output: { rotate_interval: '1s', format: options.format } });
  const model = installModel(site, corpus, corpus.records.slice(0, options.trainingRecords));
  const live = corpus.records.slice(options.trainingRecords);

  const receiver = await LineReceiver.listen();
  after(() => receiver.close());
  const snippet = join(workDir, `${shipper.name}-anomalies.conf`);
  // ZAD_SHIPPER_CONFIG_<NAME> tries another config than the shipped one (for investigating a shipper).
  const configFile = process.env[`ZAD_SHIPPER_CONFIG_${shipper.name.toUpperCase().replace(/-/g, '_')}`] ?? join(repoRoot, shipper.configFile);
  writeFileSync(snippet, adaptConfig(readFileSync(configFile, 'utf8'), site.outDir, receiver.port));
  const args = [...located.extraArgs, ...shipper.prepare(workDir, snippet, located)];
  const shipperProcess = new ShipperProcess(located.binary, args, located.env, asRoot ? NOBODY : undefined);

  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/started|scoring with|model in use/);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  const writtenAt = new Map<string, number>();
  const rotations = (): number => daemon.lines.filter((line) => line.includes('anomalies.log rotated')).length;
  const anomaliesLog = join(site.outDir, 'anomalies.log');
  let logrotateMoves = 0;
  let deletes = 0;
  const events: string[] = [];
  let written = 0;
  const chunk = Math.max(1, Math.round(options.perSecond / 10));
  const writeStarted = performance.now();
  // The file now at the path and when this loop first saw it there.
  const current = { ino: -1, seenAt: 0 };
  // Which rotation the move and the delete follow, and how old the file must be then (ms), from the seed.
  const random = seededRandom(options.eventSeed);
  const third = Math.max(1, Math.floor(options.rotations / 3));
  const moveAfter = { rotation: third + Math.floor(random() * third * 0.5), ageMs: 400 + Math.floor(random() * 300) };
  const deleteAfter = { rotation: 2 * third + Math.floor(random() * third * 0.5), ageMs: 400 + Math.floor(random() * 300) };
  const inodeAtPath = (): number | null => {
    try {
      return statSync(anomaliesLog).ino;
    } catch {
      // Between the daemon's rename and its next write there is no file at the path.
      return null;
    }
  };
  while (rotations() < options.rotations || logrotateMoves === 0 || deletes === 0) {
    if (!shipperProcess.running) throw new Error(`${shipper.name} exited early:\n${shipperProcess.output.join('\n')}`);
    if (written >= live.length) throw new Error(`ran out of records after ${rotations()} rotations\n${daemon.tail()}`);
    const lines = live.slice(written, written + chunk);
    writer.append(lines);
    const now = performance.now();
    for (let i = 0; i < lines.length; i++) writtenAt.set(uidOf(options.trainingRecords + written + i), now);
    written += lines.length;
    const done = rotations();
    const ino = inodeAtPath();
    if (ino !== current.ino) Object.assign(current, { ino: ino ?? -1, seenAt: now });
    // The move and the delete hit a file that has been at the path for a while, not one the
    // daemon created a moment ago: a shipper opens a new file some time after it appears
    // (syslog-ng's file() up to one follow-freq later), and no shipper can read a file moved or
    // deleted before it opened it. docs/operations.md states this limit. The age is measured
    // from when this loop first saw the file, so it is at least that old.
    const ageMs = current.ino === -1 ? -1 : now - current.seenAt;
    const isDue = (event: { rotation: number; ageMs: number }): boolean =>
      current.ino !== -1 && done >= event.rotation && ageMs >= event.ageMs && inodeAtPath() === current.ino;
    if (logrotateMoves === 0 && isDue(moveAfter)) {
      // logrotate's default (create-less) rename, then its postrotate `kill -HUP`.
      renameSync(anomaliesLog, `${anomaliesLog}.1`);
      daemon.signal('SIGHUP');
      logrotateMoves += 1;
      events.push(`logrotate move + SIGHUP after rotation ${done} of a file ${Math.round(ageMs)} ms old, after record ${written - 1}`);
    } else if (deletes === 0 && logrotateMoves > 0 && isDue(deleteAfter)) {
      unlinkSync(anomaliesLog);
      deletes += 1;
      events.push(`delete after rotation ${done} of a file ${Math.round(ageMs)} ms old, after record ${written - 1}`);
    }
    const due = writeStarted + (written / options.perSecond) * 1000;
    await sleep(Math.max(0, due - performance.now()));
  }
  const lastUid = uidOf(options.trainingRecords + written - 1);
  writer.close();

  const expectedLines = written;
  await waitFor(
    () => `the daemon to score ${written} records\n${daemon.tail()}`,
    () => (readProgress(site)?.records ?? 0) >= written,
    60_000,
  );
  // Wait for the shipper to deliver what it can; missing lines are reported, not waited for forever.
  await waitFor(
    () => 'all anomalies at the receiver',
    () => new Set(receiver.arrivals.map((a) => uidOfLine(a.line))).size >= expectedLines,
    30_000,
  ).catch(() => undefined);
  const stop = await daemon.terminate();
  if (stop.code !== 0) throw new Error(`daemon exited ${String(stop.code)}\n${daemon.tail()}`);
  // Stopped after the daemon: whatever it still sends (a late duplicate too) is counted.
  await sleep(1000);
  await shipperProcess.stop();
  await receiver.close();

  // What `score` writes for the same input, header lines left out: the shipper drops them.
  const offline = join(site.root, 'offline-anomalies.log');
  runCli(['score', '-c', site.iniPath, '-m', model.path, '-o', offline, '--format', options.format, '--json', site.livePath], { allowExit: [0, 1] });
  const expected = readFileSync(offline, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  const expectedSet = new Set(expected);
  const uids: string[] = [];
  const foreign: string[] = [];
  const latencies: number[] = [];
  let lastArrival: number | null = null;
  for (const { line, at } of receiver.arrivals) {
    const uid = expectedSet.has(line) ? uidOfLine(line) : null;
    if (uid === null) {
      foreign.push(line);
      continue;
    }
    uids.push(uid);
    const wroteAt = writtenAt.get(uid);
    if (wroteAt !== undefined) latencies.push((at - wroteAt) / 1000);
    if (uid === lastUid && lastArrival === null && wroteAt !== undefined) lastArrival = (at - wroteAt) / 1000;
  }
  latencies.sort((a, b) => a - b);
  const counts = new Map<string, number>();
  for (const uid of uids) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  let missing = 0;
  let duplicated = 0;
  for (let i = options.trainingRecords; i < options.trainingRecords + written; i++) {
    const n = counts.get(uidOf(i)) ?? 0;
    if (n === 0) missing += 1;
    if (n > 1) duplicated += 1;
  }
  const ranges = (times: number): string => {
    const shifted = uids.map((uid) => uidOf(Number(uid.slice(1)) - options.trainingRecords));
    return times === 2
      ? [2, 3, 4].map((n) => uidRanges(shifted, written, n)).filter((r) => r !== '(none)').join('; ') || '(none)'
      : uidRanges(shifted, written, times);
  };
  return {
    shipper: shipper.name,
    format: options.format,
    written,
    expectedLines: expected.length,
    received: receiver.arrivals.length,
    missing,
    duplicated,
    foreign,
    rotations: rotations(),
    logrotateMoves,
    deletes,
    connections: receiver.connections,
    lastArrivalS: lastArrival,
    medianArrivalS: quantile(latencies, 0.5),
    maxArrivalS: quantile(latencies, 1),
    wallS: (performance.now() - started) / 1000,
    events,
    missingRanges: ranges(0),
    duplicatedRanges: ranges(2),
    shipperOutput: shipperProcess.output.slice(-20).join('\n'),
  };
}
