/**
 * Issue 6, end to end: the real daemon (`node build/src/cli.js run -c INI`) with `[metrics]
 * enabled` on a free loopback port, fed a small dce_rpc.log, is scraped over HTTP until its
 * counters account for every line written; then SIGTERM must stop it cleanly (exit 0). A port
 * already taken must cost the endpoint only, not the daemon.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';
import { parseExposition, sample } from './exposition.js';

const CLI = join(repoRoot, 'build', 'src', 'cli.js');
const SCRAPE_DEADLINE_MS = 20_000;

/** A port nobody listens on right now (the kernel's pick), released for the daemon to take. */
async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function scrape(url: string): Promise<Map<string, number> | null> {
  try {
    const response = await fetch(url);
    if (response.status !== 200) return null;
    return parseExposition(await response.text());
  } catch {
    return null; // not listening yet: the daemon serves metrics only once it is ready
  }
}

/** Writes a daemon INI for a learning daemon that trains after 200 records, metrics on `port`. */
function writeIni(root: string, livePath: string, port: number): string {
  const iniPath = join(root, 'daemon.ini');
  writeFileSync(
    iniPath,
    [
      '[input]',
      `paths = ${livePath}`,
      'poll_interval = 100ms',
      `state_directory = ${join(root, 'state')}`,
      '[training]',
      'sample_every = 1',
      'min_rows = 200',
      '[model]',
      'k = 4',
      'n_init = 1',
      'seed = 1',
      'retrain_schedule = 0 0 1 1 *',
      '[output]',
      `directory = ${join(root, 'out')}`,
      'rotate_interval = 0',
      '[metrics]',
      'enabled = true',
      `listen = 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  return iniPath;
}

/** The daemon as a child process, its stdout and stderr collected. */
interface RunningDaemon {
  output(): string;
  /** SIGTERM, then asserts a clean exit (0) within the unit's TimeoutStopSec (15 s). */
  terminate(): Promise<void>;
}

function startDaemon(iniPath: string): RunningDaemon {
  const child = spawn(process.execPath, [CLI, 'run', '-c', iniPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    output: () => output,
    async terminate() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killedAt = Date.now();
      const code = await exited;
      assert.equal(code, 0, `exit after SIGTERM\n${output}`);
      assert.ok(Date.now() - killedAt < 15_000, 'stopped within the unit\'s TimeoutStopSec=15s');
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

void it('the daemon serves its metrics on loopback and counts every line written', { timeout: 60_000 }, async () => {
  const root = tempDir('zeek-anomalyd-metrics-');
  const live = join(root, 'live');
  const livePath = join(live, 'dce_rpc.log');
  mkdirSync(live);
  const generated = join(root, 'generated.log');
  const rows = 600;
  const generate = spawnSync(process.execPath, [CLI, 'generate', '--rows', String(rows), '--seed', '11', '-o', generated], {
    encoding: 'utf8',
  });
  assert.equal(generate.status, 0, generate.stderr);
  const lines = readFileSync(generated, 'utf8').split('\n').filter((line) => line !== '');
  const header = lines.filter((line) => line.startsWith('#') && !line.startsWith('#close'));
  const records = lines.filter((line) => !line.startsWith('#'));
  assert.equal(records.length, rows);
  const malformed = ['this line is not a dce_rpc record', 'x\ty\tz'];

  const port = await freeLoopbackPort();
  const iniPath = writeIni(root, livePath, port);

  // Half before the start, half (with the malformed lines) while it runs.
  const half = Math.floor(rows / 2);
  writeFileSync(livePath, [...header, ...records.slice(0, half)].join('\n') + '\n');
  const daemon = startDaemon(iniPath);

  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    let samples: Map<string, number> | null = null;
    const deadline = Date.now() + SCRAPE_DEADLINE_MS;
    let appended = false;
    const done = (s: Map<string, number> | null): boolean =>
      s !== null &&
      s.get('zeek_anomalyd_records_total') === rows &&
      [...s.keys()].some((series) => series.startsWith('zeek_anomalyd_model_age_seconds{'));
    while (Date.now() < deadline) {
      samples = await scrape(url);
      if (samples !== null && !appended) {
        appendFileSync(livePath, [...records.slice(half, half + 10), ...malformed, ...records.slice(half + 10)].join('\n') + '\n');
        appended = true;
      }
      if (done(samples)) break;
      await sleep(100);
    }
    assert.ok(samples !== null, `the endpoint answered within ${SCRAPE_DEADLINE_MS} ms\n${daemon.output()}`);
    assert.ok(done(samples), `records_total reached ${rows} and a model was trained\n${[...samples].join('\n')}\n${daemon.output()}`);

    assert.equal(sample(samples, 'zeek_anomalyd_parse_errors_total'), malformed.length);
    assert.equal(sample(samples, `zeek_anomalyd_lag_bytes{path="${livePath}"}`), 0, 'caught up');
    assert.equal(sample(samples, 'zeek_anomalyd_training_duration_seconds_count{result="installed"}'), 1);
    const windowRows = sample(samples, 'zeek_anomalyd_window_rows');
    assert.ok(windowRows > 0 && windowRows <= rows, `window_rows ${windowRows}`);
    const reported = sample(samples, 'zeek_anomalyd_anomalies_total') + sample(samples, 'zeek_anomalyd_suppressed_total');
    assert.ok(reported <= rows);
    assert.ok(samples.has('zeek_anomalyd_process_resident_memory_bytes'), 'node default metrics, prefixed');
    assert.ok(samples.has('zeek_anomalyd_event_loop_delay_seconds{stat="p99"}'));
    const modelAge = [...samples].find(([series]) => series.startsWith('zeek_anomalyd_model_age_seconds{'));
    assert.ok(modelAge !== undefined && modelAge[1] >= 0 && modelAge[1] < 60, `model age ${String(modelAge)}`);

    const notFound = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(notFound.status, 404);
    await notFound.body?.cancel();
    assert.match(daemon.output(), new RegExp(`metrics endpoint listening.*port=${port}`));
  } finally {
    await daemon.terminate();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the endpoint is gone with the daemon');
});

void it('a metrics port already taken costs the endpoint, not the detection', { timeout: 60_000 }, async () => {
  const root = tempDir('zeek-anomalyd-metrics-busy-');
  const live = join(root, 'live');
  mkdirSync(live);
  const livePath = join(live, 'dce_rpc.log');
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  try {
    const address = squatter.address();
    assert.ok(address !== null && typeof address !== 'string');
    const daemon = startDaemon(writeIni(root, livePath, address.port));
    try {
      const started = await until(() => / started /.test(daemon.output()), 20_000);
      assert.ok(started, `the daemon started\n${daemon.output()}`);
      assert.match(daemon.output(), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${address.port}.*running without the metrics endpoint`));
    } finally {
      await daemon.terminate();
    }
  } finally {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  }
});
