/**
 * Issue 5, the whole pipeline under the file events the tail module handles on its own in its
 * unit tests: copy-truncate, in-place truncation, the file missing for a while, the directory
 * moved away and recreated, delete with immediate recreation (inode reuse), and malformed lines
 * interleaved. Every record must be scored once and every malformed line counted.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../helpers/tmp.js';
import {
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  readProgress,
  uidOf,
  uidOfAnomaly,
  uidRanges,
  waitFor,
  writeIni,
  ZeekWriter,
} from './harness.js';

const STEP = 2_000;

void test('copy-truncate, truncation, missing file, moved directory, inode reuse and bad lines: each record scored once', { timeout: 120_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 40_000, 5);
  writeIni(site, corpus);
  installModel(site, corpus, corpus.records.slice(0, 10_000));
  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/started/);

  let writer = new ZeekWriter(site.livePath, corpus.header);
  let next = 0;
  let malformed = 0;
  /** Appends the next `n` corpus records in chunks of 250 lines. */
  const write = (n: number): void => {
    const end = next + n;
    for (; next < end; next += 250) writer.append(corpus.records.slice(next, Math.min(end, next + 250)));
    next = end;
  };
  const caughtUp = (what: string): Promise<unknown> =>
    waitFor(
      () =>
        `${what}: progress.records = ${readProgress(site)?.records}, expected ${next}; ` +
        `missing: ${uidRanges(liveAnomalies(site).map(uidOfAnomaly), next, 0)}\n${daemon.tail()}`, () => readProgress(site)?.records === next, 30_000);

  // copytruncate (logrotate): copy beside, truncate in place, carry on in the same inode. The
  // daemon has not read everything yet; the rest is recovered from the copy.
  write(3_000);
  await waitFor('the first records read', () => (readProgress(site)?.records ?? 0) > 0);
  write(3_000);
  copyFileSync(site.livePath, `${site.livePath}.1`);
  writer.close();
  truncateSync(site.livePath, 0);
  write(STEP);
  await caughtUp('after copytruncate');
  assert.ok(daemon.lines.some((l) => /input truncated/.test(l)), 'the truncation was noticed');

  // In-place truncation without a copy (only lines already read can survive it), new header.
  writer.close();
  truncateSync(site.livePath, 0);
  write(STEP);

  // Malformed lines interleaved with records: garbage, too few fields, a bad timestamp.
  const [sample] = corpus.records.slice(next, next + 1);
  assert.ok(sample !== undefined);
  writer.appendRaw('this is not a zeek line\n');
  write(500);
  writer.appendRaw(`${sample.split('\t').slice(0, 5).join('\t')}\n`);
  write(500);
  writer.appendRaw(`${['not-a-time', ...sample.split('\t').slice(1)].join('\t')}\n`);
  malformed += 3;
  write(500);

  // Zeek style: renamed away, the next file appears only with the next record, here 700 ms later.
  writer.rotate();
  await sleep(700);
  const beforeNewFile = next;
  write(STEP / 2);

  // The directory moved away and recreated (zeekctl post-terminate). The daemon has started on
  // the file (a file moved away before it was ever seen cannot be found: resume looks only in the
  // same directory), but has not read its last lines: they must be read from the moved file.
  await waitFor('the new file seen', () => (readProgress(site)?.records ?? 0) > beforeNewFile);
  write(STEP / 2);
  writer.close();
  renameSync(site.liveDir, `${site.liveDir}.old`);
  mkdirSync(site.liveDir);
  writer = new ZeekWriter(site.livePath, corpus.header);
  write(STEP);
  await caughtUp('after the directory move');

  // Delete and recreate at once: the new file may get the same inode number.
  writer.close();
  rmSync(site.livePath);
  write(STEP);
  await caughtUp('after delete and recreate');
  const total = next;

  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, daemon.tail());
  const progress = readProgress(site);
  assert.equal(progress?.records, total);
  assert.equal(progress?.parseErrors, malformed, 'every malformed line counted');
  const uids = liveAnomalies(site).map(uidOfAnomaly);
  assert.equal(new Set(uids).size, uids.length, 'no record scored twice');
  assert.equal(uids.length, total);
  const seen = new Set(uids);
  for (let i = 0; i < total; i += 1) assert.ok(seen.has(uidOf(i)), `record ${i} scored`);
});
