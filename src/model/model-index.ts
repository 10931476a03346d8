/**
 * The compiled scorer: vocabularies pre-encoded into Maps and centroids into a typed array, so
 * assigning a row is a handful of Map lookups and at most k × features byte compares.
 */
import type { KModesModel } from './model.js';

/** Where a row lands. */
export interface Assignment {
  /** Nearest centroid, lowest index on ties (as kmodes' predict). */
  cluster: number;
  /** Hamming distance to that centroid (features that differ). */
  distance: number;
  /** Feature indexes where the row differs from that centroid. */
  mismatched: number[];
  /** Feature indexes whose value never occurred in training (each also counts as mismatched). */
  unseen: number[];
}

/** Assigns rows to the nearest centroid of a model. */
export class ModelIndex {
  readonly #codeMaps: Map<string, number>[];
  readonly #centroids: Int32Array;
  readonly #k: number;
  readonly #m: number;
  readonly #codes: Int32Array;
  readonly #distance = new Int32Array(1);

  constructor(model: KModesModel) {
    this.#m = model.featureNames.length;
    this.#k = model.centroids.length;
    this.#codeMaps = model.vocabularies.map((values) => new Map(values.map((v, code) => [v, code])));
    this.#centroids = new Int32Array(this.#k * this.#m);
    model.centroids.forEach((centroid, c) => {
      centroid.forEach((value, f) => {
        this.#centroids[c * this.#m + f] = (this.#codeMaps[f] as Map<string, number>).get(value) ?? -2;
      });
    });
    this.#codes = new Int32Array(this.#m);
  }

  /** Number of features a row must have. */
  get featureCount(): number {
    return this.#m;
  }

  /** Number of clusters. */
  get clusterCount(): number {
    return this.#k;
  }

  /**
   * Encodes `row` into `codes` (one code per feature, -1 for a value never seen in training) and
   * returns how many values were unseen. Scorers that need the codes for more than the nearest
   * centroid encode once and call {@link nearest}.
   */
  encode(row: readonly string[], codes: Int32Array): number {
    let unseen = 0;
    for (let f = 0; f < this.#m; f++) {
      const code = (this.#codeMaps[f] as Map<string, number>).get(row[f] as string);
      // -1 is no centroid's code, so an unseen value mismatches every centroid (kmodes' predict).
      if (code === undefined) {
        codes[f] = -1;
        unseen += 1;
      } else {
        codes[f] = code;
      }
    }
    return unseen;
  }

  /** Nearest centroid of encoded `codes`, lowest index on ties; writes its distance to `out[0]`. */
  nearest(codes: Int32Array, out: Int32Array): number {
    const m = this.#m;
    const C = this.#centroids;
    let best = m + 1;
    let cluster = 0;
    for (let c = 0; c < this.#k; c++) {
      const base = c * m;
      let d = 0;
      for (let f = 0; f < m; f++) {
        if (codes[f] !== C[base + f] && ++d >= best) break;
      }
      if (d < best) {
        best = d;
        cluster = c;
        if (d === 0) break;
      }
    }
    out[0] = best;
    return cluster;
  }

  /** Whether feature `f` of `codes` differs from centroid `cluster`. */
  differs(codes: Int32Array, cluster: number, f: number): boolean {
    return codes[f] !== this.#centroids[cluster * this.#m + f];
  }

  /** Nearest cluster of `row` (one value per feature, in the model's feature order). */
  assign(row: readonly string[]): Assignment {
    const m = this.#m;
    const codes = this.#codes;
    this.encode(row, codes);
    const distance = this.#distance;
    const cluster = this.nearest(codes, distance);
    const unseen: number[] = [];
    const mismatched: number[] = [];
    for (let f = 0; f < m; f++) {
      if (codes[f] === -1) unseen.push(f);
      if (this.differs(codes, cluster, f)) mismatched.push(f);
    }
    return { cluster, distance: distance[0] as number, mismatched, unseen };
  }
}
