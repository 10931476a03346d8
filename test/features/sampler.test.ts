import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrainingSampler } from '../../src/features/sampler.js';

const takeMany = (sampler: TrainingSampler, n: number): number[] => {
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (sampler.take()) kept.push(i);
  return kept;
};

void test('deterministic mode keeps exactly every Nth record', () => {
  const kept = takeMany(new TrainingSampler({ every: 20, mode: 'deterministic' }), 1000);
  assert.equal(kept.length, 50);
  assert.ok(kept.every((index) => (index + 1) % 20 === 0));
  assert.equal(takeMany(new TrainingSampler({ every: 1, mode: 'deterministic' }), 7).length, 7);
});

for (const mode of ['deterministic', 'random'] as const) {
  void test(`${mode} mode resumes after a restart exactly where it stopped`, () => {
    const straight = takeMany(new TrainingSampler({ every: 7, mode, seed: 42 }), 5000);
    const first = new TrainingSampler({ every: 7, mode, seed: 42 });
    const before = takeMany(first, 2345);
    const state = JSON.parse(JSON.stringify(first.state())) as { seen: number };
    const second = new TrainingSampler({ every: 7, mode, seed: 42 });
    second.restore(state);
    const after = takeMany(second, 5000 - 2345).map((i) => i + 2345);
    assert.deepEqual([...before, ...after], straight);
  });
}

void test('random mode keeps about 1 in N, depends on the seed, and is not periodic', () => {
  const n = 200_000;
  const a = takeMany(new TrainingSampler({ every: 20, mode: 'random', seed: 1 }), n);
  const b = takeMany(new TrainingSampler({ every: 20, mode: 'random', seed: 2 }), n);
  // Binomial(200000, 0.05): sd ≈ 97, so ±600 is > 6 sigma.
  assert.ok(Math.abs(a.length - n / 20) < 600, `kept ${a.length}`);
  assert.ok(Math.abs(b.length - n / 20) < 600, `kept ${b.length}`);
  assert.notDeepEqual(a.slice(0, 50), b.slice(0, 50));
  const residues = new Set(a.slice(0, 200).map((i) => i % 20));
  assert.ok(residues.size > 10, 'kept indexes should not share one residue');
});

void test('bad settings and bad states are refused', () => {
  assert.throws(() => new TrainingSampler({ every: 0, mode: 'random' }), RangeError);
  assert.throws(() => new TrainingSampler({ every: 2.5, mode: 'deterministic' }), RangeError);
  assert.throws(() => new TrainingSampler({ every: 2, mode: 'random' }).restore({ seen: -1 }), RangeError);
});
