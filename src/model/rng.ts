/**
 * numpy's legacy `RandomState` stream (MT19937 seeded with `init_genrand`, bounded integers by
 * masked rejection). K-Modes draws only bounded integers, so replicating this one generator lets
 * a seed here mean the same thing as `random_state` in Python's kmodes: the same per-run seeds,
 * the same Huang value draws and the same empty-cluster draws.
 */

const N = 624;
const M = 397;

/** A seeded MT19937 generator with numpy-legacy bounded integer draws. */
export class Mt19937 {
  readonly #state = new Uint32Array(N);
  #index = N;

  /** @param seed an unsigned 32-bit integer (numpy `RandomState(seed)`). */
  constructor(seed: number) {
    const mt = this.#state;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1] ?? 0;
      const x = (prev ^ (prev >>> 30)) >>> 0;
      // 1812433253 * x overflows 2^53, so multiply in 16-bit halves to stay exact mod 2^32.
      mt[i] = ((((x >>> 16) * 1812433253) << 16) + (x & 0xffff) * 1812433253 + i) >>> 0;
    }
  }

  /** Next raw 32-bit output. */
  nextUint32(): number {
    const mt = this.#state;
    if (this.#index >= N) {
      for (let k = 0; k < N; k++) {
        const y = ((mt[k] ?? 0) & 0x80000000) | ((mt[(k + 1) % N] ?? 0) & 0x7fffffff);
        mt[k] = ((mt[(k + M) % N] ?? 0) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      this.#index = 0;
    }
    let y = mt[this.#index++] ?? 0;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, maxInclusive] (maxInclusive < 2^32), as `randint(0, maxInclusive + 1)`. */
  bounded(maxInclusive: number): number {
    if (maxInclusive === 0) return 0;
    let mask = maxInclusive;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= maxInclusive) return value;
    }
  }
}

/** The largest value numpy's `np.iinfo(np.int32).max` allows as an exclusive bound. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * Per-run seeds exactly as kmodes draws them up front:
 * `RandomState(masterSeed).randint(np.iinfo(np.int32).max, size=nInit)`.
 */
export function runSeeds(masterSeed: number, nInit: number): number[] {
  const master = new Mt19937(masterSeed);
  const seeds: number[] = [];
  for (let i = 0; i < nInit; i++) seeds.push(master.bounded(INT32_MAX - 1));
  return seeds;
}
