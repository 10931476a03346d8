import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { RetrainScheduler } from '../../src/scheduler/retrain-scheduler.js';
import type { Logger } from '../../src/log.js';
import { ManualClock, settle } from '../helpers/manual-clock.js';

const EVERY_SECOND = '*/1 * * * * *';
const START = Date.parse('2026-05-10T10:00:00.250Z');

/** A logger that remembers every line. */
function recorder(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

/** A job that stays running until released. */
function heldJob(): { job: () => Promise<void>; release: () => void; concurrent: () => number; maxConcurrent: () => number } {
  let concurrent = 0;
  let maxConcurrent = 0;
  const waiting: (() => void)[] = [];
  return {
    job: async () => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise<void>((resolve) => waiting.push(resolve));
      concurrent -= 1;
    },
    release: () => waiting.splice(0).forEach((resolve) => resolve()),
    concurrent: () => concurrent,
    maxConcurrent: () => maxConcurrent,
  };
}

void test('ticks fire at the due instants and nowhere else', async () => {
  const clock = new ManualClock(START);
  const runs: number[] = [];
  const scheduler = new RetrainScheduler({ expression: '*/10 * * * * *', logger: recorder(), clock, job: () => {
    runs.push(clock.now());
    return Promise.resolve();
  } });
  scheduler.start();
  assert.equal(scheduler.nextRunAt()?.toISOString(), '2026-05-10T10:00:10.000Z');
  await clock.advance(9_749);
  assert.deepEqual(runs, []);
  await clock.advance(1);
  await clock.advance(25_000);
  assert.deepEqual(runs.map((t) => new Date(t).toISOString()), ['2026-05-10T10:00:10.000Z', '2026-05-10T10:00:20.000Z', '2026-05-10T10:00:30.000Z']);
  assert.equal(scheduler.nextRunAt()?.toISOString(), '2026-05-10T10:00:40.000Z');
  assert.equal(clock.pending, 1, 'exactly one timer is armed');
  scheduler.stop();
});

void test('a slow job is never run twice at once; the overlapping ticks are skipped and logged', async () => {
  const logger = recorder();
  const clock = new ManualClock(START);
  const held = heldJob();
  const scheduler = new RetrainScheduler({ expression: EVERY_SECOND, logger, clock, job: held.job });
  scheduler.start();
  await clock.advance(1_000); // first run starts and holds
  assert.equal(scheduler.busy, true);
  await clock.advance(3_000); // three ticks find it running
  assert.equal(scheduler.stats().skippedOverlap, 3);
  assert.equal((await scheduler.runNow()).status, 'skipped');
  assert.equal(scheduler.stats().started, 1);
  held.release();
  await scheduler.idle();
  assert.equal(scheduler.busy, false);
  await clock.advance(1_000);
  assert.equal(scheduler.stats().started, 2);
  held.release();
  await scheduler.idle();
  scheduler.stop();
  assert.equal(held.maxConcurrent(), 1);
  assert.equal(logger.lines.filter((l) => l.level === 'warn' && l.message.includes('still running')).length, 4);
});

void test('a failing job is logged and later ticks still run', async () => {
  const logger = recorder();
  const clock = new ManualClock(START);
  const scheduler = new RetrainScheduler({ expression: EVERY_SECOND, logger, clock, job: () => Promise.reject(new Error('fit exploded')) });
  scheduler.start();
  await clock.advance(3_000);
  scheduler.stop();
  assert.equal(scheduler.stats().failed, 3);
  assert.equal(logger.lines.filter((l) => l.level === 'error' && l.message === 'scheduler: retrain failed').length, 3);
});

void test('runs missed while the loop was blocked are counted and logged, then the job runs once', async () => {
  const logger = recorder();
  const clock = new ManualClock(START);
  let runs = 0;
  const scheduler = new RetrainScheduler({ expression: EVERY_SECOND, logger, clock, job: () => {
    runs++;
    return Promise.resolve();
  } });
  scheduler.start();
  await clock.advance(1_000);
  assert.equal(runs, 1);
  clock.jump(3_200); // due at :02, :03, :04 while nothing could run
  await clock.runDue();
  assert.equal(runs, 2, 'one catch-up run, not a burst');
  assert.equal(scheduler.stats().missed, 2);
  assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message === 'scheduler: retrain missed 2 run(s); running once now'), JSON.stringify(logger.lines));
  assert.equal(scheduler.nextRunAt()?.toISOString(), '2026-05-10T10:00:05.000Z');
  scheduler.stop();
});

void test('a timer that wakes early (clock stepped back, wait over 24.8 days) waits again instead of running', async () => {
  const clock = new ManualClock(START);
  let runs = 0;
  const scheduler = new RetrainScheduler({ expression: '0 0 1 1 *', logger: recorder(), clock, job: () => {
    runs++;
    return Promise.resolve();
  } });
  scheduler.start();
  const due = scheduler.nextRunAt()?.getTime() ?? 0;
  assert.equal(new Date(due).toISOString(), '2027-01-01T00:00:00.000Z');
  clock.stepWallClock(-60_000); // the timer keeps its time line, so it fires a minute before due
  await clock.advance(due - START);
  assert.equal(runs, 0);
  assert.equal(clock.pending, 1);
  await clock.advance(60_000);
  assert.equal(runs, 1);
  scheduler.stop();
});

void test('a schedule that is never due again is logged and arms nothing', () => {
  const logger = recorder();
  const clock = new ManualClock(START);
  const scheduler = new RetrainScheduler({ expression: '0 0 1 * 1#5', logger, clock, job: () => Promise.resolve() });
  scheduler.start();
  assert.equal(scheduler.nextRunAt(), null);
  assert.equal(clock.pending, 0);
  assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message === 'scheduler: retrain is never due again'));
});

void test('stop() disarms the timer; start() is idempotent', async () => {
  const clock = new ManualClock(START);
  let runs = 0;
  const scheduler = new RetrainScheduler({ expression: EVERY_SECOND, logger: recorder(), clock, job: () => {
    runs++;
    return Promise.resolve();
  } });
  scheduler.start();
  scheduler.start();
  assert.equal(clock.pending, 1);
  await clock.advance(1_000);
  assert.equal(runs, 1);
  scheduler.stop();
  assert.equal(scheduler.nextRunAt(), null);
  assert.equal(clock.pending, 0);
  await clock.advance(10_000);
  assert.equal(runs, 1);
});

void test('runNow reports completed and failed outcomes with their duration on the clock', async () => {
  const clock = new ManualClock(START);
  let fail = false;
  const scheduler = new RetrainScheduler({
    expression: '0 3 * * *',
    logger: recorder(),
    clock,
    job: async () => {
      await settle();
      clock.jump(1_500);
      if (fail) throw new Error('no data');
    },
  });
  const completed = await scheduler.runNow();
  assert.deepEqual(completed, { status: 'completed', durationMs: 1_500 });
  fail = true;
  const outcome = await scheduler.runNow();
  assert.equal(outcome.status, 'failed');
  assert.deepEqual({ ...scheduler.stats() }, { started: 2, completed: 1, failed: 1, skippedOverlap: 0, missed: 0 });
});

void test('nextRunAt follows the configured time zone', () => {
  const clock = new ManualClock(START);
  const scheduler = new RetrainScheduler({ expression: '0 3 * * *', timeZone: 'Asia/Tokyo', logger: recorder(), clock, job: () => Promise.resolve() });
  assert.equal(scheduler.nextRunAt(), null, 'not started');
  scheduler.start();
  // 03:00 in Tokyo (UTC+9, no DST) is 18:00 UTC.
  assert.equal(scheduler.nextRunAt()?.toISOString(), '2026-05-10T18:00:00.000Z');
  scheduler.stop();
});

void test('invalid expressions and time zones are config errors', () => {
  const job = (): Promise<void> => Promise.resolve();
  assert.throws(
    () => new RetrainScheduler({ expression: '61 * * * *', logger: recorder(), job }),
    (error: unknown) => (error as { code?: string }).code === 'ERR_CONFIG_INVALID',
  );
  assert.throws(
    () => new RetrainScheduler({ expression: '0 3 * * *', timeZone: 'Mars/Olympus', logger: recorder(), job }),
    (error: unknown) => (error as { code?: string }).code === 'ERR_CONFIG_INVALID',
  );
});

void test('on the system clock a started scheduler does not keep the process alive and prints nothing of its own', () => {
  const moduleUrl = new URL('../../src/scheduler/retrain-scheduler.js', import.meta.url).href;
  const script = `
    const { RetrainScheduler } = await import(${JSON.stringify(moduleUrl)});
    const quiet = { info() {}, warn() {}, error() {}, debug() {} };
    new RetrainScheduler({ expression: '*/1 * * * * *', logger: quiet, job: async () => {} }).start();
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    encoding: 'utf8',
    // Generous: a timer that kept the process alive would tick forever, so any finite limit decides.
    timeout: 60_000,
  });
  assert.equal(child.signal, null, 'the process exited on its own');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, '');
  assert.equal(child.stderr, '');
});
