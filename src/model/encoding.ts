/**
 * Categorical encoding as kmodes does it (one code space per feature, codes in code-point order
 * of the values, because every tie in the algorithm goes to the smaller code), plus the
 * deduplication that makes fitting fast: dce_rpc feature rows repeat heavily, so the batch passes
 * run over weighted distinct rows and only the online pass walks every row.
 */
import { DaemonError } from '../errors.js';

/** Largest vocabulary one feature may have: codes are stored as Uint16. */
export const MAX_VOCABULARY_SIZE = 0xffff;

/**
 * The value a feature's rare values are folded into once its vocabulary is full (see
 * `MatrixEncoder`). Parenthesised like Zeek's `(empty)`, which no dce_rpc name looks like.
 */
export const RARE_VALUE = '(rare)';

/**
 * Default bound on distinct values per feature. Real dce_rpc features have tens to a few
 * thousand values (endpoints, operations, pipes, groups); a flood of forged names (2M distinct
 * operations) must neither stop training (codes are Uint16) nor make the maps grow without end.
 */
export const DEFAULT_MAX_VALUES_PER_FEATURE = 16_384;

/**
 * A Uint32Array in shared memory: the per-row index is the one big array of a matrix, and fit
 * workers read it in place instead of each receiving a copy.
 */
function sharedUint32Array(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * Uint32Array.BYTES_PER_ELEMENT));
}

/** Rows encoded and deduplicated, in the layout the fitting loops want. */
export interface EncodedMatrix {
  /** Number of features (columns). */
  readonly featureCount: number;
  /** Per feature, the values in code order (`vocabularies[f][code]` decodes). */
  readonly vocabularies: string[][];
  /** Number of input rows. */
  readonly rowCount: number;
  /** Number of distinct rows. */
  readonly distinctCount: number;
  /** Distinct rows in first-occurrence order, row-major, `distinctCount × featureCount` codes. */
  readonly distinctCodes: Uint16Array;
  /** How many input rows each distinct row stands for. */
  readonly distinctWeights: Uint32Array;
  /** For every input row, the index of its distinct row. */
  readonly rowToDistinct: Uint32Array;
}

/**
 * Code-point order, which is what `np.unique` gives for Python str. JS `<` compares UTF-16 code
 * units, which differs from code points only for astral characters; handle those exactly.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Incremental encoder: feed rows in order (possibly in slices), then `finish()`. One pass: each
 * value gets a provisional code on first sight and each row is deduplicated through an
 * open-addressing table over its codes; `finish()` sorts the vocabularies and renumbers the few
 * distinct rows, which keeps them distinct and in first-occurrence order.
 *
 * Overflow: a feature holds at most `maxValuesPerFeature` distinct values. Once that many are
 * known, each further new value of that feature is folded into RARE_VALUE (one code), so the
 * maps stay bounded and training goes on; the model then knows "some rare value" for that
 * feature, and scoring treats any value outside the vocabulary as unseen, as before. Values
 * seen first keep their own code (the window is fed oldest first), and `foldedRows(f)` says
 * how many rows were folded, for the log.
 */
export class MatrixEncoder {
  readonly #featureCount: number;
  readonly #codeMaps: Map<string, number>[] = [];
  readonly #values: string[][] = [];
  #rowToDistinct: Uint32Array;
  #distinctCodes: Uint16Array;
  #distinctWeights: Uint32Array;
  #distinctCount = 0;
  #rowCount = 0;
  /** Hash slots holding distinct row id + 1 (0 = empty); capacity is a power of two. */
  #slots: Int32Array;
  readonly #scratch: Uint16Array;
  readonly #maxValues: number;
  readonly #folded: number[] = [];

  /**
   * @param featureCount values per row
   * @param expectedRows how many rows will probably be fed (the per-row index grows past it)
   * @param maxValuesPerFeature distinct values kept per feature before folding (see above)
   */
  constructor(featureCount: number, expectedRows = 1024, maxValuesPerFeature = DEFAULT_MAX_VALUES_PER_FEATURE) {
    this.#featureCount = featureCount;
    // One code stays free for RARE_VALUE.
    this.#maxValues = Math.max(1, Math.min(maxValuesPerFeature, MAX_VOCABULARY_SIZE - 1));
    for (let f = 0; f < featureCount; f++) this.#folded.push(0);
    for (let f = 0; f < featureCount; f++) {
      this.#codeMaps.push(new Map<string, number>());
      this.#values.push([]);
    }
    this.#rowToDistinct = sharedUint32Array(Math.max(16, expectedRows));
    const initial = 1024;
    this.#distinctCodes = new Uint16Array(initial * featureCount);
    this.#distinctWeights = new Uint32Array(initial);
    this.#slots = new Int32Array(initial * 4);
    this.#scratch = new Uint16Array(featureCount);
  }

  /** Rows fed so far. */
  get rowCount(): number {
    return this.#rowCount;
  }

  /** Rows whose value of feature `f` was folded into RARE_VALUE (vocabulary full). */
  foldedRows(f: number): number {
    return this.#folded[f] ?? 0;
  }

  /** Encodes rows[from, to) as the next input rows; throws ERR_TRAIN on a malformed row. */
  add(rows: readonly (readonly string[])[], from: number, to: number): void {
    for (let r = from; r < to; r++) this.#addRow(rows[r], r);
  }

  /**
   * Encodes one row as the next input row. The values are read, not kept, so callers may reuse
   * one array for every row.
   */
  addRow(row: readonly string[]): void {
    this.#addRow(row, this.#rowCount);
  }

  #addRow(row: readonly string[] | undefined, r: number): void {
    const m = this.#featureCount;
    const scratch = this.#scratch;
    if (row?.length !== m) {
      throw new DaemonError('ERR_TRAIN', `model: row ${r} has ${row?.length ?? 0} values, expected ${m}`, {
        meta: { row: r },
      });
    }
    let hash = 0x811c9dc5;
    for (let f = 0; f < m; f++) {
      const value = row[f];
      const codeMap = this.#codeMaps[f] as Map<string, number>;
      let code = codeMap.get(value as string);
      if (code === undefined) {
        if (typeof value !== 'string') {
          throw new DaemonError('ERR_TRAIN', `model: row ${r} feature ${f} is not a string`, { meta: { row: r } });
        }
        if (codeMap.size >= this.#maxValues && value !== RARE_VALUE) {
          this.#folded[f] = (this.#folded[f] as number) + 1;
          code = codeMap.get(RARE_VALUE);
        }
        if (code === undefined) {
          code = codeMap.size;
          const stored = codeMap.size >= this.#maxValues ? RARE_VALUE : value;
          codeMap.set(stored, code);
          (this.#values[f] as string[]).push(stored);
        }
      }
      scratch[f] = code;
      hash = Math.imul(hash ^ code, 0x01000193);
    }
    if (this.#rowCount === this.#rowToDistinct.length) {
      const grown = sharedUint32Array(this.#rowToDistinct.length * 2);
      grown.set(this.#rowToDistinct);
      this.#rowToDistinct = grown;
    }
    this.#rowToDistinct[this.#rowCount++] = this.#findOrInsert(scratch, hash);
  }

  #findOrInsert(codes: Uint16Array, hash: number): number {
    const m = this.#featureCount;
    const X = this.#distinctCodes;
    let slots = this.#slots;
    let mask = slots.length - 1;
    let slot = (hash ^ (hash >>> 15)) & mask;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === 0) break;
      const id = entry - 1;
      let equal = true;
      for (let f = 0; f < m; f++) {
        if (X[id * m + f] !== codes[f]) {
          equal = false;
          break;
        }
      }
      if (equal) {
        this.#distinctWeights[id] = (this.#distinctWeights[id] as number) + 1;
        return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.#appendDistinct(codes);
    if (this.#distinctCount * 2 > slots.length) {
      this.#rehash(slots.length * 2);
      slots = this.#slots;
      mask = slots.length - 1;
      slot = (hash ^ (hash >>> 15)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
    }
    slots[slot] = id + 1;
    return id;
  }

  #rehash(capacity: number): void {
    const m = this.#featureCount;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    // The newest row (the caller inserts it) is left out.
    for (let id = 0; id < this.#distinctCount - 1; id++) {
      let hash = 0x811c9dc5;
      for (let f = 0; f < m; f++) hash = Math.imul(hash ^ (this.#distinctCodes[id * m + f] as number), 0x01000193);
      let slot = (hash ^ (hash >>> 15)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.#slots = slots;
  }

  #appendDistinct(codes: Uint16Array): number {
    const m = this.#featureCount;
    const id = this.#distinctCount++;
    if (id >= this.#distinctWeights.length) {
      const capacity = this.#distinctWeights.length * 2;
      const grownCodes = new Uint16Array(capacity * m);
      grownCodes.set(this.#distinctCodes);
      this.#distinctCodes = grownCodes;
      const grownWeights = new Uint32Array(capacity);
      grownWeights.set(this.#distinctWeights);
      this.#distinctWeights = grownWeights;
    }
    this.#distinctCodes.set(codes, id * m);
    this.#distinctWeights[id] = 1;
    return id;
  }

  #trimmedRowIndex(): Uint32Array {
    const trimmed = sharedUint32Array(this.#rowCount);
    trimmed.set(this.#rowToDistinct.subarray(0, this.#rowCount));
    return trimmed;
  }

  /** The finished matrix, codes renumbered into code-point order of the values. */
  finish(): EncodedMatrix {
    const m = this.#featureCount;
    const vocabularies: string[][] = [];
    const renumber: Uint16Array[] = [];
    for (let f = 0; f < m; f++) {
      const values = this.#values[f] as string[];
      const sorted = [...values].sort(compareCodePoints);
      const finalCode = new Map(sorted.map((v, code) => [v, code]));
      renumber.push(Uint16Array.from(values, (v) => finalCode.get(v) as number));
      vocabularies.push(sorted);
    }
    const distinctCodes = this.#distinctCodes.slice(0, this.#distinctCount * m);
    for (let i = 0; i < distinctCodes.length; i++) {
      distinctCodes[i] = (renumber[i % m] as Uint16Array)[distinctCodes[i] as number] as number;
    }
    return {
      featureCount: m,
      vocabularies,
      rowCount: this.#rowCount,
      distinctCount: this.#distinctCount,
      distinctCodes,
      distinctWeights: this.#distinctWeights.slice(0, this.#distinctCount),
      rowToDistinct: this.#rowCount === this.#rowToDistinct.length ? this.#rowToDistinct : this.#trimmedRowIndex(),
    };
  }
}

/** Encodes and deduplicates rows in one go (synchronous). */
export function encodeRows(rows: readonly (readonly string[])[], featureCount: number): EncodedMatrix {
  const encoder = new MatrixEncoder(featureCount, rows.length);
  encoder.add(rows, 0, rows.length);
  return encoder.finish();
}

/**
 * The matrix of the input rows minus the `dropped` ones (input row indices), exactly as
 * `encodeRows` would build it from the remaining rows: distinct rows renumbered in their new
 * first-occurrence order, values no remaining row uses left out of the vocabularies.
 */
export function withoutRows(matrix: EncodedMatrix, dropped: ReadonlySet<number>): EncodedMatrix {
  if (dropped.size === 0) return matrix;
  const m = matrix.featureCount;
  const newId = new Int32Array(matrix.distinctCount).fill(-1);
  const keptDistinct: number[] = [];
  let droppedCount = 0;
  for (const r of dropped) if (r >= 0 && r < matrix.rowCount) droppedCount += 1;
  const rowToDistinct = sharedUint32Array(matrix.rowCount - droppedCount);
  const weights: number[] = [];
  let row = 0;
  for (let r = 0; r < matrix.rowCount; r++) {
    if (dropped.has(r)) continue;
    const old = matrix.rowToDistinct[r] as number;
    let id = newId[old] as number;
    if (id === -1) {
      id = keptDistinct.length;
      newId[old] = id;
      keptDistinct.push(old);
      weights.push(0);
    }
    weights[id] = (weights[id] as number) + 1;
    rowToDistinct[row++] = id;
  }
  // Vocabularies are sorted; dropping unused values keeps them sorted, so codes only shift down.
  const used = matrix.vocabularies.map((values) => new Uint8Array(values.length));
  for (const old of keptDistinct) {
    for (let f = 0; f < m; f++) (used[f] as Uint8Array)[matrix.distinctCodes[old * m + f] as number] = 1;
  }
  const renumber = used.map((flags) => {
    const codes = new Int32Array(flags.length).fill(-1);
    let next = 0;
    flags.forEach((flag, code) => {
      if (flag === 1) codes[code] = next++;
    });
    return codes;
  });
  const vocabularies = matrix.vocabularies.map((values, f) => values.filter((_, code) => (used[f] as Uint8Array)[code] === 1));
  const distinctCodes = new Uint16Array(keptDistinct.length * m);
  keptDistinct.forEach((old, id) => {
    for (let f = 0; f < m; f++) {
      distinctCodes[id * m + f] = (renumber[f] as Int32Array)[matrix.distinctCodes[old * m + f] as number] as number;
    }
  });
  return {
    featureCount: m,
    vocabularies,
    rowCount: rowToDistinct.length,
    distinctCount: keptDistinct.length,
    distinctCodes,
    distinctWeights: Uint32Array.from(weights),
    rowToDistinct,
  };
}
