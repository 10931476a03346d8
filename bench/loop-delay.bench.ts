/**
 * Event-loop delay of the live daemon while it retrains (issue 5's target: retraining on a
 * 200,000-row window while a sensor writes 20,000 records/s stalls the loop by at most 100 ms).
 * A performance target, so it is measured here and not asserted by a timed test: in a parallel
 * test run with coverage on it read 132 ms and 116 ms, and 50-70 ms alone. The delay is what the
 * daemon itself reports (`loop_delay_max_ms` in every stats line, `eventLoopDelay` in
 * status.json). Baseline in the same run: the same writer and rate against a daemon with a pinned
 * model, which never trains.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DaemonProcess,
  installModel,
  makeCorpus,
  makeSite,
  readProgress,
  waitFor,
  writeIni,
  writePaced,
  ZeekWriter,
  type Corpus,
} from '../test/daemon/harness.js';

const RATE = 20_000;
const WINDOW = 200_000;
const TARGET_MS = 100;
/** Stats intervals of the baseline, about as many as the training run sees. */
const BASELINE_INTERVALS = 12;

const root = mkdtempSync(join(tmpdir(), 'zeek-anomalyd-loop-delay-bench-'));
const report = (label: string, value: string): void => void process.stdout.write(`${label.padEnd(58)} ${value}\n`);
const daemons: DaemonProcess[] = [];

function statsDelays(daemon: DaemonProcess): number[] {
  return daemon.lines.filter((l) => / stats /.test(l)).map((l) => Number(/loop_delay_max_ms=([\d.]+)/.exec(l)?.[1] ?? NaN));
}

/** No model: the daemon learns until the window holds 200,000 rows, then trains in worker threads while the writer keeps going. */
async function whileTraining(corpus: Corpus): Promise<{ delays: number[]; trainMs: string; maxEverMs: number }> {
  const site = makeSite(join(root, 'training'));
  writeIni(site, corpus, {
    training: { min_rows: String(WINDOW), sample_every: '1', window_max_rows: '1000000' },
    model: { k: '15', n_init: '4', seed: '3' },
    scoring: { rule: null, rarity_threshold: null },
  });
  const daemon = new DaemonProcess(site, { autoKill: false });
  daemons.push(daemon);
  await daemon.waitForLine(/started/);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  let writing = true;
  const written = writePaced(writer, corpus.records, { perSecond: RATE, rotateEvery: 50_000, chunk: 200 }).finally(() => {
    writing = false;
  });
  await daemon.waitForLine(/model in use/, 90_000);
  const installedWhileWriting = writing;
  const statsSeen = daemon.lines.length;
  await waitFor('two more stats lines', () => daemon.lines.slice(statsSeen).filter((l) => / stats /.test(l)).length >= 2, 30_000);
  const stillWriting = writing;
  await written;
  writer.close();
  const retrained = daemon.lines.find((l) => /retrained reason=/.test(l)) ?? '';
  // Without these the figure would not be the one claimed: say so instead of printing it.
  if (!(installedWhileWriting && stillWriting)) throw new Error(`the model was not trained and installed while the writer ran at ${RATE}/s\n${daemon.tail()}`);
  const status = JSON.parse(readFileSync(join(site.stateDir, 'status.json'), 'utf8')) as { eventLoopDelay: { maxEverMs: number } | null };
  await daemon.terminate();
  if ((readProgress(site)?.records ?? 0) < WINDOW) throw new Error(`fewer than ${WINDOW} records checkpointed`);
  return { delays: statsDelays(daemon), trainMs: / ms=(\d+)/.exec(retrained)?.[1] ?? '?', maxEverMs: status.eventLoopDelay?.maxEverMs ?? NaN };
}

/** The same writer and rate, a pinned model, no training. */
async function baseline(corpus: Corpus): Promise<number[]> {
  const site = makeSite(join(root, 'baseline'));
  writeIni(site, corpus, { scoring: { rule: null, rarity_threshold: null }, model: { k: '15', n_init: '2' } });
  installModel(site, corpus, corpus.records.slice(0, 50_000));
  const daemon = new DaemonProcess(site, { autoKill: false });
  daemons.push(daemon);
  await daemon.waitForLine(/started/);
  const writer = new ZeekWriter(site.livePath, corpus.header);
  const written = writePaced(writer, corpus.records.slice(0, RATE * BASELINE_INTERVALS), { perSecond: RATE, rotateEvery: 50_000, chunk: 200 });
  await written;
  writer.close();
  await waitFor('stats lines', () => statsDelays(daemon).length >= 5, 30_000);
  await daemon.terminate();
  return statsDelays(daemon);
}

const worstOf = (delays: readonly number[]): number => Math.max(...delays);
const median = (delays: readonly number[]): number => [...delays].sort((a, b) => a - b)[Math.floor(delays.length / 2)] ?? NaN;

try {
  const corpus = makeCorpus(root, 400_000, 9);
  const training = await whileTraining(corpus);
  const base = await baseline(corpus);
  if (!training.delays.every(Number.isFinite) || training.delays.length < 5) throw new Error(`stats lines lack loop_delay_max_ms: ${training.delays.join(',')}`);
  const worst = worstOf(training.delays);
  report(`loop delay, worst stats interval, retraining ${WINDOW.toLocaleString('en')} rows at ${RATE.toLocaleString('en')}/s`, `${worst.toFixed(1)} ms (target <= ${TARGET_MS} ms)${worst <= TARGET_MS ? '' : ' OVER TARGET'}`);
  report('  median stats interval / status.json lifetime max', `${median(training.delays).toFixed(1)} ms / ${training.maxEverMs.toFixed(1)} ms`);
  report('  that training (k 15, n_init 4)', `${training.trainMs} ms`);
  report('baseline: same rate, pinned model, no training, worst', `${worstOf(base).toFixed(1)} ms (median ${median(base).toFixed(1)} ms)`);
  report('ratio worst training / worst baseline', (worst / worstOf(base)).toFixed(2));
} finally {
  for (const daemon of daemons) if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
