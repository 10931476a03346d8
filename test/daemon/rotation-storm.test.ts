/**
 * Issue 5, rotation storm: 200,000 records appended while the log rotates every 2,000 lines, Zeek
 * style. Every record becomes an anomaly line (rarity threshold below any rarity), so the uids in
 * anomalies.log are the records the daemon scored: they must be exactly the records written, each
 * once, and the lines must equal what the offline `score` command writes for the same files.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import {
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  offlineAnomalies,
  readProgress,
  uidOf,
  uidOfAnomaly,
  waitFor,
  writeIni,
  writePaced,
  ZeekWriter,
} from './harness.js';

const RECORDS = 200_000;
const ROTATE_EVERY = 2_000;

void test('rotation storm: 200,000 records over 100 Zeek rotations are scored exactly once', { timeout: 180_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, RECORDS);
  writeIni(site, corpus);
  const model = installModel(site, corpus, corpus.records.slice(0, 20_000));

  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/started/);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  await writePaced(writer, corpus.records, { perSecond: 40_000, rotateEvery: ROTATE_EVERY, chunk: 500 });
  writer.close();
  assert.equal(writer.rotated.length, RECORDS / ROTATE_EVERY);

  await waitFor(
    () => `progress.records to reach ${RECORDS}\n${daemon.tail()}`,
    () => (readProgress(site)?.records ?? 0) >= RECORDS,
    120_000,
  );
  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, daemon.tail());

  const progress = readProgress(site);
  assert.equal(progress?.records, RECORDS, 'records counted by the daemon');
  assert.equal(progress?.parseErrors, 0);
  assert.equal(progress?.modelId, model.modelId);

  const live = liveAnomalies(site);
  const uids = live.map(uidOfAnomaly);
  const seen = new Set(uids);
  assert.equal(seen.size, uids.length, 'no record scored twice');
  assert.equal(uids.length, RECORDS, 'every written record scored');
  for (let i = 0; i < RECORDS; i += 1) assert.ok(seen.has(uidOf(i)), `record ${i} was scored`);

  const offline = offlineAnomalies(site, model.path, writer.files());
  assert.equal(offline.length, RECORDS);
  assert.deepEqual([...live].sort(), [...offline].sort(), 'live lines equal the offline score of the same files');
});
