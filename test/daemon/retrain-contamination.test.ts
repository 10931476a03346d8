/**
 * Issue 13, "a live test": the daemon follows five days of a generated network whose intruder
 * comes back on days 1, 3 and 4, retrains twice (after day 1, when the window first holds enough,
 * and after day 3, on SIGUSR2), and each retrain's window holds the intruder's earlier records.
 * The attack sessions of the last day must still be flagged: a window that taught the model the
 * attack is normal (one host on two days counted as routine) fails this test. False alerts on the
 * last day are bounded too, so flagging everything cannot pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { DaemonProcess, liveAnomalies, makeSite, readProgress, runCli, waitFor, writeIni, ZeekWriter } from './harness.js';

const START_TS = Date.parse('2024-03-04T00:00:00Z') / 1000;
const DAY = 86_400;

interface Week {
  header: string;
  /** Record lines by part: days 0-1, days 2-3, day 4. */
  parts: [string[], string[], string[]];
  ipGroups: string;
  /** Attack uid → scenario. */
  labels: Map<string, string>;
}

function generateWeek(dir: string, seed: number, rows: number): Week {
  const log = join(dir, `week-${seed}.log`);
  const labelsFile = join(dir, `week-${seed}.labels`);
  const groups = join(dir, `week-${seed}.ini`);
  runCli(['generate', '--personality', '--seed', String(seed), '--rows', String(rows), '--days', '5', '--campaign-days', '1,3,4', '--labels', labelsFile, '--ip-groups', groups, '-o', log]);
  const header: string[] = [];
  const parts: Week['parts'] = [[], [], []];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (parts.every((p) => p.length === 0)) header.push(`${line}\n`);
      continue;
    }
    const day = Math.floor((Number(line.slice(0, line.indexOf('\t'))) - START_TS) / DAY);
    parts[day < 2 ? 0 : day < 4 ? 1 : 2].push(line);
  }
  const labels = new Map<string, string>();
  for (const line of readFileSync(labelsFile, 'utf8').split('\n')) {
    const [uid, scenario] = line.split('\t');
    if (uid !== undefined && scenario !== undefined) labels.set(uid, scenario);
  }
  return { header: header.join(''), parts, ipGroups: readFileSync(groups, 'utf8'), labels };
}

const uidOf = (line: string): string => line.split('\t')[1] as string;

interface ModelDocument {
  routine?: { values: [string, string, number, number, number, number, number][] };
}

/** Personality seeds (tuning and development seeds, docs/detection.md), each a different network. */
const SEEDS = (process.env.ZAD_RETRAIN_SEEDS ?? '3,105').split(',').map(Number);

for (const seed of SEEDS) {
  void test(`seed ${seed}: the last day's attack is flagged after two retrains whose windows held its earlier records`, { timeout: 120_000 }, () => lastDayFlagged(seed));
}

async function lastDayFlagged(seed: number): Promise<void> {
  const site = makeSite(tempDir());
  const week = generateWeek(site.root, seed, 4_000);
  const [early, middle, last] = week.parts;
  const attackIn = (lines: readonly string[]): Set<string> => new Set(lines.map(uidOf).filter((uid) => week.labels.has(uid)));
  assert.ok(attackIn(early).size > 0 && attackIn(middle).size > 0 && attackIn(last).size > 0, 'the intruder acts in every part');

  // Default detection settings; only the seed is fixed, and min_rows = days 0-1, so the first
  // training starts exactly when the window holds them (the automatic first retrain).
  writeIni(site, { header: week.header, records: [], ipGroups: week.ipGroups }, {
    features: { fold_pipe_case: null, ip_group_fallback: null },
    training: { min_rows: String(early.length) },
    model: { k: null, n_init: null, seed: '1' },
    scoring: { rule: null, rarity_threshold: null },
    output: { format: 'json' },
  });
  const daemon = new DaemonProcess(site);
  await daemon.waitForLine(/\bstarted\b/);
  const writer = new ZeekWriter(site.livePath, week.header);
  const retrains = (): string[] => daemon.lines.filter((line) => /^\S+\s+info\s+retrained\b|\bretrained reason=/.test(line) || /\bretrained\b.*\bmodel=/.test(line));
  const modelIdOf = (line: string): string => /\bmodel=(\S+)/.exec(line)?.[1] ?? '';
  const inUse = (modelId: string): boolean => daemon.lines.some((line) => /model in use/.test(line) && line.includes(modelId));

  writer.append(early);
  const first = await waitFor(() => `the first retrain\n${daemon.tail()}`, () => retrains()[0], 60_000);
  await waitFor(() => `model ${modelIdOf(first)} in use\n${daemon.tail()}`, () => inUse(modelIdOf(first)), 60_000);

  writer.append(middle);
  await waitFor(() => `days 2-3 read\n${daemon.tail()}`, () => readProgress(site)?.records === early.length + middle.length, 60_000);
  daemon.signal('SIGUSR2');
  const second = await waitFor(() => `the second retrain\n${daemon.tail()}`, () => retrains()[1], 60_000);
  await waitFor(() => `model ${modelIdOf(second)} in use\n${daemon.tail()}`, () => inUse(modelIdOf(second)), 60_000);

  writer.append(last);
  const total = early.length + middle.length + last.length;
  await waitFor(() => `day 4 read\n${daemon.tail()}`, () => readProgress(site)?.records === total, 60_000);
  assert.equal((await daemon.terminate()).code, 0, daemon.tail());
  assert.equal(retrains().length, 2, `exactly two retrains\n${daemon.tail()}`);

  // The window took in every record, the intruder's included (status: window rows), and the
  // second retrain's routine statistics counted the intruder's earlier records: each of its
  // (endpoint, operation) values has as many host-days as it showed before day 4.
  const status = JSON.parse(readFileSync(join(site.stateDir, 'status.json'), 'utf8')) as { windowRows: number };
  assert.equal(status.windowRows, total, 'the window holds every record read');
  const model = JSON.parse(readFileSync(join(site.stateDir, 'models', `${modelIdOf(second)}.json`), 'utf8')) as ModelDocument;
  const hostDays = new Map((model.routine?.values ?? []).map((entry) => [entry[0], entry[6]]));
  const intruder = new Map<string, Set<string>>();
  for (const line of [...early, ...middle].filter((l) => week.labels.has(uidOf(l)))) {
    const fields = line.split('\t');
    const what = `${(fields[8] ?? '-').toLowerCase()}\t${(fields[9] ?? '-').toLowerCase()}`;
    let pairs = intruder.get(what);
    if (pairs === undefined) intruder.set(what, (pairs = new Set()));
    pairs.add(`${fields[2]} ${Math.floor(Number(fields[0]) / DAY)}`);
  }
  assert.ok(intruder.size > 0);
  for (const [what, pairs] of intruder) {
    assert.ok((hostDays.get(what) ?? 0) >= pairs.size, `the second model's statistics count the intruder's ${pairs.size} earlier host-days of ${what}`);
  }

  const flagged = new Set(liveAnomalies(site).map((line) => (JSON.parse(line) as { uid: string }).uid));
  const missed = [...attackIn(last)].filter((uid) => !flagged.has(uid));
  assert.deepEqual(missed.map((uid) => `${uid} ${week.labels.get(uid)}`), [], 'every attack session of the last day is flagged');
  const missedMiddle = [...attackIn(middle)].filter((uid) => !flagged.has(uid));
  assert.deepEqual(missedMiddle.map((uid) => `${uid} ${week.labels.get(uid)}`), [], 'and those of day 3, under the first model');
  const falseLast = last.filter((line) => !week.labels.has(uidOf(line)) && flagged.has(uidOf(line))).length;
  // Flagging everything cannot pass. (The small-network false alerts themselves, DC pairs
  // replicating and one-host groups, are measured by the sweep, docs/detection.md.)
  const normalLast = last.filter((line) => !week.labels.has(uidOf(line))).length;
  assert.ok(falseLast * 50 <= normalLast, `${falseLast} false alerts among the last day's ${normalLast} normal records (at most 1 in 50)`);
}
