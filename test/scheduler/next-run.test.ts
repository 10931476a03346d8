import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import cron from 'node-cron';
import { compileSchedule, nextRunAfter } from '../../src/scheduler/next-run.js';

const at = (iso: string): number => Date.parse(iso);
const next = (expression: string, timeZone: string, afterIso: string): string | null => {
  const due = nextRunAfter(compileSchedule(expression, timeZone), at(afterIso));
  return due === null ? null : new Date(due).toISOString();
};

void test('a daily time in UTC: later today, else tomorrow; strictly after the given instant', () => {
  assert.equal(next('17 3 * * *', 'UTC', '2026-05-10T01:00:00Z'), '2026-05-10T03:17:00.000Z');
  assert.equal(next('17 3 * * *', 'UTC', '2026-05-10T03:17:00Z'), '2026-05-11T03:17:00.000Z');
  assert.equal(next('17 3 * * *', 'UTC', '2026-05-10T03:16:59.999Z'), '2026-05-10T03:17:00.000Z');
  assert.equal(next('17 3 * * *', 'UTC', '2026-12-31T23:59:00Z'), '2027-01-01T03:17:00.000Z');
});

void test('the expression is read in its time zone', () => {
  // 03:00 in Tokyo (UTC+9, no DST) is 18:00 UTC the day before.
  assert.equal(next('0 3 * * *', 'Asia/Tokyo', '2026-05-10T12:00:00Z'), '2026-05-10T18:00:00.000Z');
  assert.equal(next('0 3 * * *', 'Asia/Tokyo', '2026-05-10T18:00:00Z'), '2026-05-11T18:00:00.000Z');
  // Half-hour zone.
  assert.equal(next('0 0 * * *', 'Asia/Kolkata', '2026-05-10T00:00:00Z'), '2026-05-10T18:30:00.000Z');
});

void test('clocks going forward skip a wall time that does not exist; going back repeat one', () => {
  // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT, so 02:30 does not happen that night.
  assert.equal(next('30 2 * * *', 'America/New_York', '2026-03-07T12:00:00Z'), '2026-03-09T06:30:00.000Z');
  assert.equal(next('30 3 * * *', 'America/New_York', '2026-03-07T12:00:00Z'), '2026-03-08T07:30:00.000Z');
  // 2026-11-01: 02:00 EDT becomes 01:00 EST, so 01:30 happens at 05:30Z and again at 06:30Z.
  assert.equal(next('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z'), '2026-11-01T05:30:00.000Z');
  assert.equal(next('30 1 * * *', 'America/New_York', '2026-11-01T05:30:00Z'), '2026-11-01T06:30:00.000Z');
  assert.equal(next('30 1 * * *', 'America/New_York', '2026-11-01T06:30:00Z'), '2026-11-02T06:30:00.000Z');
  // Inside the repeated hour, a later wall time of the first pass comes before the second pass.
  assert.equal(next('10,50 1 * * *', 'America/New_York', '2026-11-01T05:20:00Z'), '2026-11-01T05:50:00.000Z');
  assert.equal(next('10,50 1 * * *', 'America/New_York', '2026-11-01T05:55:00Z'), '2026-11-01T06:10:00.000Z');
});

void test("seconds, steps, node-cron's day tokens and day-of-week names", () => {
  assert.equal(next('*/20 * * * * *', 'UTC', '2026-05-10T10:00:41Z'), '2026-05-10T10:01:00.000Z');
  assert.equal(next('0 0 L * *', 'UTC', '2026-02-10T00:00:00Z'), '2026-02-28T00:00:00.000Z');
  assert.equal(next('0 0 L * *', 'UTC', '2028-02-10T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  assert.equal(next('0 9 * * mon', 'UTC', '2026-05-10T10:00:00Z'), '2026-05-11T09:00:00.000Z'); // 10 May 2026 is a Sunday
  assert.equal(next('0 9 * * 5#2', 'UTC', '2026-05-01T10:00:00Z'), '2026-05-08T09:00:00.000Z');
  assert.equal(next('0 0 29 2 *', 'UTC', '2026-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
});

void test('a schedule that never matches gives null instead of looping', () => {
  // Day 1 that is also the fifth Monday of its month: valid to node-cron, never on a calendar.
  assert.equal(next('0 0 1 * 1#5', 'UTC', '2026-01-01T00:00:00Z'), null);
  // Whereas a fifth Monday on 29 February comes, 18 years on.
  assert.equal(next('0 0 29 2 1#5', 'UTC', '2026-01-01T00:00:00Z'), '2044-02-29T00:00:00.000Z');
});

void test("every due instant matches node-cron's own rule and none is skipped (random schedules, zones, instants)", () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago'];
  const expression = fc
    .tuple(
      fc.constantFrom('0', '30', '*/15', '5,45'),
      fc.constantFrom('0', '*/7', '13', '0-59/20'),
      fc.constantFrom('*', '1,2,3', '*/5', '23'),
      fc.constantFrom('*', '1', '15', 'L'),
      fc.constantFrom('*', '3', '10-11'),
      fc.constantFrom('*', '0', '1-5', 'sat'),
    )
    .map((fields) => fields.join(' '));
  fc.assert(
    fc.property(expression, fc.constantFrom(...zones), fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }), (expr, zone, after) => {
      const schedule = compileSchedule(expr, zone);
      const task = cron.createTask(expr, () => undefined, { timezone: zone });
      void task.destroy();
      const due = nextRunAfter(schedule, after);
      assert.ok(due !== null && due > after);
      const show = (t: number): string => `${expr} in ${zone} after ${new Date(after).toISOString()}: ${new Date(t).toISOString()}`;
      assert.ok(task.match(new Date(due)), `${show(due)} does not match`);
      // Nothing matches in the 20 minutes after the start and before the due instant, second by second.
      const first = Math.ceil((after + 1) / 1000) * 1000;
      for (const [from, to] of [[first, Math.min(due, first + 1_200_000)], [Math.max(first, due - 1_200_000), due]] as const) {
        for (let t = from; t < to; t += 1000) assert.ok(!task.match(new Date(t)), `${show(t)} matches before the due instant`);
      }
      // And from any instant in between, the same instant is due next.
      for (const fraction of [0.1, 0.5, 0.9]) {
        const between: number = after + Math.floor((due - after) * fraction);
        if (between < due) assert.equal(nextRunAfter(schedule, between), due, show(between));
      }
    }),
    { seed: 1616, numRuns: 40 },
  );
});

void test('invalid expressions and time zones are config errors', () => {
  const code = (error: unknown): unknown => (error as { code?: string }).code;
  assert.throws(() => compileSchedule('61 * * * *'), (error: unknown) => code(error) === 'ERR_CONFIG_INVALID');
  assert.throws(() => compileSchedule('0 3 * * *', 'Mars/Olympus'), (error: unknown) => code(error) === 'ERR_CONFIG_INVALID');
});
