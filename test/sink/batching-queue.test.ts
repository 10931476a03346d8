import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { BatchingQueue } from '../../src/sink/batching-queue.js';

void test('flushes as soon as maxItems wait, in order', async () => {
  const batches: number[][] = [];
  const queue = new BatchingQueue<number>({
    maxItems: 3,
    flushIntervalMs: 60_000,
    flush: (items) => {
      batches.push(items);
      return Promise.resolve();
    },
    onError: (error) => assert.fail(String(error)),
  });
  for (let i = 0; i < 7; i++) queue.push(i);
  await queue.flush();
  assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5], [6]]);
});

void test('flushes within the interval after the first item', async () => {
  const batches: string[][] = [];
  const queue = new BatchingQueue<string>({
    maxItems: 100,
    flushIntervalMs: 50,
    flush: (items) => {
      batches.push(items);
      return Promise.resolve();
    },
    onError: (error) => assert.fail(String(error)),
  });
  queue.push('a');
  queue.push('b');
  assert.equal(batches.length, 0);
  await sleep(150);
  assert.deepEqual(batches, [['a', 'b']]);
  assert.equal(queue.pending, 0);
});

void test('a failing flush is reported and later flushes still run', async () => {
  const errors: unknown[] = [];
  const batches: number[][] = [];
  let fail = true;
  const queue = new BatchingQueue<number>({
    maxItems: 1,
    flush: (items) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('disk full'));
      }
      batches.push(items);
      return Promise.resolve();
    },
    onError: (error) => errors.push(error),
  });
  queue.push(1);
  queue.push(2);
  await queue.flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(batches, [[2]]);
});
