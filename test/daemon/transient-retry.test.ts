/** The daemon's retry through transient I/O failures, in-process (no daemon, no disk). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { TransientRetry } from '../../src/daemon/transient-retry.js';
import type { Logger } from '../../src/log.js';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push(`${level} ${message} ${JSON.stringify(meta ?? {})}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

void test('a transient errno is retried until the operation succeeds: reported once, counted per retry, recovery logged', async () => {
  const log = recordingLog();
  const retries: string[] = [];
  const retry = new TransientRetry({ log, stopping: () => false, onRetry: (code) => retries.push(code) });
  let calls = 0;
  const result = await retry.run('progress save', () => {
    calls += 1;
    return calls <= 2 ? Promise.reject(errno('ENOSPC')) : Promise.resolve('saved');
  });
  assert.equal(result, 'saved');
  assert.equal(calls, 3);
  assert.deepEqual(retries, ['ENOSPC', 'ENOSPC']);
  assert.equal(log.lines.filter((line) => line.startsWith('warn progress save failed')).length, 1, log.lines.join('\n'));
  assert.ok(log.lines.some((line) => line.startsWith('info progress save recovered') && line.includes('"retries":2')), log.lines.join('\n'));
});

void test('an errno that does not pass (EACCES) and an error without one are thrown at once', async () => {
  const retry = new TransientRetry({ log: recordingLog(), stopping: () => false });
  let calls = 0;
  await assert.rejects(
    retry.run('anomalies.log write', () => {
      calls += 1;
      return Promise.reject(errno('EACCES'));
    }),
    { code: 'EACCES' },
  );
  await assert.rejects(retry.run('anomalies.log write', () => Promise.reject(new TypeError('a bug'))), TypeError);
  assert.equal(calls, 1);
});

void test('stopping ends the backoff wait: wake() makes the retry throw instead of waiting out the backoff', async () => {
  let stopping = false;
  const retry = new TransientRetry({ log: recordingLog(), stopping: () => stopping });
  let calls = 0;
  let backoffElapsed = false;
  const running = retry.run('training window save', () => {
    calls += 1;
    if (calls === 4) {
      // The 4th failure waits 800 ms; the stop comes at once, and a timer due just before the
      // backoff would end tells whether the wait was cut short (timers run in due order).
      setTimeout(() => (backoffElapsed = true), 790);
      setImmediate(() => {
        stopping = true;
        retry.wake();
      });
    }
    return Promise.reject(errno('EIO'));
  });
  await assert.rejects(running, { code: 'EIO' });
  // Woken during the 4th wait and thrown on the 5th attempt, because the daemon is stopping.
  assert.equal(calls, 5);
  assert.equal(backoffElapsed, false, 'the retry waited out its backoff instead of being woken');
});
