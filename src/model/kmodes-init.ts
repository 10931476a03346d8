/**
 * K-Modes starts as Python kmodes 0.12.2 makes them: Huang's frequency-drawn vectors replaced by
 * their nearest rows, and Cao's density-ranked rows. Apart from kmodes.ts (the iteration) because
 * each is checked on its own against kmodes' recorded starts (test/model/golden.test.ts).
 */
import type { EncodedMatrix } from './encoding.js';
import { Mt19937 } from './rng.js';

/** Hamming distance between distinct row `u` and centroid `c`. */
export function distance(X: Uint16Array, u: number, C: Uint16Array, c: number, m: number): number {
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
