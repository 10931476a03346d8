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

void test('streams: stream 0 is the plain sequence; other streams are independent samples at the same rate', () => {
  for (const mode of ['deterministic', 'random'] as const) {
    const plain = takeMany(new TrainingSampler({ every: 20, mode, seed: 5 }), 20_000);
    assert.deepEqual(takeMany(new TrainingSampler({ every: 20, mode, seed: 5, stream: 0 }), 20_000), plain);
    const phases = new Set<number>();
    for (let stream = 1; stream <= 12; stream++) {
      const kept = takeMany(new TrainingSampler({ every: 20, mode, seed: 5, stream }), 20_000);
      if (mode === 'deterministic') {
        // Still exactly every 20th, from a phase of its own.
        assert.equal(kept.length, 1000);
        assert.ok(kept.every((index, i) => i === 0 || index - (kept[i - 1] as number) === 20));
        phases.add((kept[0] as number) % 20);
      } else {
        assert.ok(Math.abs(kept.length - 1000) < 200, `stream ${stream} kept ${kept.length}`);
        assert.notDeepEqual(kept.slice(0, 20), plain.slice(0, 20));
      }
    }
    if (mode === 'deterministic') assert.ok(phases.size > 3, `phases ${[...phases].join(',')}`);
  }
  assert.throws(() => new TrainingSampler({ every: 2, mode: 'random', stream: -1 }), RangeError);
});
