import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ageSeconds, DaemonMetrics, METRIC_PREFIX, type BatchTotals, type DaemonMetricsOptions } from '../../src/metrics/index.js';
import { declaredNames, parseExposition, sample } from './exposition.js';

const created: DaemonMetrics[] = [];
after(() => {
  for (const metrics of created) metrics.close();
});

/** A DaemonMetrics without node's default metrics (they are tested once, below). */
function metricsWith(options: DaemonMetricsOptions = {}): DaemonMetrics {
  const metrics = new DaemonMetrics({ defaultMetrics: false, ...options });
  created.push(metrics);
  return metrics;
}

async function scrape(metrics: DaemonMetrics): Promise<Map<string, number>> {
  return parseExposition(await metrics.scrape());
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Holding the event loop on purpose: this is the delay being measured.
  }
}

void describe('DaemonMetrics registry output', () => {
  void it('counts the totals of every batch it is given', async () => {
    const metrics = metricsWith();
    const batches: BatchTotals[] = [];
    for (let i = 0; i < 25; i++) {
      batches.push({ records: (i * 37) % 101, parseErrors: i % 3, anomalies: (i * 7) % 5, suppressed: i % 4 === 0 ? 2 : 0 });
    }
    const before = await scrape(metrics);
    for (const name of ['records', 'parse_errors', 'anomalies', 'suppressed']) {
      assert.equal(sample(before, `${METRIC_PREFIX}${name}_total`), 0, `${name} starts at 0`);
    }
    for (const totals of batches) metrics.batch(totals);
    const sum = (key: keyof BatchTotals): number => batches.reduce((total, b) => total + b[key], 0);
    const after = await scrape(metrics);
    assert.equal(sample(after, 'zeek_anomalyd_records_total'), sum('records'));
    assert.equal(sample(after, 'zeek_anomalyd_parse_errors_total'), sum('parseErrors'));
    assert.equal(sample(after, 'zeek_anomalyd_anomalies_total'), sum('anomalies'));
    assert.equal(sample(after, 'zeek_anomalyd_suppressed_total'), sum('suppressed'));
  });

  void it('exposes the model only while one scores, with its age computed at scrape time', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    const metrics = metricsWith({ clock: () => now });
    const modelSeries = (samples: Map<string, number>): string[] =>
      [...samples.keys()].filter((series) => series.startsWith(`${METRIC_PREFIX}model_`));
    assert.deepEqual(modelSeries(await scrape(metrics)), [], 'nothing about a model while learning');

    const first = { modelId: 'km-20260301T110000Z-0123456789ab', createdAt: '2026-03-01T11:00:00.000Z', cost: 321.5 };
    metrics.setModel(first);
    const scored = await scrape(metrics);
    assert.equal(sample(scored, `zeek_anomalyd_model_age_seconds{model_id="${first.modelId}"}`), (now - Date.parse(first.createdAt)) / 1000);
    assert.equal(sample(scored, `zeek_anomalyd_model_cost{model_id="${first.modelId}"}`), first.cost);

    now += 90_000;
    const later = await scrape(metrics);
    assert.equal(sample(later, `zeek_anomalyd_model_age_seconds{model_id="${first.modelId}"}`), (now - Date.parse(first.createdAt)) / 1000);

    const second = { modelId: 'km-b', createdAt: new Date(now).toISOString(), cost: 10 };
    metrics.setModel(second);
    const swapped = await scrape(metrics);
    assert.deepEqual(modelSeries(swapped).sort(), [
      'zeek_anomalyd_model_age_seconds{model_id="km-b"}',
      'zeek_anomalyd_model_cost{model_id="km-b"}',
    ]);
    assert.equal(sample(swapped, 'zeek_anomalyd_model_age_seconds{model_id="km-b"}'), 0);

    metrics.setModel(null);
    assert.deepEqual(modelSeries(await scrape(metrics)), []);
  });

  void it('reads lag per file at scrape time and forgets files no longer followed', async () => {
    let files = [
      { path: '/logs/current/dce_rpc.log', bytes: 4096 },
      { path: '/logs/other/dce_rpc.log', bytes: 0 },
    ];
    const metrics = metricsWith({ lag: () => files });
    const first = await scrape(metrics);
    for (const file of files) assert.equal(sample(first, `zeek_anomalyd_lag_bytes{path="${file.path}"}`), file.bytes);

    files = [{ path: '/logs/current/dce_rpc.log', bytes: 17 }];
    metrics.setLag('/manual.log', 5);
    const second = await scrape(metrics);
    assert.equal(sample(second, 'zeek_anomalyd_lag_bytes{path="/logs/current/dce_rpc.log"}'), 17);
    assert.equal(second.has('zeek_anomalyd_lag_bytes{path="/logs/other/dce_rpc.log"}'), false);
    assert.equal(sample(second, 'zeek_anomalyd_lag_bytes{path="/manual.log"}'), 5);

    metrics.setLag('/manual.log', null);
    assert.equal((await scrape(metrics)).has('zeek_anomalyd_lag_bytes{path="/manual.log"}'), false);
  });

  void it('reads the window size at scrape time', async () => {
    let rows = 0;
    const metrics = metricsWith({ windowRows: () => rows });
    assert.equal(sample(await scrape(metrics), 'zeek_anomalyd_window_rows'), 0);
    rows = 123_456;
    assert.equal(sample(await scrape(metrics), 'zeek_anomalyd_window_rows'), rows);
  });

  void it('keeps training durations in a histogram per result', async () => {
    const metrics = metricsWith();
    const installed = [0.4, 3.2, 75];
    for (const seconds of installed) metrics.trainingFinished('installed', seconds);
    metrics.trainingFinished('failed', 12);
    const samples = await scrape(metrics);
    assert.equal(sample(samples, 'zeek_anomalyd_training_duration_seconds_count{result="installed"}'), installed.length);
    assert.equal(
      sample(samples, 'zeek_anomalyd_training_duration_seconds_sum{result="installed"}'),
      installed.reduce((a, b) => a + b, 0),
    );
    assert.equal(sample(samples, 'zeek_anomalyd_training_duration_seconds_count{result="failed"}'), 1);
    const upTo5 = installed.filter((s) => s <= 5).length;
    assert.equal(sample(samples, 'zeek_anomalyd_training_duration_seconds_bucket{le="5",result="installed"}'), upTo5);
  });

  void it('reports event-loop delay since the previous scrape', async () => {
    const metrics = metricsWith({ eventLoopResolutionMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    // Long enough that the calm window after it cannot match it by a loaded machine's scheduling
    // pauses alone (a 300 ms stall could be, with five test processes on two cores).
    busyWait(1000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stalled = await scrape(metrics);
    const stalledMax = sample(stalled, 'zeek_anomalyd_event_loop_delay_seconds{stat="max"}');
    assert.ok(stalledMax >= 0.95, `a 1000 ms stall shows as max ${stalledMax}s`);
    assert.ok(sample(stalled, 'zeek_anomalyd_event_loop_delay_seconds{stat="p99"}') <= stalledMax);

    await new Promise((resolve) => setTimeout(resolve, 60));
    const calm = await scrape(metrics);
    const calmMax = sample(calm, 'zeek_anomalyd_event_loop_delay_seconds{stat="max"}');
    assert.ok(calmMax < stalledMax, `the stall is forgotten after a scrape (max ${calmMax}s)`);
  });

  void it('keeps every metric, node defaults included, under the prefix and in its own registry', async () => {
    const a = new DaemonMetrics();
    const b = new DaemonMetrics();
    created.push(a, b);
    a.recordsRead(5);
    const text = await a.scrape();
    const names = declaredNames(text);
    assert.ok(names.includes('zeek_anomalyd_process_resident_memory_bytes'), 'node default metrics are there');
    assert.deepEqual(
      names.filter((name) => !name.startsWith(METRIC_PREFIX)),
      [],
    );
    assert.equal(sample(parseExposition(text), 'zeek_anomalyd_records_total'), 5);
    assert.equal(sample(parseExposition(await b.scrape()), 'zeek_anomalyd_records_total'), 0, 'b is not fed by a');
  });
});

void describe('ageSeconds', () => {
  void it('is the time since creation, never negative, 0 for an unreadable date', () => {
    const createdAt = '2026-01-01T00:00:00Z';
    const built = Date.parse(createdAt);
    assert.equal(ageSeconds(createdAt, built + 2500), 2.5);
    assert.equal(ageSeconds(createdAt, built - 10_000), 0);
    assert.equal(ageSeconds('not a date', built), 0);
  });
});
