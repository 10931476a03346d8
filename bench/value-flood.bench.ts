/**
 * Issue #15 item 2: peak RSS of what the daemon holds for learning (the training window and a
 * retrain from it: training set, K-Modes fit, calibration) with a 1,000,000-row window in which
 * every row carries new values in every string column (a flood of 1M distinct values per
 * feature), next to the same run on ordinary traffic (values repeat) as the same-run baseline.
 * Each case runs in its own child process so their peaks do not mix. Target: <= 250 MB.
 * Not the whole daemon (no tailing, no output): the structures the flood grows.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../src/config/index.js';
import { trainModel, TrainingSetBuilder } from '../src/score/index.js';
import { TrainingWindow } from '../src/state/training-window.js';
import type { DceRpcRecord } from '../src/zeek/dce-rpc-record.js';

const ROWS = Number(process.env.VALUE_FLOOD_ROWS ?? 1_000_000);

async function child(mode: 'flood' | 'normal'): Promise<void> {
  const started = performance.now();
  const window = new TrainingWindow({ maxRows: ROWS, maxAgeMs: 0 });
  for (let i = 0; i < ROWS; i += 1) {
    const unique = mode === 'flood' ? i : i % 50;
    window.add({
      ts: 1_760_000_000 + i * 0.6,
      origHost: mode === 'flood' ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `10.0.0.${i % 200}`,
      respHost: mode === 'flood' ? `172.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `10.200.0.${i % 20}`,
      respPort: 445,
      namedPipe: `\\pipe\\p${unique}`,
      endpoint: `Endpoint${unique}`,
      operation: `ForgedOperation${unique}xxxxxxxxxxxx`,
    });
  }
  const config = defaultConfig({});
  const builder = new TrainingSetBuilder(config.features, { minHosts: config.scoring.techniqueMinHosts, minShare: config.scoring.techniqueMinShare }, window.size);
  const record: DceRpcRecord = { ts: 0, uid: null, origHost: null, origPort: null, respHost: null, respPort: null, rtt: null, namedPipe: null, endpoint: null, operation: null };
  for (let i = 0; i < window.size; i += 1) builder.add(window.readRow(i, record));
  const set = builder.build();
  const model = await trainModel(set.matrix, { k: 15, nInit: 2, init: 'huang', seed: 1, maxIter: 20, featureNames: set.featureNames, timeSpan: set.timeSpan, techniques: set.techniques });
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const vocabulary = Math.max(...Object.values(window.dictionarySizes()));
  process.stdout.write(
    `${JSON.stringify({ mode, rows: window.size, peakRssMb: Math.round(peakMb), largestWindowDictionary: vocabulary, folded: window.foldedValues(), trainedRows: model.training.rows, seconds: Math.round((performance.now() - started) / 100) / 10 })}\n`,
  );
}

function runChild(mode: string): { peakRssMb: number; [key: string]: unknown } {
  const result = spawnSync(process.execPath, ['--max-old-space-size=1024', fileURLToPath(import.meta.url), mode], { encoding: 'utf8', env: { ...process.env } });
  if (result.status !== 0) throw new Error(`${mode} run failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { peakRssMb: number };
}

const mode = process.argv[2];
if (mode === 'flood' || mode === 'normal') {
  await child(mode);
} else {
  const normal = runChild('normal');
  const flood = runChild('flood');
  process.stdout.write(`value flood, ${ROWS} rows in the window, train k=15 n_init=2:\n`);
  process.stdout.write(`  ordinary traffic: peak RSS ${normal.peakRssMb} MB  ${JSON.stringify(normal)}\n`);
  process.stdout.write(`  1M distinct values per feature: peak RSS ${flood.peakRssMb} MB  ${JSON.stringify(flood)}\n`);
  process.stdout.write(`  ratio flood/ordinary: ${(flood.peakRssMb / normal.peakRssMb).toFixed(2)}x; target <= 250 MB: ${flood.peakRssMb <= 250 ? 'met' : 'NOT met'}\n`);
}
