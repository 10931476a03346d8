/**
 * Issue 14, exactly once when a restart reads other lines than the run before it: the lines
 * re-read after a restart are re-scored and matched against anomalies.log; when they do not
 * reproduce what is on disk in order (the file read before the restart is gone, so other lines
 * come first), the anomalies already on disk must still not be written again.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { DaemonProcess, installModel, liveAnomalies, makeCorpus, makeSite, readProgress, uidOfAnomaly, uidRanges, waitFor, writeIni, ZeekWriter } from './harness.js';

void test('resuming from an older checkpoint whose file is gone: the anomalies of the lines read again are matched out of order, none written twice', { timeout: 120_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 3_000, 21);
  writeIni(site, corpus);
  installModel(site, corpus, corpus.records.slice(0, 1_000));
  const [a1, a2, b] = [corpus.records.slice(0, 1_000), corpus.records.slice(1_000, 2_000), corpus.records.slice(2_000)];

  // Run 1 reads the first part of file A and stops: its checkpoint points into A.
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(a1);
  const first = new DaemonProcess(site);
  await waitFor(() => `run 1 to read A's first part\n${first.tail()}`, () => readProgress(site)?.records === a1.length);
  assert.equal((await first.terminate()).code, 0);
  const checkpointInA = readFileSync(join(site.stateDir, 'progress.json'));

  // A gets the rest, is rotated away, B is written; run 2 reads both and writes their anomalies.
  writer.append(a2);
  const rotatedA = writer.rotate();
  writer.append(b);
  writer.close();
  const second = new DaemonProcess(site);
  await waitFor(() => `run 2 to read A's rest and B\n${second.tail()}`, () => readProgress(site)?.records === corpus.records.length);
  assert.equal((await second.terminate()).code, 0);
  assert.equal(liveAnomalies(site).length, corpus.records.length);

  // Then progress.json is corrupt and the previous generation is the one inside A (as after a
  // crash loop whose saves were lost), and A is gone (deleted, or overwritten by a rotation that
  // reused its name). Run 3 resumes there: A's rest is a gap, B is read again, and B's anomalies,
  // which come first now but sat after A's on disk, must be matched, not written again.
  unlinkSync(rotatedA);
  writeFileSync(join(site.stateDir, 'progress.prev.json'), checkpointInA);
  writeFileSync(join(site.stateDir, 'progress.json'), 'not json');
  const third = new DaemonProcess(site);
  await third.waitForLine(/resuming from the previous checkpoint/);
  await third.waitForLine(/input lost/);
  await waitFor(() => `run 3 to read B again\n${third.tail()}`, () => readProgress(site)?.records === a1.length + b.length);
  // The replay ends once B is read: A's rest will never be re-scored, its lines stay as they are.
  // (Before the fix, it ended at the divergence: "… writing them again".)
  await third.waitForLine(/restart replay ended|caught up with anomalies|writing them again/);
  assert.equal((await third.terminate()).code, 0);

  const uids = liveAnomalies(site).map(uidOfAnomaly);
  assert.equal(
    uids.length,
    corpus.records.length,
    `each record's anomaly once; twice: ${uidRanges(uids, corpus.records.length, 2)}; missing: ${uidRanges(uids, corpus.records.length, 0)}\n${third.tail(40)}`,
  );
  assert.equal(new Set(uids).size, uids.length, 'no anomaly line written twice');
  assert.match(third.lines.join('\n'), /matching them line by line/);

  // A fourth start (nothing new) neither repeats nor loses anything: the saved output size
  // covers the lines run 3 matched out of order.
  const fourth = new DaemonProcess(site);
  await fourth.waitForLine(/\bstarted\b/);
  assert.equal((await fourth.terminate()).code, 0);
  assert.equal(liveAnomalies(site).length, corpus.records.length, `after a clean restart\n${fourth.tail()}`);
  rmSync(site.root, { recursive: true, force: true });
});
