/**
 * Issue 5, crash loop: the daemon is killed with SIGKILL 20 times at random instants, while the
 * sensor writes (with rotations) and while the daemon catches up afterwards, and restarted after
 * each kill. The model is pinned (trained offline, installed as `current`, no scheduled retrain),
 * so the final anomalies.log must hold exactly the lines the offline `score` command writes for
 * the same files, each once. Every record is an anomaly (see harness.writeIni), so a lost or
 * repeated record cannot hide.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/tmp.js';
import {
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
  writePaced,
  ZeekWriter,
} from './harness.js';

const RECORDS = 60_000;
const KILLS = 20;

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

void test('crash loop: 20 kill -9 with restarts leave exactly the offline anomalies, each once', { timeout: 180_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, RECORDS, 11);
  writeIni(site, corpus);
  const model = installModel(site, corpus, corpus.records.slice(0, 10_000));
  const seed = Number(process.env.CRASH_LOOP_SEED ?? Date.now() % 100_000);
  const next = random(seed);

  // The sensor's file exists and the daemon has read its header before the first crash:
  // records rotated away before the daemon ever ran are not its business.
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(0, 1));
  const first = new DaemonProcess(site);
  await waitFor('the first checkpoint', () => readProgress(site)?.records === 1);
  first.signal('SIGKILL');
  await first.exited;
  let writing = true;
  const written = writePaced(writer, corpus.records.slice(1), { perSecond: 6_000, rotateEvery: 7_000, chunk: 300 }).finally(() => {
    writing = false;
    writer.close();
  });

  const killedWhileWriting: number[] = [];
  const logs: string[] = [];
  for (let kill = 0; kill < KILLS; kill += 1) {
    const daemon = new DaemonProcess(site);
    // Half the kills land early (often during start-up and output replay), half later.
    const delay = next() < 0.5 ? 80 + next() * 400 : 400 + next() * 900;
    await sleep(delay);
    if (writing) killedWhileWriting.push(kill);
    daemon.signal('SIGKILL');
    const exit = await daemon.exited;
    logs.push(`--- run ${kill} (killed after ${Math.round(delay)} ms)`, ...daemon.lines.filter((l) => !/ stats /.test(l)));
    assert.equal(exit.signal, 'SIGKILL', `kill ${kill} (seed ${seed}): the daemon died on its own\n${daemon.tail()}`);
  }
  await written;
  assert.ok(killedWhileWriting.length >= 5, `seed ${seed}: at least 5 kills while writing (got ${killedWhileWriting.length})`);

  const daemon = new DaemonProcess(site);
  const explain = (): string => {
    const uids = liveAnomalies(site).map(uidOfAnomaly);
    const runs = [...logs, '--- final run', ...daemon.lines.filter((l) => !/ stats /.test(l))];
    return `seed ${seed}; twice: ${uidRanges(uids, RECORDS, 2)}; missing: ${uidRanges(uids, RECORDS, 0)}; files: ${writer.files().join(' ')}\n${runs.join('\n')}`;
  };
  await waitFor(() => `progress.records to reach ${RECORDS} (at ${readProgress(site)?.records}); ${explain()}`, () => (readProgress(site)?.records ?? 0) >= RECORDS, 60_000);
  // terminate() waits for the `started` line: progress can be complete before this run began.
  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, `seed ${seed}: the final stop; exit ${JSON.stringify(await daemon.exited)}\n${daemon.tail()}`);
  assert.equal(readProgress(site)?.records, RECORDS, `seed ${seed}: records counted once each across restarts`);

  const live = liveAnomalies(site);
  const uids = live.map(uidOfAnomaly);
  assert.equal(new Set(uids).size, uids.length, `no anomaly line written twice; ${explain()}`);
  const offline = offlineAnomalies(site, model.path, writer.files());
  assert.equal(offline.length, RECORDS);
  assert.equal(live.length, offline.length, `seed ${seed}: as many lines as offline`);
  assert.deepEqual([...live].sort(), [...offline].sort(), `seed ${seed}: the same lines as the offline score`);
});

void test('a kill -9 right after the very first batch of a new install does not repeat it', { timeout: 60_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 1_000, 13);
  writeIni(site, corpus);
  installModel(site, corpus, corpus.records);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records);
  writer.close();
  const first = new DaemonProcess(site);
  // The batch's anomalies are on disk; the idle save of its position comes up to 1 s later.
  await waitFor('the first anomalies', () => liveAnomalies(site).length > 0, 30_000);
  first.signal('SIGKILL');
  await first.exited;
  assert.equal(readProgress(site)?.records ?? 0, 0, 'killed before the position after the first batch was saved');
  const second = new DaemonProcess(site);
  await waitFor('all records', () => readProgress(site)?.records === corpus.records.length, 30_000);
  assert.equal((await second.terminate()).code, 0);
  const uids = liveAnomalies(site).map(uidOfAnomaly);
  assert.equal(uids.length, corpus.records.length);
  assert.equal(new Set(uids).size, uids.length, 'nothing written twice');
});
