/**
 * Issue #15's target on the WHOLE daemon: `run -c INI` as a child process (started as the
 * systemd unit starts it, `--max-old-space-size=768`), real files, a 1,000,000-row training
 * window filled from the log (sample_every = 1), a retrain on the full window, then more records
 * scored with the new model. Peak RSS is the kernel's high-water mark (VmHWM in
 * /proc/PID/status), read after the window is full and after the retrain and the scoring, or the
 * highest VmRSS sampled every 200 ms if that is higher (the kernel updates VmHWM lazily).
 *
 * Two runs in the same invocation: ordinary traffic (the product's generator) as the baseline,
 * and a flood in which every record carries a value never seen before in every string feature
 * (client and server address, named pipe, endpoint, operation), so 1M distinct values per
 * feature reach the tailer, the training window, #13's routine statistics (routine-stats.json),
 * the encoder and the fit. Also checked: the daemon stays up, every record is counted, and the
 * anomalies it wrote are exactly (line for line, each once) those of the offline `score` of the
 * records after the retrain with the model the daemon trained (before it, there is no model).
 *
 * Target: peak RSS <= 250 MB in the flood run. `ZAD_FLOOD_ROWS` shrinks it for a quick look.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonProcess, liveAnomalies, makeCorpus, makeSite, offlineAnomalies, readProgress, uidOfAnomaly, waitFor, writeIni, ZeekWriter, type Corpus } from '../test/daemon/harness.js';

const WINDOW_ROWS = Number(process.env['ZAD_FLOOD_ROWS'] ?? 1_000_000);
const AFTER_RETRAIN = Math.round(WINDOW_ROWS / 10);
/**
 * As the systemd unit runs the daemon: the node flags of its ExecStart and its Environment=
 * settings, read from systemd/zeek-anomalyd.service. `ZAD_FLOOD_UNIT_FLAGS=0` runs it without.
 */
const UNIT = readFileSync(fileURLToPath(new URL('../../systemd/zeek-anomalyd.service', import.meta.url)), 'utf8');
const withUnit = process.env['ZAD_FLOOD_UNIT_FLAGS'] !== '0';
const NODE_OPTIONS = withUnit ? (/^ExecStart=\S+\s+(.*?)\s+\S+\/cli\.js /m.exec(UNIT)?.[1] ?? '').split(/\s+/).filter((flag) => flag.startsWith('--')) : [];
const UNIT_ENV = withUnit ? [...UNIT.matchAll(/^Environment=(\w+)=(\S*)$/gm)].map(([, key, value]) => [key as string, value as string] as const) : [];
// The daemon child inherits this process's environment (test/daemon/harness.ts DaemonProcess).
for (const [key, value] of UNIT_ENV) process.env[key] = value;
/** More node flags for the daemon (e.g. `--heap-prof`), split on spaces. */
const EXTRA_NODE_OPTIONS = (process.env['ZAD_FLOOD_NODE_OPTIONS'] ?? '').split(' ').filter((flag) => flag !== '');
/**
 * `ZAD_FLOOD_MEM_TRACE=FILE`: the daemon samples its heap beside its RSS every 100 ms into FILE
 * (bench/mem-trace.ts), and the bench writes each run's phase changes there too.
 */
const MEM_TRACE = process.env['ZAD_FLOOD_MEM_TRACE'] ?? '';
if (MEM_TRACE !== '') {
  process.env['ZAD_MEM_TRACE'] = MEM_TRACE;
  EXTRA_NODE_OPTIONS.push('--import', fileURLToPath(new URL('./mem-trace.js', import.meta.url)));
}
/** `ZAD_FLOOD_ONLY=flood` skips the ordinary-traffic baseline. */
const ONLY = process.env['ZAD_FLOOD_ONLY'];
const root = mkdtempSync(join(tmpdir(), 'zeek-anomalyd-flood-bench-'));
const report = (label: string, value: string): void => void process.stdout.write(`${label.padEnd(60)} ${value}\n`);

/** The corpus with a new value in every string feature of every record. */
function flooded(corpus: Corpus): Corpus {
  const fields = /^#fields\t(.*)$/m.exec(corpus.header)?.[1]?.split('\t') ?? [];
  const at = (name: string): number => {
    const index = fields.indexOf(name);
    if (index < 0) throw new Error(`no ${name} column`);
    return index;
  };
  const [origHost, respHost, pipe, endpoint, operation] = ['id.orig_h', 'id.resp_h', 'named_pipe', 'endpoint', 'operation'].map(at) as [number, number, number, number, number];
  const records = corpus.records.map((line, i) => {
    const values = line.split('\t');
    values[origHost] = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    values[respHost] = `172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`;
    values[pipe] = `\\pipe\\flood${i.toString(36)}`;
    // As Zeek writes what it cannot name (a UUID, `unknown-N`): a made-up name would read as a
    // documented call, which a thin baseline holds back, and the flood would stop being flagged.
    values[endpoint] = `${i.toString(16).padStart(8, '0')}-f100-4d00-8000-${(Math.imul(i, 2654435761) >>> 0).toString(16).padStart(12, '0')}`;
    values[operation] = `unknown-${i}`;
    return values.join('\t');
  });
  return { ...corpus, records };
}

/** Peak RSS per phase of a run: sampled from /proc/PID/status (VmRSS) every 200 ms. */
type Phase = 'filling' | 'retrain' | 'scoring' | 'stopping';

interface RunFigures {
  afterWindowMb: number;
  phasePeakMb: Record<Phase, number>;
  /** Wall time to read the window full, and to score the records after the retrain. */
  fillMs: number;
  scoreMs: number;
  /** CPU seconds (user + system, all threads) of the daemon up to the end of the scoring. */
  cpuSeconds: number;
  peakMb: number;
  records: number;
  anomalies: number;
  duplicates: number;
  /** Offline anomalies the daemon did not write, and lines it wrote that the offline score has not. */
  lost: number;
  extra: number;
  trainedRows: string;
  trainMs: string;
  routineStatsKb: number;
  up: boolean;
}

async function run(name: string, corpus: Corpus): Promise<RunFigures> {
  const site = makeSite(join(root, name));
  writeIni(site, corpus, {
    training: { sample_every: '1', window_max_rows: String(WINDOW_ROWS), min_rows: String(WINDOW_ROWS) },
    model: { k: '15', n_init: '4' },
    scoring: { rule: null, rarity_threshold: null },
  });
  // As the systemd unit runs it (systemd/zeek-anomalyd.service ExecStart).
  const daemon = new DaemonProcess(site, { autoKill: false, nodeOptions: [...NODE_OPTIONS, ...EXTRA_NODE_OPTIONS] });
  const phasePeakMb: Record<Phase, number> = { filling: 0, retrain: 0, scoring: 0, stopping: 0 };
  let phase: Phase = 'filling';
  const enter = (next: Phase): void => {
    phase = next;
    if (MEM_TRACE !== '') appendFileSync(MEM_TRACE, `${JSON.stringify({ t: Date.now(), run: name, phase })}\n`);
  };
  enter('filling');
  const status = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  let lastHwm = 0;
  // A rise of VmHWM between two samples is a peak the VmRSS samples missed: it is charged to the
  // phase in which it was seen, so the per-phase figures add up to the run's peak.
  const sampler = setInterval(() => {
    try {
      const rss = status('VmRSS');
      const hwm = status('VmHWM');
      const seen = Math.max(Number.isFinite(rss) ? rss : 0, Number.isFinite(hwm) && hwm > lastHwm ? hwm : 0);
      if (Number.isFinite(hwm)) lastHwm = Math.max(lastHwm, hwm);
      phasePeakMb[phase] = Math.max(phasePeakMb[phase], seen);
    } catch {
      // The child has gone: nothing to sample.
    }
  }, 200);
  try {
    await daemon.waitForLine(/started/, 60_000);
    const hwm = (): number => status('VmHWM');
    const writer = new ZeekWriter(site.livePath, corpus.header);
    const total = WINDOW_ROWS + AFTER_RETRAIN;
    const fillStarted = Date.now();
    for (let i = 0; i < WINDOW_ROWS; i += 20_000) {
      writer.append(corpus.records.slice(i, Math.min(i + 20_000, WINDOW_ROWS)));
      if (writer.linesInFile >= 100_000) writer.rotate();
      await sleep(5);
    }
    await waitFor(() => `the window full (records ${readProgress(site)?.records})\n${daemon.tail()}`, () => (readProgress(site)?.records ?? 0) >= WINDOW_ROWS, 600_000);
    const fillMs = Date.now() - fillStarted;
    const afterWindowMb = hwm();
    enter('retrain');
    const retrained = await daemon.waitForLine(/retrained reason=|retrain failed/, 600_000);
    const modelId = /model in use model=(\S+)/.exec(await daemon.waitForLine(/model in use/, 60_000))?.[1] ?? '?';
    enter('scoring');
    // More of the same traffic, scored by the model trained on it, in a file of its own.
    if (writer.linesInFile > 0) writer.rotate();
    const scoreStarted = Date.now();
    writer.append(corpus.records.slice(WINDOW_ROWS, total));
    writer.close();
    await waitFor(() => `all ${total} records (at ${readProgress(site)?.records})\n${daemon.tail()}`, () => readProgress(site)?.records === total, 600_000);
    const scoreMs = Date.now() - scoreStarted;
    await sleep(1500);
    const hwmScored = hwm();
    // utime and stime, fields 14 and 15 of /proc/PID/stat (after the parenthesised name), in ticks of 1/100 s.
    const stat = readFileSync(`/proc/${daemon.child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100;
    const up = daemon.child.exitCode === null;
    const progress = readProgress(site);
    // The stop (SIGTERM) saves the window and the routine statistics: part of the peak too.
    enter('stopping');
    const stop = await daemon.terminate();
    clearInterval(sampler);
    // VmHWM can miss a peak: the kernel updates the high-water mark lazily (at unmaps, exit), so
    // an RSS that rose and fell between two such events is seen only by the 200 ms samples.
    const peakMb = Math.max(hwmScored, ...Object.values(phasePeakMb));
    const live = liveAnomalies(site);
    const uids = live.map(uidOfAnomaly);
    const offline = offlineAnomalies(site, join(site.stateDir, 'models', `${modelId}.json`), [site.livePath]);
    const liveLines = new Set(live);
    const offlineLines = new Set(offline);
    let routineStatsKb = 0;
    try {
      routineStatsKb = Math.round(readFileSync(join(site.stateDir, 'routine-stats.json')).length / 1024);
    } catch {
      // Not written: reported as 0.
    }
    return {
      afterWindowMb,
      phasePeakMb,
      fillMs,
      scoreMs,
      cpuSeconds,
      peakMb,
      records: progress?.records ?? 0,
      anomalies: uids.length,
      duplicates: uids.length - new Set(uids).size,
      lost: offline.filter((line) => !liveLines.has(line)).length,
      extra: live.filter((line) => !offlineLines.has(line)).length,
      trainedRows: /rows=(\d+)/.exec(retrained)?.[1] ?? `? (${retrained})`,
      trainMs: / ms=(\d+)/.exec(retrained)?.[1] ?? '?',
      routineStatsKb,
      up: up && stop.code === 0,
    };
  } finally {
    clearInterval(sampler);
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
  }
}

try {
  const ordinary = makeCorpus(root, WINDOW_ROWS + AFTER_RETRAIN, 21);
  const base = ONLY === 'flood' ? null : await run('ordinary', ordinary);
  const flood = await run('flood', flooded(ordinary));
  const total = WINDOW_ROWS + AFTER_RETRAIN;
  report(`whole daemon, ${WINDOW_ROWS.toLocaleString('en')}-row window, retrain, then ${AFTER_RETRAIN.toLocaleString('en')} more`, '');
  report('  node flags of the daemon', [...NODE_OPTIONS, ...EXTRA_NODE_OPTIONS].join(' ') || '(none)');
  report('  environment from the unit', UNIT_ENV.map(([key, value]) => `${key}=${value}`).join(' ') || '(none)');
  const runs = [['ordinary traffic (baseline)', base], ['flood: a new value in every feature of every record', flood]] as const;
  for (const [label, figures] of runs) {
    if (figures === null) continue;
    const phases = (Object.entries(figures.phasePeakMb) as [Phase, number][]).map(([name, mb]) => `${name} ${mb.toFixed(0)}`).join(', ');
    report(`  ${label}: peak RSS (VmHWM or samples)`, `${figures.peakMb.toFixed(0)} MB (window full: ${figures.afterWindowMb.toFixed(0)} MB)`);
    report('    peak RSS per phase (VmRSS or a VmHWM rise, every 200 ms), MB', phases);
    report('    wall ms: window filled, records after the retrain scored', `${figures.fillMs}, ${figures.scoreMs} (load ${loadavg()[0]?.toFixed(2)})`);
    report('    daemon CPU (user + system) to the end of the scoring', `${figures.cpuSeconds.toFixed(1)} s`);
    report('    records counted / expected', `${figures.records} / ${total}`);
    report('    anomalies, duplicated uids', `${figures.anomalies}, ${figures.duplicates}`);
    report('    vs offline score: lost, extra lines', `${figures.lost}, ${figures.extra}`);
    report('    retrain rows, ms; routine-stats.json', `${figures.trainedRows}, ${figures.trainMs} ms; ${figures.routineStatsKb} KB`);
    report('    stayed up, clean stop', String(figures.up));
  }
  if (base !== null) report('ratio flood / ordinary peak RSS', (flood.peakMb / base.peakMb).toFixed(2));
  report('target: flood peak RSS <= 250 MB', flood.peakMb <= 250 ? 'met' : 'NOT met');
  const exact = [base ?? flood, flood].every((f) => f.up && f.records === total && f.duplicates === 0 && f.lost === 0 && f.extra === 0);
  report('target: stayed up, 0 lost and 0 duplicated anomalies (both runs)', exact ? 'met' : 'NOT met');
} finally {
  rmSync(root, { recursive: true, force: true });
}
