import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { RetrainScheduler } from '../../src/scheduler/retrain-scheduler.js';
import type { Logger } from '../../src/scheduler/logger.js';

const EVERY_SECOND = '*/1 * * * * *';

/** A logger that remembers every line. */
function recorder(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

void describe('RetrainScheduler on a real per-second schedule', { concurrency: true }, () => {
  void test('a slow job is never run twice at once; the overlapping ticks are skipped and logged', async () => {
    const logger = recorder();
    let concurrent = 0;
    let maxConcurrent = 0;
    let release: () => void = () => undefined;
    const scheduler = new RetrainScheduler({
      expression: EVERY_SECOND,
      logger,
      job: async () => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise<void>((resolve) => (release = resolve));
        concurrent -= 1;
      },
    });
    scheduler.start();
    try {
      await until(() => scheduler.stats().skippedOverlap >= 1);
      assert.equal((await scheduler.runNow()).status, 'skipped');
      assert.equal(scheduler.stats().started, 1);
      release();
      await scheduler.idle();
      await until(() => scheduler.stats().started >= 2);
    } finally {
      scheduler.stop();
      release();
      await scheduler.idle();
    }
    assert.equal(maxConcurrent, 1);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message.includes('still running')));
  });

  void test('a failing job is logged and later ticks still run', async () => {
    const logger = recorder();
    const scheduler = new RetrainScheduler({
      expression: EVERY_SECOND,
      logger,
      job: () => Promise.reject(new Error('fit exploded')),
    });
    scheduler.start();
    try {
      await until(() => scheduler.stats().failed >= 2);
    } finally {
      scheduler.stop();
    }
    assert.ok(logger.lines.filter((l) => l.level === 'error' && l.message.includes('failed')).length >= 2);
  });

  void test("node-cron's own warnings (missed ticks) go to our logger, not the console", async () => {
    const moduleUrl = new URL('../../src/scheduler/retrain-scheduler.js', import.meta.url).href;
    const script = `
      const { RetrainScheduler } = await import(${JSON.stringify(moduleUrl)});
      const lines = [];
      const at = (level) => (message) => lines.push({ level, message });
      const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
      const scheduler = new RetrainScheduler({ expression: '*/1 * * * * *', logger, job: async () => {} });
      scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const until = Date.now() + 3200;
      while (Date.now() < until); // block the loop so ticks are missed
      await new Promise((resolve) => setTimeout(resolve, 1200));
      scheduler.stop();
      process.stdout.write(JSON.stringify(lines));
    `;
    // Asynchronous, so the other schedule tests running beside this one keep their event loop.
    const child = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(child.stderr, '');
    assert.ok(!child.stdout.includes('[NODE-CRON]'));
    const lines = JSON.parse(child.stdout) as { level: string; message: string }[];
    assert.ok(
      lines.some((l) => l.level === 'warn' && l.message.startsWith('scheduler: node-cron (retrain): missed execution')),
      JSON.stringify(lines),
    );
  });

  void test('stop() stops the ticks', async () => {
    let runs = 0;
    const scheduler = new RetrainScheduler({ expression: EVERY_SECOND, logger: recorder(), job: () => {
      runs++;
      return Promise.resolve();
    } });
    scheduler.start();
    assert.ok((scheduler.nextRunAt()?.getTime() ?? 0) > Date.now() - 1000);
    await until(() => runs >= 1);
    scheduler.stop();
    assert.equal(scheduler.nextRunAt(), null);
    const seen = runs;
    await sleep(2200);
    assert.equal(runs, seen);
  });
});

void test('runNow reports completed and failed outcomes', async () => {
  let fail = false;
  const scheduler = new RetrainScheduler({
    expression: '0 3 * * *',
    logger: recorder(),
    job: () => (fail ? Promise.reject(new Error('no data')) : Promise.resolve()),
  });
  assert.equal((await scheduler.runNow()).status, 'completed');
  fail = true;
  const outcome = await scheduler.runNow();
  assert.equal(outcome.status, 'failed');
  assert.deepEqual(
    { ...scheduler.stats() },
    { started: 2, completed: 1, failed: 1, skippedOverlap: 0 },
  );
});

void test('nextRunAt follows the configured time zone', () => {
  const scheduler = new RetrainScheduler({ expression: '0 3 * * *', timeZone: 'Asia/Tokyo', logger: recorder(), job: () => Promise.resolve() });
  scheduler.start();
  try {
    const next = scheduler.nextRunAt();
    assert.ok(next !== null);
    // 03:00 in Tokyo (UTC+9, no DST) is 18:00 UTC.
    assert.equal(next.getUTCHours(), 18);
    assert.equal(next.getUTCMinutes(), 0);
    assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 24 * 3600_000);
  } finally {
    scheduler.stop();
  }
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

void test('a started scheduler does not keep the process alive and prints nothing of its own', () => {
  const moduleUrl = new URL('../../src/scheduler/retrain-scheduler.js', import.meta.url).href;
  const script = `
    const { RetrainScheduler } = await import(${JSON.stringify(moduleUrl)});
    const quiet = { info() {}, warn() {}, error() {}, debug() {} };
    new RetrainScheduler({ expression: '*/1 * * * * *', logger: quiet, job: async () => {} }).start();
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(child.status, 0, child.stderr);
  assert.ok(Date.now() - started < 5000, 'the process exited on its own');
  assert.equal(child.stdout, '');
});
