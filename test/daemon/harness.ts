/**
 * Test harness for the daemon end-to-end tests: a Zeek-like writer on real files, the daemon as a
 * real child process (`node build/src/cli.js run -c INI`), and the offline commands (`generate`,
 * `train`, `score`) as the reference the live output is compared with. Nothing is mocked.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after } from 'node:test';
import { repoRoot } from '../helpers/shared.js';

/** The compiled CLI every process in these tests runs. */
export const CLI = join(repoRoot, 'build', 'src', 'cli.js');

/** A generated dce_rpc log split into its header and its record lines (uids made unique). */
export interface Corpus {
  /** `#separator` … `#types` lines, each ending in a newline; `#open` included. */
  header: string;
  /** Record lines without their newline; the uid column of line i is `U` + i (zero-padded). */
  records: string[];
  /** The `[ip_groups]` INI fragment describing the generated network. */
  ipGroups: string;
}

/**
 * Generates `rows` records with the product's own seeded generator, then gives every record its
 * own uid, so that "which records were scored" is a set of uids and duplicates are visible.
 */
export function makeCorpus(dir: string, rows: number, seed = 7): Corpus {
  const log = join(dir, `generated-${rows}-${seed}.log`);
  const groups = join(dir, `ip-groups-${seed}.ini`);
  runCli(['generate', '--rows', String(rows), '--seed', String(seed), '-o', log, '--ip-groups', groups]);
  const lines = readFileSync(log, 'utf8').split('\n');
  const header: string[] = [];
  const records: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (records.length === 0) header.push(`${line}\n`);
      continue;
    }
    const fields = line.split('\t');
    fields[1] = uidOf(records.length);
    records.push(fields.join('\t'));
  }
  return { header: header.join(''), records, ipGroups: readFileSync(groups, 'utf8') };
}

/** The uid `makeCorpus` gave record `index`. */
export function uidOf(index: number): string {
  return `U${String(index).padStart(7, '0')}`;
}

/** Runs the CLI synchronously; throws with its stderr when the exit status is not 0. */
export function runCli(args: string[], options: { allowExit?: number[] } = {}): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const allowed = options.allowExit ?? [0];
  if (result.status === null || !allowed.includes(result.status)) {
    throw new Error(`zeek-anomalyd ${args.join(' ')} exited ${result.status ?? result.signal}: ${result.stderr}`);
  }
  return result.stdout;
}

/** Layout of one test's sensor: live log directory, state, output, INI. */
export interface Site {
  root: string;
  liveDir: string;
  livePath: string;
  stateDir: string;
  outDir: string;
  iniPath: string;
}

/** Sections/keys layered over the test defaults; a `null` value drops the key. */
export type IniOverrides = Record<string, Record<string, string | null>>;

/**
 * Writes an INI for `site`. Defaults: 100 ms polls, no scheduled retrain before next New Year,
 * `rule = rarity` with a threshold below any possible rarity, so EVERY scored record becomes an
 * anomaly line: the set of anomaly uids is then exactly the set of records the daemon scored.
 */
export function writeIni(site: Site, corpus: Corpus, overrides: IniOverrides = {}): void {
  const sections: IniOverrides = {
    input: { paths: site.livePath, poll_interval: '100ms', state_directory: site.stateDir },
    features: { fold_pipe_case: 'true', ip_group_fallback: 'label' },
    training: { min_rows: '100' },
    model: { k: '8', n_init: '1', seed: '1', retrain_schedule: '0 0 1 1 *' },
    scoring: { rule: 'rarity', rarity_threshold: '0.000001' },
    output: { directory: site.outDir, rotate_interval: '0' },
    logging: { stats_interval: '1s' },
  };
  for (const [section, keys] of Object.entries(overrides)) sections[section] = { ...sections[section], ...keys };
  const text = Object.entries(sections)
    .map(([section, keys]) => {
      const body = Object.entries(keys)
        .filter((entry): entry is [string, string] => entry[1] !== null)
        .map(([key, value]) => `${key} = ${value}`)
        .join('\n');
      return `[${section}]\n${body}\n`;
    })
    .join('\n');
  writeFileSync(site.iniPath, `${text}\n${corpus.ipGroups}`);
}

/** Creates the directories of a site under `root`. */
export function makeSite(root: string): Site {
  const site: Site = {
    root,
    liveDir: join(root, 'live'),
    livePath: join(root, 'live', 'dce_rpc.log'),
    stateDir: join(root, 'state'),
    outDir: join(root, 'out'),
    iniPath: join(root, 'daemon.ini'),
  };
  mkdirSync(site.liveDir, { recursive: true });
  return site;
}

/**
 * Trains a model offline on `records` with `zeek-anomalyd train` and installs it in the state
 * directory as the current model, the way an operator pins one. Returns the model file.
 */
export function installModel(site: Site, corpus: Corpus, records: readonly string[]): { path: string; modelId: string } {
  const training = join(site.root, 'training.log');
  writeFileSync(training, corpus.header + records.join('\n') + '\n');
  const modelFile = join(site.root, 'model.json');
  const summary = JSON.parse(runCli(['train', '-c', site.iniPath, '-o', modelFile, '--json', training])) as { model_id: string };
  const models = join(site.stateDir, 'models');
  mkdirSync(models, { recursive: true });
  writeFileSync(join(models, `${summary.model_id}.json`), readFileSync(modelFile));
  writeFileSync(join(models, 'current'), `${summary.model_id}\n`);
  return { path: modelFile, modelId: summary.model_id };
}

/** Anomaly lines the offline `score` command produces for `files` (in order) with `modelFile`. */
export function offlineAnomalies(site: Site, modelFile: string, files: readonly string[]): string[] {
  const { args, out } = offlineScore(site, modelFile, files);
  runCli(args, { allowExit: [0, 1] });
  return readOfflineOutput(out);
}

/**
 * offlineAnomalies without blocking the event loop, so a test can go on polling a daemon (its
 * final catch-up) while the reference is scored. Never rejects: a failure is the `error`.
 */
export function offlineAnomaliesInBackground(site: Site, modelFile: string, files: readonly string[]): Promise<{ lines: string[] } | { error: Error }> {
  const { args, out } = offlineScore(site, modelFile, files);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', (error) => resolve({ error }));
    child.on('close', (status, signal) => {
      if (status !== 0 && status !== 1) resolve({ error: new Error(`zeek-anomalyd ${args.join(' ')} exited ${status ?? signal}: ${stderr}`) });
      else resolve({ lines: readOfflineOutput(out) });
    });
  });
}

function offlineScore(site: Site, modelFile: string, files: readonly string[]): { args: string[]; out: string } {
  const out = join(site.root, `offline-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  return { args: ['score', '-c', site.iniPath, '-m', modelFile, '-o', out, '--format', 'json', '--json', ...files], out };
}

function readOfflineOutput(out: string): string[] {
  return readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
}

/** Complete lines of anomalies.log (JSON format). */
export function liveAnomalies(site: Site): string[] {
  const path = join(site.outDir, 'anomalies.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
}

/** Compact ranges ("12-40, 97") of record indexes whose uid is in `uids` `times` times (0: missing). */
export function uidRanges(uids: readonly string[], total: number, times: number): string {
  const counts = new Map<string, number>();
  for (const uid of uids) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  const ranges: string[] = [];
  let start = -1;
  for (let i = 0; i <= total; i += 1) {
    const hit = i < total && (counts.get(uidOf(i)) ?? 0) === times;
    if (hit && start < 0) start = i;
    if (!hit && start >= 0) {
      ranges.push(start === i - 1 ? String(start) : `${start}-${i - 1}`);
      start = -1;
    }
  }
  return ranges.join(', ') || '(none)';
}

/**
 * How the live anomalies (their uids) fall short of the offline ones: uids of `offline` never
 * written live, and live lines beyond the first for a uid.
 */
export function missingAndTwice(liveUids: readonly string[], offline: readonly string[]): { missing: number; twice: number } {
  const counts = new Map<string, number>();
  for (const uid of liveUids) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  let missing = 0;
  for (const uid of new Set(offline.map(uidOfAnomaly))) if (!counts.has(uid)) missing += 1;
  let twice = 0;
  for (const count of counts.values()) if (count > 1) twice += count - 1;
  return { missing, twice };
}

/** Uid of an anomaly JSON line. */
export function uidOfAnomaly(line: string): string {
  return (JSON.parse(line) as { uid: string }).uid;
}

/** The daemon's saved progress document (null before the first save). */
export interface SavedProgress {
  records: number;
  anomalies: number;
  parseErrors: number;
  modelId: string | null;
  savedAt: string;
}

export function readProgress(site: Site): SavedProgress | null {
  try {
    return JSON.parse(readFileSync(join(site.stateDir, 'progress.json'), 'utf8')) as SavedProgress;
  } catch {
    // Not written yet (ENOENT); the atomic writer never leaves a torn file.
    return null;
  }
}

/** Polls `predicate` every 50 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string | (() => string),
  predicate: () => T | null | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(50);
  }
}

/** The daemon as a child process, its stdout kept as lines. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #partial = '';

  /** `autoKill`: SIGKILL it after the current test if still running (off outside node:test). */
  /** `maxOpenFiles`: run it under that RLIMIT_NOFILE (prlimit), as systemd's LimitNOFILE= would. */
  /** `nodeOptions`: node flags before the CLI (e.g. the unit's `--max-old-space-size=768`). */
  constructor(site: Site, options: { autoKill?: boolean; maxOpenFiles?: number; nodeOptions?: string[] } = {}) {
    // Not under systemd: plain log lines, no notify socket, whatever the test runner's environment.
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of ['JOURNAL_STREAM', 'INVOCATION_ID', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete env[key];
    const command = [process.execPath, ...(options.nodeOptions ?? []), CLI, 'run', '-c', site.iniPath];
    // prlimit execs the command, so the child's pid is the daemon's.
    if (options.maxOpenFiles !== undefined) command.unshift('prlimit', `--nofile=${options.maxOpenFiles}:${options.maxOpenFiles}`, '--');
    this.child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    // A failed assertion must not leave a daemon running (it would also keep the test process alive).
    if (options.autoKill !== false) {
      after(() => {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      });
    }
    const collect = (chunk: Buffer): void => {
      const text = this.#partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first log line matching `pattern` (seen so far or later). */
  async waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return waitFor(() => `a daemon log line matching ${pattern}\n--- log:\n${this.tail()}`, () => this.lines.find((l) => pattern.test(l)), timeoutMs);
  }

  /** The last lines of the daemon's log, for failure messages. */
  tail(n = 30): string {
    return this.lines
      .filter((line) => !/^\S+\s+stats /.test(line))
      .slice(-n)
      .join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /**
   * Waits until the daemon is up (its `started` line) or gone, then SIGTERM and wait; returns the
   * exit code and how long the exit took. Waiting first matters: a SIGTERM in the process's first
   * moments, before its code has loaded, ends it by the signal (Node's default), whatever the
   * daemon does, and a test that found its condition already met (a progress document left
   * complete by the previous run) would otherwise send it there. A stop during start-up proper
   * is tested with signal() (test/cli/run.test.ts).
   */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    await waitFor(
      () => `the daemon to start before SIGTERM\n--- log:\n${this.tail()}`,
      () => this.child.exitCode !== null || this.child.signalCode !== null || this.lines.some((line) => /\bstarted\b/.test(line)),
      120_000,
    );
    const started = Date.now();
    this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, ms: Date.now() - started };
  }
}

/**
 * A Zeek-like writer: appends record lines to the live log, writes a fresh header whenever it
 * creates the file (lazily, on the first write after a rotation), and rotates Zeek style: write
 * `#close`, close, rename to `dce_rpc.<time>.log` in the same directory.
 */
export class ZeekWriter {
  readonly rotated: string[] = [];
  #fd: number | null = null;
  #linesInFile = 0;
  #rotations = 0;

  constructor(
    readonly livePath: string,
    readonly header: string,
  ) {}

  /** Appends `lines` in one write(2), opening the file with a header first if needed. */
  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.#fd === null) {
      this.#fd = openSync(this.livePath, 'a');
      writeSync(this.#fd, this.header);
      this.#linesInFile = 0;
    }
    writeSync(this.#fd, lines.join('\n') + '\n');
    this.#linesInFile += lines.length;
  }

  /** Appends raw text (e.g. a malformed line) to the open file. */
  appendRaw(text: string): void {
    if (this.#fd === null) {
      this.#fd = openSync(this.livePath, 'a');
      writeSync(this.#fd, this.header);
    }
    writeSync(this.#fd, text);
  }

  get linesInFile(): number {
    return this.#linesInFile;
  }

  /** Zeek-style rotation; the next append creates a new file. */
  rotate(): string {
    this.close(true);
    this.#rotations += 1;
    const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(this.#rotations).padStart(5, '0')}`;
    const target = this.livePath.replace(/\.log$/, `.${stamp}.log`);
    renameSync(this.livePath, target);
    this.rotated.push(target);
    return target;
  }

  /** Closes the file (optionally with Zeek's `#close` line). */
  close(withCloseLine = false): void {
    if (this.#fd === null) return;
    if (withCloseLine) writeSync(this.#fd, `#close\t${new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-')}\n`);
    closeSync(this.#fd);
    this.#fd = null;
    this.#linesInFile = 0;
  }

  /** Every file written so far, oldest first (rotated ones, then the live one if open). */
  files(): string[] {
    return [...this.rotated, ...(existsSync(this.livePath) ? [this.livePath] : [])];
  }
}

/** Writes `records` through `writer` at about `perSecond`, rotating every `rotateEvery` lines. */
export async function writePaced(
  writer: ZeekWriter,
  records: readonly string[],
  options: { perSecond: number; rotateEvery?: number; chunk?: number; onProgress?: (written: number) => void },
): Promise<void> {
  const chunk = options.chunk ?? 200;
  const started = performance.now();
  let written = 0;
  while (written < records.length) {
    let n = Math.min(chunk, records.length - written);
    if (options.rotateEvery !== undefined) n = Math.min(n, options.rotateEvery - writer.linesInFile);
    writer.append(records.slice(written, written + n));
    written += n;
    if (options.rotateEvery !== undefined && writer.linesInFile >= options.rotateEvery) writer.rotate();
    options.onProgress?.(written);
    const due = started + (written / options.perSecond) * 1000;
    const wait = due - performance.now();
    await sleep(Math.max(0, wait));
  }
}
