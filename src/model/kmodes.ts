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
import { distance, initCao, initHuang } from './kmodes-init.js';

export { drawHuangVectors, initCao, initHuang } from './kmodes-init.js';

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
