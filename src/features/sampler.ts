/**
 * Keeps one record in N for training. Both modes are a pure function of (seed, record counter),
 * so the whole state is the counter: persist `state()`, `restore()` it after a restart, and the
 * same records are kept as if the process had never stopped.
 */

/** `deterministic`: every Nth record; `random`: each record with probability 1/N (seeded). */
export type SampleMode = 'deterministic' | 'random';

/** Sampler settings. */
export interface TrainingSamplerOptions {
  /** Keep one record in `every` (an integer ≥ 1; 1 keeps everything). */
  every: number;
  mode: SampleMode;
  /** Seed for `random` mode; ignored by `deterministic`. @default 0 */
  seed?: number;
  /**
   * Which of several independent sequences to draw (e.g. one per file of an archive, so each
   * file's sample can be taken apart from the others, in any order). 0 is the plain sequence;
   * another stream changes the random mode's seed and the deterministic mode's phase. @default 0
   */
  stream?: number;
}

/** What to persist to resume sampling exactly. */
export interface TrainingSamplerState {
  /** Records offered to `take()` so far. */
  seen: number;
}

/** Decides, record by record, whether a record goes into the training window. */
export class TrainingSampler {
  readonly #every: number;
  readonly #mode: SampleMode;
  readonly #seed: number;
  readonly #threshold: number;
  /** Deterministic mode: records skipped before the first kept one (0 for stream 0). */
  readonly #phase: number;
  #seen = 0;

  /** @throws RangeError when `every` is not an integer ≥ 1. */
  constructor(options: TrainingSamplerOptions) {
    if (!Number.isInteger(options.every) || options.every < 1) {
      throw new RangeError(`sampler: 'every' must be an integer >= 1, got ${options.every}`);
    }
    this.#every = options.every;
    this.#mode = options.mode;
    const seed = (options.seed ?? 0) >>> 0;
    const stream = options.stream ?? 0;
    if (!Number.isSafeInteger(stream) || stream < 0) throw new RangeError(`sampler: 'stream' must be an integer >= 0, got ${stream}`);
    this.#seed = stream === 0 ? seed : (seed ^ mix32(stream, 0x2545f491)) >>> 0;
    this.#phase = stream === 0 ? 0 : mix32(stream, seed) % options.every;
    this.#threshold = 2 ** 32 / options.every;
  }

  /** True when the next record should be kept. */
  take(): boolean {
    const index = this.#seen++;
    if (this.#mode === 'deterministic') return (index + this.#phase + 1) % this.#every === 0;
    return this.#every === 1 || mix32(index, this.#seed) < this.#threshold;
  }

  /** The counter, to persist. */
  state(): TrainingSamplerState {
    return { seen: this.#seen };
  }

  /** Continues from a persisted counter. */
  restore(state: TrainingSamplerState): void {
    if (!Number.isSafeInteger(state.seen) || state.seen < 0) {
      throw new RangeError(`sampler: bad state.seen ${String(state.seen)}`);
    }
    this.#seen = state.seen;
  }
}

/**
 * A well-mixed unsigned 32-bit hash of (counter, seed) (murmur3-style finaliser over both halves
 * of the counter), so the random mode needs no generator state.
 */
function mix32(counter: number, seed: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ (counter >>> 0);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.floor(counter / 2 ** 32);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
