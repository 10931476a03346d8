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

  /** Nearest cluster of `row` (one value per feature, in the model's feature order). */
  assign(row: readonly string[]): Assignment {
    const m = this.#m;
    const codes = this.#codes;
    const unseen: number[] = [];
    for (let f = 0; f < m; f++) {
      const code = (this.#codeMaps[f] as Map<string, number>).get(row[f] as string);
      // -1 is no centroid's code, so an unseen value mismatches every centroid (kmodes' predict).
      if (code === undefined) {
        codes[f] = -1;
        unseen.push(f);
      } else {
        codes[f] = code;
      }
    }
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
    const mismatched: number[] = [];
    const base = cluster * m;
    for (let f = 0; f < m; f++) if (codes[f] !== C[base + f]) mismatched.push(f);
    return { cluster, distance: best, mismatched, unseen };
  }
}
