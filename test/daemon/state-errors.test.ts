/**
 * Issue #15 item 7, the state directory as an admin leaves it: an unreadable training-window
 * file stops the start with its errno (it is not "corrupt", nothing is set aside), a refused
 * start does not also log a stop failure, `models/current` cannot point outside the state
 * directory, and a deleted progress.json or window journal is said loudly, not silently.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { before, test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import {
  CLI,
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  offlineAnomalies,
  readProgress,
  uidOfAnomaly,
  uidRanges,
  waitFor,
  writeIni,
  ZeekWriter,
  type Corpus,
  type Site,
} from './harness.js';

let corpus: Corpus;
const root = tempDir();

before(() => {
  corpus = makeCorpus(root, 1_500, 31);
});

/** A site whose daemon has run once over 1,000 records (window, progress and model on disk). */
async function ranOnce(name: string): Promise<Site> {
  const site = makeSite(join(root, name));
  writeIni(site, corpus);
  installModel(site, corpus, corpus.records.slice(0, 500));
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(0, 1000));
  writer.close();
  const daemon = new DaemonProcess(site);
  await waitFor(() => `1000 records\n${daemon.tail()}`, () => readProgress(site)?.records === 1000, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  return site;
}

void test('an unreadable training-window file stops the start with its errno; nothing is set aside, no stop failure', { timeout: 90_000 }, async () => {
  const site = await ranOnce('unreadable');
  const journal = join(site.stateDir, 'training-window.journal');
  assert.ok(existsSync(journal));
  // Root reads through any mode, so as root the file is replaced by a directory (EISDIR): the
  // same "exists but cannot be read" case as a chown mistake (EACCES) for everyone else.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    unlinkSync(journal);
    mkdirSync(journal);
  } else chmodSync(journal, 0o000);
  const daemon = new DaemonProcess(site);
  const exit = await daemon.exited;
  const log = daemon.lines.join('\n');
  assert.equal(exit.code, 1, log);
  assert.match(log, new RegExp(`cannot start: .*training-window\\.journal.*${asRoot ? 'EISDIR' : 'EACCES'}`));
  assert.doesNotMatch(log, /stop failed/);
  assert.doesNotMatch(log, /training window reset/);
  assert.deepEqual(readdirSync(site.stateDir).filter((name) => name.includes('.corrupt-')), []);
  if (!asRoot) chmodSync(journal, 0o644);
});

void test('a refused start (state directory locked by a live daemon) logs the refusal only', { timeout: 60_000 }, async () => {
  const site = makeSite(join(root, 'locked'));
  writeIni(site, corpus);
  const first = new DaemonProcess(site);
  await first.waitForLine(/started/);
  const second = new DaemonProcess(site);
  const exit = await second.exited;
  const log = second.lines.join('\n');
  assert.equal(exit.code, 1, log);
  assert.match(log, /cannot start: .*in use by another daemon/);
  assert.doesNotMatch(log, /stop failed/);
  assert.equal((await first.terminate()).code, 0);
});

void test('models/current naming ../../../model is refused, the file outside is never loaded', { timeout: 60_000 }, async () => {
  const site = makeSite(join(root, 'escape'));
  writeIni(site, corpus);
  const model = installModel(site, corpus, corpus.records.slice(0, 500));
  // A valid model outside the state directory, at the path the escape names.
  const outside = join(site.stateDir, 'models', '../../../model.json');
  copyFileSync(model.path, outside);
  rmSync(join(site.stateDir, 'models', `${model.modelId}.json`));
  writeFileSync(join(site.stateDir, 'models', 'current'), '../../../model\n');
  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/started/);
  await daemon.waitForLine(/is not a model id/);
  assert.ok(!daemon.lines.some((line) => /model in use/.test(line)), daemon.tail());
  assert.equal((await daemon.terminate()).code, 0);
});

void test('a deleted progress.json and a deleted window journal are warned about at start', { timeout: 90_000 }, async () => {
  const site = await ranOnce('deleted');
  unlinkSync(join(site.stateDir, 'progress.json'));
  let daemon = new DaemonProcess(site);
  // The generation before it is on disk (every save keeps one): resume from there.
  await daemon.waitForLine(/progress\.json is missing: resuming from the previous checkpoint/);
  await waitFor(() => `re-read\n${daemon.tail()}`, () => readProgress(site)?.records === 1000, 60_000);
  assert.equal((await daemon.terminate()).code, 0);
  unlinkSync(join(site.stateDir, 'progress.json'));
  unlinkSync(join(site.stateDir, 'progress.prev.json'));
  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/progress\.json is missing but the state directory holds an earlier run/);
  await waitFor(() => `re-read\n${daemon.tail()}`, () => readProgress(site)?.records === 1000, 60_000);
  assert.equal((await daemon.terminate()).code, 0);
  for (const name of readdirSync(site.stateDir).filter((n) => n.startsWith('training-window.'))) unlinkSync(join(site.stateDir, name));
  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/training window files are missing|training-window\.journal is (missing|empty)/);
  await daemon.waitForLine(/started/);
  assert.equal((await daemon.terminate()).code, 0);
});

void test('an unreadable input file is reported once, not at every poll', { skip: process.getuid?.() === 0 ? false : 'needs root to run the daemon as nobody (root reads any file)', timeout: 60_000 }, async () => {
  const site = makeSite(join(root, 'unreadable-input'));
  writeIni(site, corpus);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(0, 10));
  writer.close();
  chmodSync(site.livePath, 0o000);
  for (const dir of [site.stateDir, site.outDir]) mkdirSync(dir, { recursive: true });
  for (const path of [root, site.root, site.liveDir, site.stateDir, site.outDir, site.iniPath]) chmodSync(path, 0o777);
  const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'run', '-c', site.iniPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // 100 ms polls: 3 s is 30 polls of the unreadable file.
  await waitFor(() => `start\n${out}`, () => /started/.test(out), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  // Made readable: the next try (backed off, at most 30 s apart) reads it, and says so.
  chmodSync(site.livePath, 0o644);
  await waitFor(() => `recovery\n${out}`, () => /input readable again .*errno=EACCES/.test(out), 40_000);
  await waitFor(() => `the records\n${out}`, () => readProgress(site)?.records === 10, 30_000);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const reports = out.split('\n').filter((line) => /cannot read .*EACCES/.test(line));
  assert.equal(reports.length, 1, out);
});

void test('a corrupt progress.json is set aside; the daemon resumes from the previous checkpoint with every anomaly exactly once; an unreadable one stops the start', { timeout: 120_000 }, async () => {
  const site = await ranOnce('corrupt-progress');
  const progressPath = join(site.stateDir, 'progress.json');
  const at1000 = readFileSync(progressPath);
  // A second run reads 300 more records and is killed; then its progress.json is damaged (a bad
  // disk block, an editor). The previous generation on disk is the one from 1,000 records.
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(1000, 1300));
  let daemon = new DaemonProcess(site);
  await waitFor(() => `1300 records\n${daemon.tail()}`, () => readProgress(site)?.records === 1300, 60_000);
  daemon.signal('SIGKILL');
  await daemon.exited;
  writeFileSync(join(site.stateDir, 'progress.prev.json'), at1000);
  writeFileSync(progressPath, '{"version":1,"files":[{"path": tr');

  writer.append(corpus.records.slice(1300, 1500));
  writer.close();
  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/progress\.json is corrupt .*set aside as .*progress\.json\.corrupt-\d+.*resuming from the previous checkpoint/);
  await waitFor(() => `1500 records\n${daemon.tail()}`, () => readProgress(site)?.records === 1500, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  assert.equal(readdirSync(site.stateDir).filter((name) => name.startsWith('progress.json.corrupt-')).length, 1);
  const uids = liveAnomalies(site).map(uidOfAnomaly);
  const explain = `twice: ${uidRanges(uids, 1500, 2)}; missing: ${uidRanges(uids, 1500, 0)}`;
  assert.equal(new Set(uids).size, uids.length, explain);
  const offline = offlineAnomalies(site, join(site.root, 'model.json'), [site.livePath]);
  assert.deepEqual([...liveAnomalies(site)].sort(), [...offline].sort(), explain);

  // Both generations corrupt: a fresh start, and the warning says what it costs.
  writeFileSync(progressPath, 'garbage');
  writeFileSync(join(site.stateDir, 'progress.prev.json'), 'garbage');
  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/progress\.json is corrupt .* no usable previous checkpoint: every followed file is read again from its start, and anomalies already in anomalies\.log for those lines are written again/);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());

  // Unreadable is not corrupt: the start stops with the errno and nothing is set aside.
  const asRoot = process.getuid?.() === 0;
  const asideBefore = readdirSync(site.stateDir).filter((name) => name.includes('.corrupt-')).length;
  if (asRoot) {
    unlinkSync(progressPath);
    mkdirSync(progressPath);
  } else chmodSync(progressPath, 0o000);
  daemon = new DaemonProcess(site);
  const exit = await daemon.exited;
  const log = daemon.lines.join('\n');
  assert.equal(exit.code, 1, log);
  assert.match(log, new RegExp(`cannot start: .*progress\\.json.*${asRoot ? 'EISDIR' : 'EACCES'}`));
  assert.equal(readdirSync(site.stateDir).filter((name) => name.includes('.corrupt-')).length, asideBefore);
});
