/**
 * Exactly once through a crash in the middle of a discovery sweep. The daemon flags a sweep live:
 * each call past the threshold is an anomaly whose reason names how many distinct hosts the
 * sweeper had reached by then, a count kept by the live fan-out tracker. After a crash the lines
 * past the last checkpoint are read again; counted against an empty tracker they get other
 * counts (or none), so other lines: the same records written twice, and the sweep's later calls
 * flagged with the wrong figures. The tracker is saved with each checkpoint, so the restart
 * reproduces what the first reading wrote and anomalies.log equals an uninterrupted run's.
 *
 * The crash is made exact instead of timed: the daemon is killed once the sweep's middle part
 * has been read, and its progress.json put back to the checkpoint taken before that part (what a
 * kill -9 between writing anomalies and saving progress leaves behind, see crash-loop.test.ts).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { DaemonProcess, installModel, liveAnomalies, makeCorpus, makeSite, readProgress, waitFor, writeIni, ZeekWriter, type Corpus, type Site } from './harness.js';

const SWEEPER = '10.10.1.57';
const SWEEP_TARGETS = 36;

/** The corpus's records with a NetrShareEnum sweep from one workstation woven into its second day. */
function sweepWeek(corpus: Corpus): { lines: string[]; sweepUids: Set<string> } {
  const tsOf = (line: string): number => Number(line.slice(0, line.indexOf('\t')));
  const firstDay = Math.floor(tsOf(corpus.records[0] as string) / 86_400);
  const start = (firstDay + 1) * 86_400 + 10 * 3600;
  const sweep: string[] = [];
  const sweepUids = new Set<string>();
  for (let i = 0; i < SWEEP_TARGETS; i++) {
    const uid = `CSWEEP${String(i).padStart(4, '0')}`;
    sweepUids.add(uid);
    const target = `10.10.${7 + (i % 3)}.${20 + i}`;
    sweep.push([(start + i * 20).toFixed(6), uid, SWEEPER, String(50_000 + i), target, '445', '0.000400', '\\pipe\\srvsvc', 'srvsvc', 'NetrShareEnum'].join('\t'));
  }
  const lines = [...corpus.records, ...sweep].sort((a, b) => tsOf(a) - tsOf(b));
  return { lines, sweepUids };
}

function siteWith(corpus: Corpus, modelOf: (site: Site) => void): Site {
  const site = makeSite(tempDir());
  // The default (technique) rule, every other setting the tests' own.
  writeIni(site, corpus, { scoring: { rule: null, rarity_threshold: null }, output: { format: 'json' } });
  modelOf(site);
  return site;
}

const uidOf = (line: string): string => (JSON.parse(line) as { uid: string }).uid;

void test('a crash in the middle of a sweep: the restart re-reads its lines and writes nothing twice, nothing different', { timeout: 120_000 }, async () => {
  const corpus = makeCorpus(tempDir(), 6_000, 11);
  const { lines, sweepUids } = sweepWeek(corpus);
  const sweepAt = lines.findIndex((line) => line.includes('CSWEEP0000'));
  // Parts: up to the sweep's 10th call; its calls 11-22; the rest.
  const cut1 = lines.findIndex((line) => line.includes('CSWEEP0010'));
  const cut2 = lines.findIndex((line) => line.includes('CSWEEP0022'));
  assert.ok(sweepAt > 0 && cut1 > sweepAt && cut2 > cut1);
  // One model for both runs (pinned: no retrain runs in the test's time).
  let installed: { site: Site; modelId: string } | null = null;
  const install = (site: Site): void => {
    if (installed === null) {
      installed = { site, modelId: installModel(site, corpus, corpus.records).modelId };
      return;
    }
    const models = join(site.stateDir, 'models');
    mkdirSync(models, { recursive: true });
    copyFileSync(join(installed.site.stateDir, 'models', `${installed.modelId}.json`), join(models, `${installed.modelId}.json`));
    copyFileSync(join(installed.site.stateDir, 'models', 'current'), join(models, 'current'));
  };

  // The reference: one uninterrupted run.
  const reference = siteWith(corpus, install);
  {
    const daemon = new DaemonProcess(reference);
    await daemon.waitForLine(/\bstarted\b/);
    new ZeekWriter(reference.livePath, corpus.header).append(lines);
    await waitFor(() => `all read\n${daemon.tail()}`, () => readProgress(reference)?.records === lines.length, 60_000);
    assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  }
  const expected = liveAnomalies(reference);
  const sweepFlagged = expected.filter((line) => sweepUids.has(uidOf(line)));
  // The test means something only if the live tracker decided: the sweep's later calls are
  // flagged as a sweep, each with its own running count.
  assert.ok(sweepFlagged.length >= 20, `the sweep is flagged live (${sweepFlagged.length} of ${SWEEP_TARGETS} calls)`);
  assert.ok(sweepFlagged.every((line) => /a sweep \(from/.test(line)), 'flagged as a sweep');
  assert.equal(new Set(sweepFlagged.map((line) => /to (\d+)\+? distinct hosts/.exec(line)?.[1])).size, sweepFlagged.length, 'each call with its own count');

  const site = siteWith(corpus, install);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  const progressFile = join(site.stateDir, 'progress.json');
  let daemon = new DaemonProcess(site);
  await daemon.waitForLine(/\bstarted\b/);
  writer.append(lines.slice(0, cut1));
  await waitFor(() => `part 1 read\n${daemon.tail()}`, () => readProgress(site)?.records === cut1, 60_000);
  copyFileSync(progressFile, join(site.root, 'checkpoint-before-part-2.json'));
  writer.append(lines.slice(cut1, cut2));
  await waitFor(() => `part 2 read\n${daemon.tail()}`, () => readProgress(site)?.records === cut2, 60_000);
  daemon.signal('SIGKILL');
  await daemon.exited;
  copyFileSync(join(site.root, 'checkpoint-before-part-2.json'), progressFile);

  daemon = new DaemonProcess(site);
  await daemon.waitForLine(/\bstarted\b/);
  writer.append(lines.slice(cut2));
  await waitFor(() => `all read after the restart\n${daemon.tail()}`, () => readProgress(site)?.records === lines.length, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());

  const written = liveAnomalies(site);
  const counts = new Map<string, number>();
  for (const line of written) counts.set(uidOf(line), (counts.get(uidOf(line)) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([uid]) => uid);
  assert.deepEqual(twice, [], 'no record written twice');
  assert.deepEqual([...written].sort(), [...expected].sort(), 'the same anomaly lines as the uninterrupted run');
});
