/**
 * Issue #15 items 6 and 8: check-config (and so the daemon, which loads the INI the same way)
 * refuses what the daemon would fail on or misbehave with: output inside an input glob, an
 * infinite number, an address that is not one, an empty INI, a state directory under a file or
 * on a read-only mount. Each refusal names FILE:LINE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ownOutputMatchedBy, parseConfigText } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = join(repoRoot, 'build', 'src', 'cli.js');
const dir = tempDir();

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function problemsOf(text: string): ConfigProblem[] {
  try {
    parseConfigText(text, 'test.ini');
  } catch (error) {
    return ((error as { meta?: { problems?: ConfigProblem[] } }).meta?.problems ?? []).filter((p) => p.severity === 'error');
  }
  return [];
}

void test('output directory matched by an input glob is refused, with the line of paths', () => {
  const problems = problemsOf(`[input]\nstate_directory = ${dir}/state\npaths = ${dir}/logs/*.log\n[output]\ndirectory = ${dir}/logs\n`);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]?.key, 'input.paths');
  assert.equal(problems[0]?.line, 3);
  assert.match(problems[0]?.message ?? '', /own output .*anomalies\.log/);
  assert.equal(ownOutputMatchedBy('/d/*', '/d/'), '/d/anomalies.log');
  assert.equal(ownOutputMatchedBy('/d/anomalies.*.log', '/d'), '/d/anomalies.2026-01-01-00-00-00.log');
  assert.equal(ownOutputMatchedBy('/d/dce_rpc*.log', '/d'), null);
  assert.equal(ownOutputMatchedBy('/d/*/dce_rpc.log', '/d'), null);
  assert.equal(ownOutputMatchedBy('/d/*.log', '/e'), null);
});

void test('the state directory as output directory is refused', () => {
  const problems = problemsOf(`[input]\nstate_directory = ${dir}/same\n[output]\ndirectory = ${dir}/same/\n`);
  assert.deepEqual(problems.map((p) => [p.key, p.line]), [['output.directory', 4]]);
});

void test('min_support = 1e309 (Infinity) and listen = 999.0.0.1:9464 are errors, not values or warnings', () => {
  const problems = problemsOf('[scoring]\nmin_support = 1e309\n[metrics]\nenabled = true\nlisten = 999.0.0.1:9464\n');
  assert.deepEqual(problems.map((p) => [p.key, p.line]), [['scoring.min_support', 2], ['metrics.listen', 5]]);
  assert.match(problems[0]?.message ?? '', /too large/);
  assert.match(problems[1]?.message ?? '', /not an IP address/);
  assert.deepEqual(problemsOf('[metrics]\nlisten = bad_host!:9464\n').map((p) => p.key), ['metrics.listen']);
  assert.deepEqual(problemsOf('[metrics]\nlisten = localhost:9464\n'), []);
  assert.deepEqual(problemsOf('[metrics]\nlisten = metrics.example.org:9464\n'), []);
});

void test('check-config refuses an empty INI and a state directory under a regular file', () => {
  const empty = join(dir, 'empty.ini');
  writeFileSync(empty, '\n; nothing here\n');
  const refusedEmpty = cli('check-config', '-c', empty);
  assert.equal(refusedEmpty.status, 78, refusedEmpty.stdout);
  assert.match(refusedEmpty.stdout, /no \[section\]/);
  const underFile = join(dir, 'under-file.ini');
  writeFileSync(underFile, `[input]\npaths = ${dir}/in/*.log\nstate_directory = /etc/passwd/state\n[output]\ndirectory = ${dir}/out\n`);
  const refused = cli('check-config', '-c', underFile);
  assert.equal(refused.status, 78, refused.stdout + refused.stderr);
  assert.match(refused.stdout, new RegExp(`^${underFile}:3: input\\.state_directory: .*/etc/passwd is not a directory`, 'm'));
  // The daemon refuses the empty file the same way, before it touches anything.
  const daemon = cli('run', '-c', empty);
  assert.equal(daemon.status, 78, daemon.stderr);
});

void test('check-config refuses an output directory on a read-only mount', { skip: process.getuid?.() === 0 ? false : 'needs root to mount a read-only tmpfs' }, () => {
  const mountPoint = join(dir, 'ro');
  mkdirSync(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint]);
  if (mounted.status !== 0) return;
  try {
    const ini = join(dir, 'ro.ini');
    writeFileSync(ini, `[input]\npaths = ${dir}/in/*.log\nstate_directory = ${dir}/state\n[output]\ndirectory = ${mountPoint}/anomalies\n`);
    const result = cli('check-config', '-c', ini);
    assert.equal(result.status, 78, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^${ini}:5: output\\.directory: .*not writable .*\\(EROFS\\)`, 'm'));
  } finally {
    spawnSync('umount', ['-l', mountPoint]);
  }
});

void test('the daemon refuses output = input at start (exit 78), it never scores its own anomalies', () => {
  const ini = join(dir, 'loop.ini');
  writeFileSync(ini, `[input]\npaths = ${dir}/loop/*.log\nstate_directory = ${dir}/loop-state\n[output]\ndirectory = ${dir}/loop\n`);
  const result = cli('run', '-c', ini);
  assert.equal(result.status, 78, result.stdout + result.stderr);
  assert.match(result.stderr + result.stdout, /own output/);
});

void test('[output] flush_interval, which did nothing, is gone: an old INI that sets it loads with a FILE:LINE warning saying so (issue #15 item 11)', () => {
  const ini = join(dir, 'old-flush.ini');
  writeFileSync(ini, `[input]\npaths = ${dir}/in/*.log\nstate_directory = ${dir}/flush-state\n[output]\ndirectory = ${dir}/flush-out\nflush_interval = 200ms\n`);
  const result = cli('check-config', '-c', ini);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, new RegExp(`${ini.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: .*flush_interval was removed and has no effect`));
  // Not offered to new installs either.
  const docs = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
  const example = readFileSync(join(repoRoot, 'config', 'zeek-anomalyd.ini'), 'utf8');
  assert.doesNotMatch(docs, /flush_interval/);
  assert.doesNotMatch(example, /flush_interval/);
  assert.equal(existsSync(join(repoRoot, 'src', 'sink', 'batching-queue.ts')), false);
});
