/** The off-thread fit: same model as the synchronous fit, and the caller's event loop keeps turning. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitKModes, type FitOptions } from '../../src/model/fit.js';
import { serializeModel } from '../../src/model/model.js';
import { fitKModesInWorkers } from '../../src/model/workers.js';

/** A deterministic skewed matrix (xorshift), big enough that a fit takes real time. */
function generate(count: number): string[][] {
  let state = 0x2545f491;
  const next = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const u = (state >>> 0) / 2 ** 32;
    return Math.floor(u * u * n);
  };
  return Array.from({ length: count }, () => [`dept${next(8)}`, `srv${next(12)}`, `op${next(30)}`, `bin${next(6)}`]);
}

void describe('fitKModesInWorkers', () => {
  const rows = generate(200_000);
  const options: FitOptions = {
    k: 15,
    nInit: 4,
    init: 'huang',
    seed: 11,
    featureNames: ['a', 'b', 'c', 'd'],
    createdAt: new Date('2026-03-01T00:00:00Z'),
  };

  void it('gives the same model byte for byte as fitKModes, without stalling the event loop', async () => {
    let longestGapMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 5);
    const parallel = await fitKModesInWorkers(rows, options, { maxWorkers: 2, rowsPerSlice: 10_000 });
    clearInterval(timer);
    const started = performance.now();
    const serial = fitKModes(rows, options);
    const serialMs = performance.now() - started;
    assert.equal(serializeModel(parallel), serializeModel(serial));
    // The synchronous fit blocks for serialMs; the worker fit must never block for long.
    assert.ok(longestGapMs < Math.max(100, serialMs / 2), `event loop stalled ${longestGapMs} ms (sync fit ${serialMs} ms)`);
  });

  void it('rejects bad options with ERR_TRAIN', async () => {
    await assert.rejects(fitKModesInWorkers(rows.slice(0, 3), { ...options, k: 4 }), { code: 'ERR_TRAIN' });
  });
});
