/**
 * Issue #15 item 10: terminal escapes from the data (`\x1b[2J`, OSC titles) reached the terminal
 * through `model show` and the daemon's log, and a refused INI echoed raw binary bytes. Every
 * control character is now written as a visible escape on the way to a human.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/daemon/logger.js';
import { printable } from '../../src/printable.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
// Any byte a terminal acts on: C0, DEL, C1 (CSI as one byte), a bidi override.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

void test('printable escapes C0, DEL, C1 and bidi overrides, and keeps everything else', () => {
  assert.equal(printable('a\x1b[2Jb'), 'a\\x1b[2Jb');
  assert.equal(printable('\x1b]0;owned\x07'), '\\x1b]0;owned\\x07');
  assert.equal(printable('x\ny\tz'), 'x\\ny\\tz');
  assert.equal(printable('x\ny\tz', { keepLineBreaks: true }), 'x\ny\tz');
  assert.equal(printable('\x7f\x9b\u202e'), '\\x7f\\x9b\\u202e');
  assert.equal(printable('NetrShareEnum \\PIPE\\srvsvc é 名'), 'NetrShareEnum \\PIPE\\srvsvc é 名');
});

void test('the daemon log (text format) carries no control character from a message or a field', async () => {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const logger = createLogger('debug', stream, { format: 'text', journal: false });
  logger.warn('bad line \x1b[2J skipped', { reason: 'operation \x1b]0;pwned\x07', path: '/x\x1b[31m', nl: 'a\nINFO  forged line' });
  await logger.flush();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(out.split('\n').filter((line) => line !== '').length, 1, out);
  assert.doesNotMatch(out.trimEnd(), CONTROL);
  assert.match(out, /\\x1b\[2J/);
});

void test('model show and check-config escape what came from the data', () => {
  const dir = tempDir();
  const clean = join(dir, 'clean.log');
  assert.equal(spawnSync(process.execPath, [cli, 'generate', '--rows', '2000', '--seed', '9', '-o', clean]).status, 0);
  // Zeek TSV writes control bytes as \xNN; the decoder gives back the raw bytes.
  const poisoned = readFileSync(clean, 'utf8')
    .split('\n')
    .map((line) => (line === '' || line.startsWith('#') ? line : line.replace(/\t[^\t]*$/, '\t\\x1b[2J\\x1b]0;owned\\x07Evil')))
    .join('\n');
  const log = join(dir, 'poisoned.log');
  writeFileSync(log, poisoned);
  const model = join(dir, 'model.json');
  const trained = spawnSync(process.execPath, [cli, 'train', '--sample', '1', '-o', model, log], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  const shown = spawnSync(process.execPath, [cli, 'model', 'show', '-m', model], { encoding: 'utf8' });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /\\x1b\[2J/);
  assert.doesNotMatch(shown.stdout.replaceAll('\n', '').replaceAll('\t', ''), CONTROL);
  const ini = join(dir, 'binary.ini');
  writeFileSync(ini, Buffer.from('[input]\npoll_interval = \x1b[2J\x9b\x07\n', 'latin1'));
  const checked = spawnSync(process.execPath, [cli, 'check-config', '-c', ini], { encoding: 'utf8' });
  assert.equal(checked.status, 78);
  assert.doesNotMatch(checked.stdout.replaceAll('\n', ''), CONTROL);
  assert.match(checked.stdout, /\\x1b\[2J/);
});
