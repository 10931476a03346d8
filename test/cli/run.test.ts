/**
 * `zeek-anomalyd run` ends with the registry's exit statuses (docs/errors.md): 2 for a bad command
 * line, 78 for an invalid INI, 1 when the daemon cannot start (so that systemd tries again), 0 for a
 * stop asked for while it starts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { CLI, DaemonProcess, makeCorpus, makeSite, writeIni } from '../daemon/harness.js';

function runDaemon(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

void test('run: a bad option is a usage error (exit 2, with the usage text)', () => {
  const result = spawnSync(process.execPath, [CLI, 'run', '--bogus'], { encoding: 'utf8' });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /^zeek-anomalyd run: Unknown option '--bogus'/);
  assert.match(result.stderr, /usage: zeek-anomalyd run/);
});

void test('run: an invalid INI is exit 78 and lists the problem with its line', () => {
  const dir = tempDir();
  const ini = join(dir, 'bad.ini');
  writeFileSync(ini, '[model]\nk = many\n');
  const result = spawnSync(process.execPath, [CLI, 'run', '-c', ini], { encoding: 'utf8' });
  assert.equal(result.status, 78, result.stderr);
  assert.match(result.stderr, /bad\.ini:2: model\.k/);
});

void test('run: a second daemon on a state directory in use cannot start: exit 1, ERR_DAEMON_START with the cause', async () => {
  const site = makeSite(tempDir());
  writeIni(site, makeCorpus(site.root, 200, 3));
  const first = new DaemonProcess(site);
  await first.waitForLine(/started/);
  const second = await runDaemon(['-c', site.iniPath]);
  assert.equal(second.status, 1, second.output);
  assert.match(second.output, /cannot start: state: .* is in use by another daemon \(pid \d+\)/);
  assert.match(second.output, /ERR_DAEMON_START/);
  assert.match(second.output, /ERR_STATE/);
  const stop = await first.terminate();
  assert.equal(stop.code, 0);
});

void test('run: SIGHUP, then SIGTERM (twice), during start-up, while a bootstrap training runs: a clean stop, exit 0', { timeout: 120_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 20_000, 5);
  const archive = join(site.liveDir, 'dce_rpc.2026-12-01-00-00-00.log');
  writeFileSync(archive, corpus.header + corpus.records.join('\n') + '\n');
  // No model: start() fills the window from the archive and trains before it follows anything.
  writeIni(site, corpus, { input: { archives: archive }, training: { sample_every: '1' }, model: { n_init: '4' } });
  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/bootstrap: training window filled/, 60_000);
  // A reload has nothing to swap yet (no scheduler, the INI just read): it is ignored, not a crash.
  daemon.signal('SIGHUP');
  daemon.signal('SIGTERM');
  daemon.signal('SIGTERM');
  const exit = await daemon.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, daemon.tail());
  assert.ok(daemon.lines.some((line) => /SIGTERM: draining and stopping/.test(line)), daemon.tail());
  assert.ok(daemon.lines.some((line) => /\bstopped\b/.test(line)), daemon.tail());
  // The state directory is free again: the next start takes the lock and runs.
  const next = new DaemonProcess(site);
  assert.equal((await next.terminate()).code, 0, next.tail());
});
