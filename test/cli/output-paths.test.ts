/**
 * Issue #15 item 12: `score -o /dev/null` renamed a regular file over the system's null device.
 * Every command with an output path replaces atomically only a regular file or a new path,
 * writes straight through to a character device or a FIFO (or `-`), and refuses a directory.
 * The character device here is a null device made with mknod inside a temp dir (root only);
 * the real /dev/null is never touched.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { outputMode } from '../../src/sink/index.js';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const dir = tempDir();
const logPath = join(dir, 'dce_rpc.log');
const modelPath = join(dir, 'model.json');
const isRoot = process.getuid?.() === 0;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A null character device (major 1, minor 3) in `at`, or null when mknod is not allowed. */
function makeNullDevice(at: string): string | null {
  if (!isRoot) return null;
  const made = spawnSync('mknod', ['-m', '666', at, 'c', '1', '3']);
  return made.status === 0 ? at : null;
}

before(() => {
  const generated = run('generate', '--rows', '4000', '--seed', '7', '-o', logPath);
  assert.equal(generated.status, 0, generated.stderr);
  const trained = run('train', '-o', modelPath, logPath);
  assert.equal(trained.status, 0, trained.stderr);
});

void test('score and train -o on a character device write through it and leave it a device', { skip: isRoot ? false : 'needs root for mknod' }, () => {
  const device = makeNullDevice(join(dir, 'null'));
  assert.ok(device !== null, 'mknod failed');
  const scored = run('score', '-m', modelPath, '-o', device, logPath);
  assert.equal(scored.status, 0, scored.stderr);
  assert.ok(statSync(device).isCharacterDevice(), 'score replaced the device');
  const trained = run('train', '-o', device, logPath);
  assert.equal(trained.status, 0, trained.stderr);
  assert.ok(statSync(device).isCharacterDevice(), 'train replaced the device');
  // A link to the device: the link stays a link, the device a device.
  const link = join(dir, 'null-link');
  symlinkSync(device, link);
  assert.equal(run('score', '-m', modelPath, '-o', link, logPath).status, 0);
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.ok(statSync(device).isCharacterDevice());
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
});

void test('score -o FIFO streams the anomalies to its reader and leaves the FIFO in place', async () => {
  const fifo = join(dir, 'anomalies.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // The reader is a child process so that, if the FIFO were renamed away, it can be killed
  // instead of blocking this test in open(2) forever.
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const readerClosed = new Promise<void>((resolve) => reader.on('close', () => resolve()));
  const child = spawn(process.execPath, [cli, 'score', '-m', modelPath, '--format', 'zeek', '-o', fifo, logPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const killer = setTimeout(() => reader.kill('SIGKILL'), 30_000);
  await readerClosed;
  clearTimeout(killer);
  assert.equal(status, 0, stderr);
  const text = Buffer.concat(chunks).toString('utf8');
  assert.match(text, /^#separator \\x09\n/);
  assert.match(text, /\n#close\t/);
  assert.ok(statSync(fifo).isFIFO(), 'the FIFO was replaced');
});

void test('score and train refuse a directory as -o before writing anything', () => {
  const target = join(dir, 'out-dir');
  mkdirSync(target);
  for (const args of [['score', '-m', modelPath, '-o', target, logPath], ['train', '-o', target, logPath]]) {
    const result = run(...args);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /is a directory/);
    assert.ok(statSync(target).isDirectory());
  }
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
});

void test('-o - writes to standard output; a regular file and a new path are replaced atomically', () => {
  const stdout = run('score', '-m', modelPath, '--format', 'zeek', '-o', '-', logPath);
  assert.equal(stdout.status, 0, stdout.stderr);
  assert.match(stdout.stdout, /^#separator/);
  const regular = join(dir, 'regular.log');
  writeFileSync(regular, 'old content\n');
  const before = statSync(regular).ino;
  assert.equal(run('score', '-m', modelPath, '--format', 'zeek', '-o', regular, logPath).status, 0);
  assert.notEqual(statSync(regular).ino, before, 'a regular file is replaced by rename');
  assert.match(readFileSync(regular, 'utf8'), /^#separator/);
  const model = join(dir, 'new-model.json');
  assert.equal(run('train', '-o', model, logPath).status, 0);
  assert.ok(statSync(model).isFile());
});

void test('outputMode: the decision for each kind of path', async () => {
  assert.deepEqual(await outputMode('-', 'test'), { kind: 'stdout' });
  assert.equal((await outputMode(join(dir, 'does-not-exist'), 'test')).kind, 'replace');
  assert.equal((await outputMode(join(dir, 'dangling'), 'test')).kind, 'replace');
  await assert.rejects(outputMode(dir, 'test'), (error: { code?: string }) => error.code === 'ERR_USAGE');
  const device = makeNullDevice(join(dir, 'null2'));
  if (device !== null) assert.equal((await outputMode(device, 'test')).kind, 'write-through');
});
