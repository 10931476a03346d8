/**
 * The training set, built the same way by `train`, `eval` and the daemon's retraining: feature
 * rows of the sampled records, with the rows of technique operations that fail host vetting
 * withheld (see vetting.ts), and the time span they cover.
 *
 * Rows are encoded as they arrive (MatrixEncoder) rather than kept as strings: a row then costs
 * 4 bytes instead of a ~100-byte array, which is what lets the daemon retrain on a 1M-row window
 * within its memory budget. The result is the matrix `encodeRows` gives for the kept rows.
 */
import type { FeatureOptions } from '../features/index.js';
import { FeatureExtractor } from '../features/index.js';
import { MatrixEncoder, withoutRows, type EncodedMatrix } from '../model/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { TechniqueVetting, type TechniqueProfile, type VettedPair } from './vetting.js';

export interface TrainingSet {
  /** The kept rows, encoded and deduplicated. */
  matrix: EncodedMatrix;
  featureNames: string[];
  /** Sampled rows of technique operations whose group had too few distinct hosts doing them. */
  withheldRows: number;
  techniques: TechniqueProfile;
  vetting: VettedPair[];
  timeSpan: { from: number; to: number } | undefined;
}

export class TrainingSetBuilder {
  readonly #extractor: FeatureExtractor;
  readonly #groupOf: FeatureExtractor;
  readonly #groupRow = [''];
  readonly #vetting: TechniqueVetting;
  readonly #encoder: MatrixEncoder;
  readonly #row: string[] = [];
  /** The first row that could not be encoded; reported by build(). */
  #error: Error | undefined;
  /** Sampled rows of technique operations, kept aside until every record has been vetted. */
  readonly #pending: { row: number; operation: string; origGroup: string }[] = [];
  #from = Infinity;
  #to = -Infinity;

  /** @param expectedRows a hint for the first allocation; the set grows past it */
  constructor(features: FeatureOptions, vetting: { minHosts: number; minShare: number }, expectedRows?: number) {
    this.#extractor = new FeatureExtractor(features);
    this.#encoder = new MatrixEncoder(this.#extractor.names.length, expectedRows);
    this.#groupOf = new FeatureExtractor({ ...features, features: ['orig_ip_group'] });
    this.#vetting = new TechniqueVetting(vetting.minHosts, vetting.minShare);
  }

  get size(): number {
    return this.#encoder.rowCount;
  }

  /**
   * Counts `record`'s originator for vetting and, when `sampled`, adds its feature row. Offline
   * training observes every record and samples some; the daemon's window holds samples only.
   */
  add(record: DceRpcRecord, sampled = true): void {
    const origGroup = this.#groupOf.extractInto(record, this.#groupRow)[0] as string;
    this.#vetting.observe(record.operation, origGroup, record.origHost);
    if (!sampled || this.#error !== undefined) return;
    const row = this.#encoder.rowCount;
    try {
      this.#encoder.addRow(this.#extractor.extractInto(record, this.#row));
    } catch (error) {
      this.#error = error as Error;
      return;
    }
    if (TechniqueVetting.concerns(record.operation)) {
      this.#pending.push({ row, operation: record.operation, origGroup });
    }
    if (record.ts < this.#from) this.#from = record.ts;
    if (record.ts > this.#to) this.#to = record.ts;
  }

  /** @throws DaemonError ERR_TRAIN when a row could not be encoded (e.g. a vocabulary overflow) */
  build(): TrainingSet {
    if (this.#error !== undefined) throw this.#error;
    const withheld = new Set(
      this.#pending.filter((p) => !this.#vetting.admits(p.operation, p.origGroup)).map((p) => p.row),
    );
    return {
      matrix: withoutRows(this.#encoder.finish(), withheld),
      featureNames: this.#extractor.names,
      withheldRows: withheld.size,
      techniques: this.#vetting.profile(),
      vetting: this.#vetting.pairs(),
      timeSpan: this.#from <= this.#to ? { from: this.#from, to: this.#to } : undefined,
    };
  }
}
