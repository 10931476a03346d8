/**
 * Issue #15 items 1, 4, 5 end to end: the daemon's output and state on a tiny real filesystem
 * that runs full while records (some with an impossible ts) arrive, a kill -9 while it is full,
 * then space freed. The daemon must stay up while the disk is full (retrying with backoff and
 * saying so, errno included), and the final anomalies.log must hold exactly the offline `score`
 * lines, each once, with no torn line. Needs root for the tmpfs; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountSmallFs } from '../helpers/small-fs.js';
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
  ZeekWriter,
  type Site,
} from './harness.js';

const RECORDS = 4_000;
const smallFs = mountSmallFs(6);
const skip = typeof smallFs === 'string' ? smallFs : false;

/** A record line of the corpus with its ts replaced: a poison record (never scored). */
function poisoned(line: string, ts: string): string {
  return [ts, ...line.split('\t').slice(1)].join('\t');
}

void test('full disk with a kill -9 while full, poison ts records: the daemon stays up, then writes every anomaly once', { skip, timeout: 120_000 }, async () => {
  if (typeof smallFs === 'string') return;
  const root = tempDir();
  const site: Site = { ...makeSite(root), stateDir: join(smallFs.dir, 'state'), outDir: join(smallFs.dir, 'out') };
  const corpus = makeCorpus(site.root, RECORDS, 21);
  writeIni(site, corpus);
  const model = installModel(site, corpus, corpus.records.slice(0, 1500));
  const writer = new ZeekWriter(site.livePath, corpus.header);
  const first = corpus.records.slice(0, 1000);
  // Poison: out-of-range times, before and inside the batches the full disk will hold up.
  writer.append([...first.slice(0, 500), poisoned(first[500] ?? '', '9000000000000.000000'), ...first.slice(500)]);
  let daemon = new DaemonProcess(site);
  await waitFor(() => `the first 1000 records\n${daemon.tail()}`, () => (readProgress(site)?.records ?? 0) >= 1000, 60_000);

  smallFs.fill();
  const rest = corpus.records.slice(1000);
  writer.append([...rest.slice(0, 1000), poisoned(rest[1000] ?? '', '-5.0'), ...rest.slice(1000)]);
  await daemon.waitForLine(/failed: .*ENOSPC.*retrying with backoff/, 60_000);
  assert.equal(daemon.child.exitCode, null, `the daemon exited on a full disk\n${daemon.tail()}`);
  // Killed while the disk is full, restarted while it still is: it must come up and wait again.
  daemon.signal('SIGKILL');
  await daemon.exited;
  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/ENOSPC/, 60_000);
  assert.equal(daemon.child.exitCode, null, `a restart on a full disk gave up\n${daemon.tail()}`);
  smallFs.free();
  await waitFor(() => `all records after space was freed (at ${readProgress(site)?.records})\n${daemon.tail()}`, () => readProgress(site)?.records === RECORDS, 60_000);
  await daemon.waitForLine(/recovered/, 60_000);
  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, daemon.tail());
  writer.close();

  const text = readFileSync(join(site.outDir, 'anomalies.log'), 'utf8');
  assert.ok(text.endsWith('\n'), 'no torn last line');
  const live = liveAnomalies(site);
  for (const line of live) JSON.parse(line);
  const uids = live.map(uidOfAnomaly);
  const explain = `twice: ${uidRanges(uids, RECORDS, 2)}; missing: ${uidRanges(uids, RECORDS, 0)}`;
  assert.equal(new Set(uids).size, uids.length, explain);
  const offline = offlineAnomalies(site, model.path, writer.files());
  assert.equal(offline.length, RECORDS);
  assert.deepEqual([...live].sort(), [...offline].sort(), explain);
  assert.equal(readProgress(site)?.parseErrors, 2, 'both poison records counted as parse errors');
});

void test('anomalies.log truncated by hand while stopped (TSV): the fragment is cut and kept, no forged record', { timeout: 90_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 1_200, 22);
  writeIni(site, corpus, { output: { format: 'zeek' } });
  installModel(site, corpus, corpus.records.slice(0, 600));
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(0, 600));
  let daemon = new DaemonProcess(site);
  await waitFor(() => `600 records\n${daemon.tail()}`, () => readProgress(site)?.records === 600, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  const path = join(site.outDir, 'anomalies.log');
  const before = readFileSync(path, 'utf8');
  // Mid-way through a record line, far from the header.
  truncateSync(path, Math.floor(before.length * 0.7));
  writer.append(corpus.records.slice(600));
  writer.close();
  daemon = new DaemonProcess(site);
  await waitFor(() => `all records\n${daemon.tail()}`, () => readProgress(site)?.records === 1200, 60_000);
  await daemon.waitForLine(/partial line .*cut it off/, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const fieldCount = (readFileSync(path, 'utf8').split('\n').find((line) => line.startsWith('#fields')) ?? '').split('\t').length - 1;
  for (const line of lines) assert.equal(line.split('\t').length, fieldCount, `a line with the wrong number of fields: ${line.slice(0, 120)}`);
  // Every line kept is a line the daemon wrote whole: a prefix of the old file or a new line.
  const whole = new Set(before.split('\n'));
  const kept = lines.filter((line) => whole.has(line)).length;
  assert.ok(kept >= lines.length - 600, 'old lines are unchanged');
  assert.ok(readdirSync(site.outDir).some((name) => name.startsWith('anomalies.log.torn-')), 'the fragment was kept aside');
});
