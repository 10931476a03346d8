import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NOTEBOOK_TIME_BINS } from '../../src/features/options.js';
import { hourLabels, LocalClock, WEEKDAYS } from '../../src/features/time-bins.js';
import { isDaemonError } from '../../src/errors.js';

void test('the notebook bins cover every hour, with the notebook labels', () => {
  const labels = hourLabels(NOTEBOOK_TIME_BINS, 'UNCOVERED');
  assert.equal(labels.length, 24);
  assert.ok(!labels.includes('UNCOVERED'));
  assert.deepEqual(
    [labels[0], labels[1], labels[2], labels[5], labels[6], labels[9], labels[10], labels[13]],
    ['late_night', 'late_night', 'early_morning', 'early_morning', 'morning', 'morning', 'afternoon', 'afternoon'],
  );
  assert.deepEqual(
    [labels[14], labels[17], labels[18], labels[21], labels[22], labels[23]],
    ['evening', 'evening', 'night', 'night', 'late_night', 'late_night'],
  );
});

void test('any partition of the day into bins covers every hour with its own bin', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 23 }), { maxLength: 23 }), (cuts) => {
      const bounds = [0, ...cuts.sort((a, b) => a - b), 24];
      const bins = bounds.slice(0, -1).map((from, i) => ({
        fromHour: from,
        toHour: (bounds[i + 1] ?? 24) - 1,
        label: `bin${i}`,
      }));
      const labels = hourLabels(bins, 'UNCOVERED');
      for (let hour = 0; hour < 24; hour++) {
        const owner = bins.findIndex((b) => b.fromHour <= hour && hour <= b.toHour);
        assert.equal(labels[hour], `bin${owner}`);
      }
    }),
  );
});

void test('uncovered hours get the fallback, bad bins are refused', () => {
  const labels = hourLabels([{ fromHour: 9, toHour: 17, label: 'office' }], 'missing');
  assert.equal(labels[8], 'missing');
  assert.equal(labels[9], 'office');
  assert.throws(
    () => hourLabels([{ fromHour: 5, toHour: 2, label: 'x' }, { fromHour: 0, toHour: 24, label: 'y' }], 'm'),
    (e: unknown) => isDaemonError(e) && e.code === 'ERR_CONFIG_INVALID',
  );
});

void test('UTC hour and weekday agree with Date for any timestamp', () => {
  const clock = new LocalClock('UTC');
  fc.assert(
    fc.property(fc.double({ min: -1e10, max: 4e9, noNaN: true }), (ts) => {
      const date = new Date(Math.floor(ts) * 1000);
      assert.equal(clock.hour(ts), date.getUTCHours());
      assert.equal(clock.weekday(ts), (date.getUTCDay() + 6) % 7);
    }),
  );
  // The golden rule: whole seconds first, so a ts just below an hour boundary stays in its hour.
  assert.equal(clock.hour(3599.9999999999995), 0);
});

for (const zone of ['America/New_York', 'Asia/Kolkata', 'Australia/Adelaide', 'Asia/Kathmandu', 'Europe/Berlin']) {
  void test(`${zone}: cached hour and weekday agree with Intl, across DST changes`, () => {
    const clock = new LocalClock(zone);
    const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23', weekday: 'long' });
    const check = (ts: number): void => {
      const parts = format.formatToParts(Math.floor(ts) * 1000);
      const hour = Number(parts.find((p) => p.type === 'hour')?.value) % 24;
      const weekday = parts.find((p) => p.type === 'weekday')?.value.toLowerCase();
      assert.equal(clock.hour(ts), hour, `hour at ${ts}`);
      assert.equal(WEEKDAYS[clock.weekday(ts)], weekday, `weekday at ${ts}`);
    };
    // Every 7 minutes through 2024 (both DST changes of every zone listed), plus random instants.
    for (let ts = 1704067200; ts < 1735689600; ts += 7 * 60 + 13) check(ts);
    fc.assert(fc.property(fc.integer({ min: 0, max: 4102444800 }), (ts) => check(ts)), { numRuns: 500 });
  });
}

void test('an unknown time zone is a config error', () => {
  assert.throws(
    () => new LocalClock('Mars/Olympus_Mons'),
    (e: unknown) => isDaemonError(e) && e.code === 'ERR_CONFIG_INVALID',
  );
});
