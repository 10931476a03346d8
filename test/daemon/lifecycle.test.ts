/**
 * Issue 5, signals and status: SIGHUP with a valid INI applies it, with an invalid INI keeps the
 * running configuration; SIGTERM exits 0 within 5 s and leaves a final checkpoint; `status` shows
 * the daemon's progress while it runs and after it stopped.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import {
  DaemonProcess,
  installModel,
  liveAnomalies,
  makeCorpus,
  makeSite,
  readProgress,
  runCli,
  waitFor,
  writeIni,
  ZeekWriter,
} from './harness.js';

void test('SIGHUP reloads a valid INI and refuses an invalid one; SIGTERM checkpoints and exits 0 in 5 s; status reports', { timeout: 60_000 }, async () => {
  const site = makeSite(tempDir());
  const corpus = makeCorpus(site.root, 12_000, 3);
  writeIni(site, corpus);
  const model = installModel(site, corpus, corpus.records.slice(0, 6_000));
  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/started/);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  writer.append(corpus.records.slice(0, 4_000));
  await waitFor('4000 records', () => readProgress(site)?.records === 4_000);

  // status while running: the table names the model, the totals and the followed file.
  const running = runCli(['status', '-c', site.iniPath]);
  assert.match(running, new RegExp(`running, pid ${daemon.child.pid}`));
  assert.match(running, new RegExp(`model +${model.modelId}`));
  assert.match(running, /totals +4000 records, 4000 anomalies/);
  assert.match(running, new RegExp(`${site.livePath.replace(/[.]/g, '\\.')} +offset \\d+`));

  // A valid change: the allow-list now suppresses one originator's records from the next ones on.
  const original = readFileSync(site.iniPath, 'utf8');
  const [probe] = corpus.records.slice(4_000, 4_001);
  assert.ok(probe !== undefined);
  const origHost = probe.split('\t')[2] as string;
  writeFileSync(site.iniPath, `${original}\n[allow.reload-test]\norig_host = ${origHost}\nreason = reload test\n`);
  daemon.signal('SIGHUP');
  await daemon.waitForLine(/reloaded: .*allow/);
  writer.append(corpus.records.slice(4_000, 8_000));
  await waitFor('8000 records', () => readProgress(site)?.records === 8_000);
  const fromHost = corpus.records.slice(4_000, 8_000).filter((r) => r.split('\t')[2] === origHost).length;
  assert.ok(fromHost > 0, 'the probe host appears in the second part');
  assert.equal(readProgress(site)?.anomalies, 8_000 - fromHost, 'records of the allowed host are suppressed after the reload');

  // An invalid INI is refused and the running configuration (with its allow rule) stays.
  writeFileSync(site.iniPath, `${original}\n[scoring]\nrule = no-such-rule\n`);
  daemon.signal('SIGHUP');
  await daemon.waitForLine(/reload refused, keeping the running configuration/);
  writer.append(corpus.records.slice(8_000, 12_000));
  await waitFor('12000 records', () => readProgress(site)?.records === 12_000);
  const fromHost2 = corpus.records.slice(8_000, 12_000).filter((r) => r.split('\t')[2] === origHost).length;
  assert.equal(readProgress(site)?.anomalies, 12_000 - fromHost - fromHost2, 'the valid configuration is still in force');
  writeFileSync(site.iniPath, original);

  // SIGTERM while records are still arriving: exit 0 well within the unit's TimeoutStopSec=15s
  // (after which systemd would SIGKILL), a final checkpoint at the end.
  writer.append(corpus.records.slice(0, 3_000).map((r) => r.replace(/\tU(\d{7})\t/, '\tV$1\t')));
  const savedBefore = readProgress(site)?.savedAt;
  const stop = await daemon.terminate();
  assert.equal(stop.code, 0, daemon.tail());
  assert.ok(stop.ms < 15_000, `stopped in ${stop.ms} ms (TimeoutStopSec=15s)`);
  assert.match(daemon.tail(), /stopped records=\d+/);
  const final = readProgress(site);
  assert.notEqual(final?.savedAt, savedBefore, 'a final checkpoint was saved');
  assert.equal(final?.anomalies, liveAnomalies(site).length, 'the checkpoint counts every anomaly line written');
  const checkpoint = JSON.parse(readFileSync(join(site.stateDir, 'progress.json'), 'utf8')) as { files: { offset: number }[] };
  assert.ok((checkpoint.files[0]?.offset ?? 0) > 0);

  // status after the stop: not running, the same totals as the checkpoint.
  const stopped = JSON.parse(runCli(['status', '-c', site.iniPath, '--json'])) as { running: boolean; records: number; model: string };
  assert.equal(stopped.running, false);
  assert.equal(stopped.records, final?.records);
  assert.equal(stopped.model, model.modelId);
});
