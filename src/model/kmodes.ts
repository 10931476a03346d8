/**
 * The K-Modes algorithm with the exact semantics of Python kmodes 0.12.2 (matching
 * dissimilarity, unit weights): Huang / Cao / explicit initialisation, a batch first assignment,
 * online per-row passes with kmodes' mode-update and tie rules, empty clusters refilled as kmodes
 * does, and its stopping rule. Pure computation on an {@link EncodedMatrix}; no I/O.
 *
 * Speed comes from the data's shape: the batch passes (first assignment, cost, labels) run once
 * per distinct row and are weighted; the online pass must visit every row in input order (that is
 * what makes it faithful), but it caches each distinct row's nearest centroid until any centroid
 * changes, and the distance loop exits as soon as a centroid can no longer win.
 */
import { DaemonError } from '../errors.js';
import type { EncodedMatrix } from './encoding.js';
import { Mt19937, runSeeds } from './rng.js';

/** Initial centroids, given as encoded codes (one row of `featureCount` codes per cluster). */
export type CentroidCodes = Uint16Array;

/** How one run starts. */
export type InitPlan =
  | { readonly kind: 'huang' }
  | { readonly kind: 'cao' }
  | { readonly kind: 'explicit'; readonly centroids: CentroidCodes };

/** Parameters of a fit on an encoded matrix, after defaults and kmodes' overrides. */
export interface RunPlan {
  /** Clusters per run (already lowered to the distinct-row count when that is ≤ k). */
  readonly k: number;
  readonly init: InitPlan;
  /** Per-run seeds (kmodes draws them up front from the master seed); its length is nInit. */
  readonly runSeeds: readonly number[];
  readonly maxIter: number;
  /** True when the data has no more distinct rows than the requested k (kmodes' shortcut). */
  readonly distinctRowsAtMostK: boolean;
}

/** Intermediate states of a run, kept only when asked for (golden tests compare them). */
export interface RunTrace {
  readonly initialCentroids: Uint16Array;
  readonly centroidsAfterInitialUpdate: Uint16Array;
  readonly centroidsAfterEachPass: Uint16Array[];
  readonly movesPerPass: number[];
  readonly emptyClusterEvents: number;
}

/** The outcome of one run. */
export interface RunResult {
  readonly runIndex: number;
  /** Final centroids, `k × featureCount` codes. */
  readonly centroids: Uint16Array;
  /** Nearest final centroid of each distinct row (lowest index on ties). */
  readonly distinctLabels: Uint16Array;
  /** Σ over rows of the distance to the nearest final centroid. */
  readonly cost: number;
  /** Iterations done (each is one online pass plus one cost pass). */
  readonly iterations: number;
  /** Cost after the first update, then after each iteration. */
  readonly epochCosts: number[];
  readonly trace?: RunTrace;
}

/** Validates k and the init, applies kmodes' overrides, and draws the run seeds. */
export function planRuns(
  matrix: EncodedMatrix,
  request: { k: number; nInit: number; init: InitPlan; seed: number; maxIter: number },
): RunPlan {
  const { k, nInit, seed, maxIter } = request;
  if (!Number.isInteger(k) || k < 1 || k > 0xffff) {
    throw new DaemonError('ERR_TRAIN', `model: k must be an integer in 1..65535, got ${k}`);
  }
  if (k > matrix.rowCount) {
    throw new DaemonError(
      'ERR_TRAIN',
      `model: k = ${k} is more than the ${matrix.rowCount} training rows`,
    );
  }
  if (!Number.isInteger(nInit) || nInit < 1) {
    throw new DaemonError('ERR_TRAIN', `model: nInit must be a positive integer, got ${nInit}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DaemonError('ERR_TRAIN', `model: seed must be an integer in 0..2^32-1, got ${seed}`);
  }
  if (!Number.isInteger(maxIter) || maxIter < 0) {
    throw new DaemonError('ERR_TRAIN', `model: maxIter must be a non-negative integer, got ${maxIter}`);
  }
  if (matrix.distinctCount <= k) {
    // kmodes: n_clusters = #unique, init = the unique rows, n_init = 1, max_iter = 0.
    const m = matrix.featureCount;
    return {
      k: matrix.distinctCount,
      init: { kind: 'explicit', centroids: matrix.distinctCodes.slice(0, matrix.distinctCount * m) },
      runSeeds: runSeeds(seed, 1),
      maxIter: 0,
      distinctRowsAtMostK: true,
    };
  }
  if (request.init.kind === 'explicit') {
    validateCentroidCodes(matrix, request.init.centroids, k);
  }
  // kmodes forces n_init = 1 for Cao and explicit starts: every run would be identical.
  const runs = request.init.kind === 'huang' ? nInit : 1;
  return { k, init: request.init, runSeeds: runSeeds(seed, runs), maxIter, distinctRowsAtMostK: false };
}

function validateCentroidCodes(matrix: EncodedMatrix, centroids: Uint16Array, k: number): void {
  const m = matrix.featureCount;
  if (centroids.length !== k * m) {
    throw new DaemonError(
      'ERR_TRAIN',
      `model: explicit init must have ${k} centroids of ${m} values, got ${centroids.length} values`,
    );
  }
  for (let i = 0; i < centroids.length; i++) {
    const f = i % m;
    if ((centroids[i] as number) >= (matrix.vocabularies[f] as string[]).length) {
      throw new DaemonError(
        'ERR_TRAIN',
        `model: explicit centroid ${Math.floor(i / m)} has code ${centroids[i]} out of range for feature ${f}`,
      );
    }
  }
}

/** Runs one initialisation + iteration of the plan (run `runIndex` of `plan.runSeeds`). */
export function runOne(
  matrix: EncodedMatrix,
  plan: RunPlan,
  runIndex: number,
  options: { trace?: boolean } = {},
): RunResult {
  const rng = new Mt19937(plan.runSeeds[runIndex] ?? 0);
  let initial: Uint16Array;
  switch (plan.init.kind) {
    case 'huang':
      initial = initHuang(matrix, plan.k, rng, plan.runSeeds[runIndex] ?? 0);
      break;
    case 'cao':
      initial = initCao(matrix, plan.k);
      break;
    case 'explicit':
      initial = plan.init.centroids.slice();
      break;
  }
  return new SingleRun(matrix, plan.k, initial, rng, options.trace === true).run(plan.maxIter, runIndex);
}

/** Runs every run of the plan in this thread; the lowest cost wins, the earlier run on a tie. */
export function runAll(matrix: EncodedMatrix, plan: RunPlan, options: { trace?: boolean } = {}): RunResult {
  let best: RunResult | undefined;
  for (let i = 0; i < plan.runSeeds.length; i++) {
    const result = runOne(matrix, plan, i, options);
    if (best === undefined || result.cost < best.cost) best = result;
  }
  return best as RunResult;
}

/** Picks the winner among results of possibly parallel runs (lowest cost, then lowest run index). */
export function pickBest(results: readonly RunResult[]): RunResult {
  const sorted = [...results].sort((a, b) => a.cost - b.cost || a.runIndex - b.runIndex);
  const best = sorted[0];
  if (best === undefined) throw new DaemonError('ERR_TRAIN', 'model: no run finished');
  return best;
}

/** Hamming distance between distinct row `u` and centroid `c`. */
function distance(X: Uint16Array, u: number, C: Uint16Array, c: number, m: number): number {
  let d = 0;
  const xb = u * m;
  const cb = c * m;
  for (let f = 0; f < m; f++) if (X[xb + f] !== C[cb + f]) d++;
  return d;
}

/** An exact key for a code vector: one number when the code space fits 2^53, else a string. */
function vectorKeyFunction(matrix: EncodedMatrix): (codes: Uint16Array, at: number) => number | string {
  const m = matrix.featureCount;
  const radix: number[] = [];
  let product = 1;
  for (const values of matrix.vocabularies) {
    radix.push(product);
    product *= values.length;
  }
  if (product > Number.MAX_SAFE_INTEGER) {
    return (codes, at) => codes.subarray(at, at + m).join(',');
  }
  return (codes, at) => {
    let key = 0;
    for (let f = 0; f < m; f++) key += (codes[at + f] as number) * (radix[f] as number);
    return key;
  };
}

/**
 * Huang's random vectors, drawn exactly as kmodes draws them from the run's generator: feature
 * by feature, k uniform positions in the sorted column (so a value comes with probability
 * freq / N).
 */
export function drawHuangVectors(matrix: EncodedMatrix, k: number, rng: Mt19937): Uint16Array {
  const { featureCount: m, distinctCount: U, distinctCodes: X, distinctWeights: W, rowCount: N } = matrix;
  const C = new Uint16Array(k * m);
  for (let f = 0; f < m; f++) {
    const cardinality = (matrix.vocabularies[f] as string[]).length;
    const cumulative = new Float64Array(cardinality + 1);
    for (let u = 0; u < U; u++) {
      const v = X[u * m + f] as number;
      cumulative[v + 1] = (cumulative[v + 1] as number) + (W[u] as number);
    }
    for (let v = 0; v < cardinality; v++) {
      cumulative[v + 1] = (cumulative[v + 1] as number) + (cumulative[v] as number);
    }
    for (let c = 0; c < k; c++) {
      const position = rng.bounded(N - 1);
      // The value at `position` of the sorted column: the last code whose start is ≤ position.
      let lo = 0;
      let hi = cardinality - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((cumulative[mid] as number) <= position) lo = mid;
        else hi = mid - 1;
      }
      C[c * m + f] = lo;
    }
  }
  return C;
}

/**
 * Huang init as kmodes does it: the random vectors of {@link drawHuangVectors}, then each is
 * replaced by the nearest data row that equals none of the k current centroid vectors. kmodes'
 * choice among rows at equal distance follows numpy's unstable argsort and cannot be
 * reproduced; here a tied vector is drawn with probability proportional to its row count, from a
 * stream seeded by `tieSeed`.
 */
export function initHuang(
  matrix: EncodedMatrix,
  k: number,
  rng: Mt19937,
  tieSeed: number,
): Uint16Array {
  const { featureCount: m, distinctCount: U, distinctCodes: X, distinctWeights: W } = matrix;
  const C = drawHuangVectors(matrix, k, rng);
  // numpy's argsort puts the rows at the minimum distance in an order that is arbitrary but
  // blind to where a row sits in the file, so each tied vector wins about in proportion to how
  // many rows carry it. A separate stream draws that choice, keeping `rng` aligned with kmodes'.
  const tieRng = new Mt19937((tieSeed ^ 0x5bd1e995) >>> 0);
  // How many of the k current centroid vectors each distinct row equals. Distinct rows are
  // unique vectors, so a centroid equals at most one of them: find it by hash, not by scanning.
  const vectorKey = vectorKeyFunction(matrix);
  const rowOfVector = new Map<number | string, number>();
  for (let u = 0; u < U; u++) rowOfVector.set(vectorKey(X, u * m), u);
  const centroidMatches = new Uint16Array(U);
  const adjustMatches = (c: number, delta: number): void => {
    const u = rowOfVector.get(vectorKey(C, c * m));
    if (u !== undefined) centroidMatches[u] = (centroidMatches[u] as number) + delta;
  };
  for (let c = 0; c < k; c++) adjustMatches(c, 1);
  const distances = new Uint8Array(U);
  for (let c = 0; c < k; c++) {
    let best = m + 1;
    let tiedWeight = 0;
    for (let u = 0; u < U; u++) {
      const d = Math.min(255, distance(X, u, C, c, m));
      distances[u] = d;
      if (d > best || centroidMatches[u] !== 0) continue;
      if (d < best) {
        best = d;
        tiedWeight = 0;
      }
      tiedWeight += W[u] as number;
    }
    let pick = tieRng.bounded(tiedWeight - 1);
    let chosen = -1;
    for (let u = 0; u < U && chosen < 0; u++) {
      if (distances[u] !== best || centroidMatches[u] !== 0) continue;
      pick -= W[u] as number;
      if (pick < 0) chosen = u;
    }
    // chosen ≥ 0 because there are more distinct rows than centroids (planRuns checks).
    adjustMatches(c, -1);
    C.set(X.subarray(chosen * m, chosen * m + m), c * m);
    adjustMatches(c, 1);
  }
  return C;
}

/**
 * Cao init (deterministic): density = mean relative frequency of a row's values, accumulated
 * feature by feature in kmodes' floating-point order; first the densest row, then the row that
 * maximises min-over-chosen(distance × density); the first maximum (lowest row index) wins.
 */
export function initCao(matrix: EncodedMatrix, k: number): Uint16Array {
  const { featureCount: m, distinctCount: U, distinctCodes: X, distinctWeights: W, rowCount: N } = matrix;
  const density = new Float64Array(U);
  for (let f = 0; f < m; f++) {
    const counts = new Float64Array((matrix.vocabularies[f] as string[]).length);
    for (let u = 0; u < U; u++) {
      const v = X[u * m + f] as number;
      counts[v] = (counts[v] as number) + (W[u] as number);
    }
    for (let u = 0; u < U; u++) {
      density[u] = (density[u] as number) + (counts[X[u * m + f] as number] as number) / N / m;
    }
  }
  const C = new Uint16Array(k * m);
  let first = 0;
  for (let u = 1; u < U; u++) if ((density[u] as number) > (density[first] as number)) first = u;
  C.set(X.subarray(first * m, first * m + m), 0);
  const minScore = new Float64Array(U).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let bestRow = 0;
    let bestScore = -Infinity;
    for (let u = 0; u < U; u++) {
      const score = distance(X, u, C, c - 1, m) * (density[u] as number);
      const s = Math.min(minScore[u] as number, score);
      minScore[u] = s;
      if (s > bestScore) {
        bestScore = s;
        bestRow = u;
      }
    }
    C.set(X.subarray(bestRow * m, bestRow * m + m), c * m);
  }
  return C;
}

/** Mutable state of one run: centroids, memberships and per-cluster value frequencies. */
class SingleRun {
  readonly #matrix: EncodedMatrix;
  readonly #k: number;
  readonly #m: number;
  readonly #C: Uint16Array;
  readonly #rng: Mt19937;
  readonly #trace: RunTrace | undefined;
  /** Offset of each feature's block inside one cluster's frequency table. */
  readonly #featureOffset: Int32Array;
  readonly #cardinality: Int32Array;
  readonly #tableSize: number;
  readonly #freq: Int32Array;
  /** kmodes keeps zero-count keys in its dicts; a mode over an all-zero table depends on them. */
  readonly #seen: Uint8Array;
  readonly #size: Int32Array;
  readonly #member: Uint16Array;
  /** Bumped whenever any centroid changes; a cached argmin is exact at its own version. */
  #version = 0;
  /** Bit mask of the centroids that changed at each version step (used when k ≤ 32). */
  #versionMasks = new Uint32Array(1024);
  /** Per distinct row: the version its cached nearest centroid and distance were computed at. */
  readonly #cacheVersion: Int32Array;
  readonly #cacheCluster: Uint16Array;
  readonly #cacheDistance: Uint16Array;
  #lastDistance = 0;

  constructor(matrix: EncodedMatrix, k: number, initial: Uint16Array, rng: Mt19937, trace: boolean) {
    this.#matrix = matrix;
    this.#k = k;
    this.#m = matrix.featureCount;
    this.#C = initial.slice();
    this.#rng = rng;
    this.#featureOffset = new Int32Array(this.#m);
    this.#cardinality = new Int32Array(this.#m);
    let total = 0;
    for (let f = 0; f < this.#m; f++) {
      this.#featureOffset[f] = total;
      const cardinality = (matrix.vocabularies[f] as string[]).length;
      this.#cardinality[f] = cardinality;
      total += cardinality;
    }
    this.#tableSize = total;
    this.#freq = new Int32Array(k * total);
    this.#seen = new Uint8Array(k * total);
    this.#size = new Int32Array(k);
    this.#member = new Uint16Array(matrix.rowCount);
    this.#cacheVersion = new Int32Array(matrix.distinctCount).fill(-1);
    this.#cacheCluster = new Uint16Array(matrix.distinctCount);
    this.#cacheDistance = new Uint16Array(matrix.distinctCount);
    this.#trace = trace
      ? {
          initialCentroids: initial.slice(),
          centroidsAfterInitialUpdate: new Uint16Array(0),
          centroidsAfterEachPass: [],
          movesPerPass: [],
          emptyClusterEvents: 0,
        }
      : undefined;
  }

  /** Nearest centroid of distinct row u (lowest index on ties); its distance in #lastDistance. */
  #argmin(u: number): number {
    const X = this.#matrix.distinctCodes;
    const C = this.#C;
    const m = this.#m;
    const k = this.#k;
    const xb = u * m;
    let best = m + 1;
    let bestCluster = 0;
    for (let c = 0; c < k; c++) {
      const cb = c * m;
      let d = 0;
      for (let f = 0; f < m; f++) {
        if (X[xb + f] !== C[cb + f] && ++d >= best) break;
      }
      if (d < best) {
        best = d;
        bestCluster = c;
        if (d === 0) break;
      }
    }
    this.#lastDistance = best;
    return bestCluster;
  }

  /** Labels of all distinct rows against the current centroids, and the weighted cost. */
  #labelsAndCost(): { labels: Uint16Array; cost: number } {
    const U = this.#matrix.distinctCount;
    const W = this.#matrix.distinctWeights;
    const labels = new Uint16Array(U);
    let cost = 0;
    const version = this.#version;
    for (let u = 0; u < U; u++) {
      const c = this.#argmin(u);
      labels[u] = c;
      cost += this.#lastDistance * (W[u] as number);
      this.#cacheVersion[u] = version;
      this.#cacheCluster[u] = c;
      this.#cacheDistance[u] = this.#lastDistance;
    }
    return { labels, cost };
  }

  /** Mode of cluster c, feature f: highest count, smallest code on ties, among keys kmodes holds. */
  #mode(c: number, f: number): number {
    const base = c * this.#tableSize + (this.#featureOffset[f] as number);
    const cardinality = this.#cardinality[f] as number;
    let bestCount = -1;
    let bestValue = 0;
    for (let v = 0; v < cardinality; v++) {
      const count = this.#freq[base + v] as number;
      if (count > bestCount && this.#seen[base + v] === 1) {
        bestCount = count;
        bestValue = v;
      }
    }
    return bestValue;
  }

  /** kmodes' `_move_point_cat` for distinct row u (one row): update both clusters' modes. */
  #move(u: number, to: number, from: number): void {
    const X = this.#matrix.distinctCodes;
    const C = this.#C;
    const m = this.#m;
    const freq = this.#freq;
    const seen = this.#seen;
    this.#size[to] = (this.#size[to] as number) + 1;
    this.#size[from] = (this.#size[from] as number) - 1;
    let changed = 0;
    const toBit = this.#k <= 32 ? 1 << to : 0;
    const fromBit = this.#k <= 32 ? 1 << from : 0;
    for (let f = 0; f < m; f++) {
      const v = X[u * m + f] as number;
      const offset = this.#featureOffset[f] as number;
      const toBase = to * this.#tableSize + offset;
      freq[toBase + v] = (freq[toBase + v] as number) + 1;
      seen[toBase + v] = 1;
      const toMode = C[to * m + f] as number;
      seen[toBase + toMode] = 1;
      if ((freq[toBase + toMode] as number) < (freq[toBase + v] as number)) {
        C[to * m + f] = v;
        changed |= toBit | (toBit === 0 ? 1 : 0);
      }
      const fromBase = from * this.#tableSize + offset;
      freq[fromBase + v] = (freq[fromBase + v] as number) - 1;
      if (C[from * m + f] === v) {
        const mode = this.#mode(from, f);
        if (mode !== v) {
          C[from * m + f] = mode;
          changed |= fromBit | (fromBit === 0 ? 1 : 0);
        }
      }
    }
    if (changed !== 0) {
      if (this.#version === this.#versionMasks.length) {
        const grown = new Uint32Array(this.#versionMasks.length * 2);
        grown.set(this.#versionMasks);
        this.#versionMasks = grown;
      }
      this.#versionMasks[this.#version++] = changed;
    }
  }

  /**
   * Nearest centroid of distinct row u, from its cache when still exact. When only a few
   * centroids changed since the cached answer, only those are re-measured: the unchanged ones
   * were no better than the cached best then and still are not. If the cached best itself got
   * farther, everything is re-measured.
   */
  #nearestCached(u: number): number {
    const version = this.#version;
    const cachedAt = this.#cacheVersion[u] as number;
    if (cachedAt === version) return this.#cacheCluster[u] as number;
    let best: number;
    let bestDistance: number;
    if (cachedAt >= 0 && version - cachedAt <= 8 && this.#k <= 32) {
      let mask = 0;
      for (let v = cachedAt; v < version; v++) mask |= this.#versionMasks[v] as number;
      best = this.#cacheCluster[u] as number;
      bestDistance = this.#cacheDistance[u] as number;
      const X = this.#matrix.distinctCodes;
      const C = this.#C;
      const m = this.#m;
      let full = false;
      if ((mask & (1 << best)) !== 0) {
        const d = distance(X, u, C, best, m);
        if (d > bestDistance) full = true;
        else bestDistance = d;
        mask &= ~(1 << best);
      }
      while (!full && mask !== 0) {
        const c = 31 - Math.clz32(mask & -mask);
        mask &= mask - 1;
        const d = distance(X, u, C, c, m);
        if (d < bestDistance || (d === bestDistance && c < best)) {
          best = c;
          bestDistance = d;
        }
      }
      if (full) {
        best = this.#argmin(u);
        bestDistance = this.#lastDistance;
      }
    } else {
      best = this.#argmin(u);
      bestDistance = this.#lastDistance;
    }
    this.#cacheVersion[u] = version;
    this.#cacheCluster[u] = best;
    this.#cacheDistance[u] = bestDistance;
    return best;
  }

  run(maxIter: number, runIndex: number): RunResult {
    const { rowCount: N, rowToDistinct: R, distinctCodes: X, distinctWeights: W } = this.#matrix;
    const U = this.#matrix.distinctCount;
    const k = this.#k;
    const m = this.#m;
    const C = this.#C;
    const rng = this.#rng;

    // First pass: batch assignment against the fixed initial centroids.
    const first = this.#labelsAndCost().labels;
    for (let u = 0; u < U; u++) {
      const c = first[u] as number;
      const w = W[u] as number;
      this.#size[c] = (this.#size[c] as number) + w;
      for (let f = 0; f < m; f++) {
        const index = c * this.#tableSize + (this.#featureOffset[f] as number) + (X[u * m + f] as number);
        this.#freq[index] = (this.#freq[index] as number) + w;
        this.#seen[index] = 1;
      }
    }
    for (let i = 0; i < N; i++) this.#member[i] = first[R[i] as number] as number;
    for (let c = 0; c < k; c++) {
      for (let f = 0; f < m; f++) {
        if (this.#size[c] === 0) {
          // kmodes: rs.choice(X[:, f]), one draw per feature.
          C[c * m + f] = X[(R[rng.bounded(N - 1)] as number) * m + f] as number;
        } else {
          C[c * m + f] = this.#mode(c, f);
        }
      }
    }
    const trace = this.#trace;
    const afterInitialUpdate = trace === undefined ? undefined : C.slice();

    let latest = this.#labelsAndCost();
    let cost = latest.cost;
    const epochCosts = [cost];
    let iterations = 0;
    let converged = false;
    let emptyClusterEvents = 0;
    const member = this.#member;
    while (iterations < maxIter && !converged) {
      iterations++;
      let moves = 0;
      for (let i = 0; i < N; i++) {
        const u = R[i] as number;
        const c = this.#nearestCached(u);
        const old = member[i] as number;
        if (old === c) continue;
        moves++;
        member[i] = c;
        this.#move(u, c, old);
        if (this.#size[old] === 0) {
          emptyClusterEvents++;
          this.#refillEmpty(old);
        }
      }
      // Centroids do not change after this cost pass, so its labels are the final labels.
      latest = this.#labelsAndCost();
      const next = latest.cost;
      converged = moves === 0 || next >= cost;
      epochCosts.push(next);
      cost = next;
      trace?.centroidsAfterEachPass.push(C.slice());
      trace?.movesPerPass.push(moves);
    }
    const { labels, cost: finalCost } = latest;
    return {
      runIndex,
      centroids: C.slice(),
      distinctLabels: labels,
      cost: finalCost,
      iterations,
      epochCosts,
      ...(trace === undefined
        ? {}
        : {
            trace: {
              ...trace,
              centroidsAfterInitialUpdate: afterInitialUpdate ?? new Uint16Array(0),
              emptyClusterEvents,
            },
          }),
    };
  }

  /** kmodes: move a random member (in row order) of the largest cluster into the emptied one. */
  #refillEmpty(empty: number): void {
    let big = 0;
    for (let c = 1; c < this.#k; c++) if ((this.#size[c] as number) > (this.#size[big] as number)) big = c;
    let pick = this.#rng.bounded((this.#size[big] as number) - 1);
    const member = this.#member;
    const N = this.#matrix.rowCount;
    for (let r = 0; r < N; r++) {
      if (member[r] !== big) continue;
      if (pick-- === 0) {
        member[r] = empty;
        this.#move(this.#matrix.rowToDistinct[r] as number, empty, big);
        return;
      }
    }
  }
}
