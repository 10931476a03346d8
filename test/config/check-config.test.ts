import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = join(repoRoot, 'build', 'src', 'cli.js');
const dir = tempDir();

function checkConfig(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'check-config', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', STATE_DIRECTORY: '/var/lib/private/zad' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

void test('a good file exits 0 with an ok summary, and lists its warnings', () => {
  const path = join(dir, 'good.ini');
  writeFileSync(path, '[metrics]\nenabled = true\nlisten = 0.0.0.0:9464\n[ip_groups]\nhr = 10.2.0.0/16\n');
  const result = checkConfig('-c', path);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^${path}:3: warning: metrics\\.listen: `, 'm'));
  assert.match(result.stdout, new RegExp(`^ok: ${path} \\(1 ip group, 0 allow rules, 1 warning\\)$`, 'm'));
});

void test('a bad file exits 78 and lists every problem with its line', () => {
  const path = join(dir, 'bad.ini');
  const lines = ['[input]', 'poll_interval = 10s', '[model]', 'k = many', 'retrain_schedule = every night', '[nonsense]'];
  writeFileSync(path, lines.join('\n'));
  const result = checkConfig('--config', path);
  assert.equal(result.status, 78);
  const reported = result.stdout.trim().split('\n');
  assert.deepEqual(
    reported.map((line) => line.split(': ')[0]),
    [2, 4, 5, 6].map((line) => `${path}:${line}`),
  );
  assert.match(result.stderr, /4 errors/);
});

void test('a missing file exits 78; usage errors exit 2; --help exits 0', () => {
  const missing = checkConfig('-c', join(dir, 'absent.ini'));
  assert.equal(missing.status, 78);
  assert.match(missing.stdout, /cannot read the file \(ENOENT\)/);
  assert.equal(checkConfig('--frobnicate').status, 2);
  assert.equal(checkConfig('extra-positional').status, 2);
  const help = checkConfig('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: zeek-anomalyd check-config/);
});

void test('--print shows the effective config, env defaults included, and it loads back the same', () => {
  const path = join(dir, 'print.ini');
  const text = '[model]\nk = 9\n[allow.x]\nendpoint = samr\nreason = audit\n';
  writeFileSync(path, text);
  const result = checkConfig('-c', path, '--print');
  assert.equal(result.status, 0, result.stderr);
  const printed = result.stdout.slice(result.stdout.indexOf('\n') + 1);
  assert.match(printed, /^state_directory = \/var\/lib\/private\/zad$/m);
  const env = { STATE_DIRECTORY: '/var/lib/private/zad' };
  const expected = parseConfigText(text, path, env);
  const reloaded = parseConfigText(printed, path, {});
  assert.deepEqual(reloaded, expected);
});
