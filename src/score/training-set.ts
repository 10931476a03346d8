/**
 * The training set, built the same way by `train`, `eval` and the daemon's retraining: feature
 * rows of the sampled records, with the rows of technique operations that fail host vetting
 * withheld (see vetting.ts), and the time span they cover.
 */
import type { FeatureOptions } from '../features/index.js';
import { FeatureExtractor } from '../features/index.js';
import type { DceRpcRecord } from '../zeek/dce-rpc-record.js';
import { TechniqueVetting, type TechniqueProfile, type VettedPair } from './vetting.js';

export interface TrainingSet {
  rows: string[][];
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
  #rows: string[][] = [];
  /** Sampled rows of technique operations, kept aside until every record has been vetted. */
  readonly #pending: { row: number; operation: string; origGroup: string }[] = [];
  #from = Infinity;
  #to = -Infinity;

  constructor(features: FeatureOptions, vetting: { minHosts: number; minShare: number }) {
    this.#extractor = new FeatureExtractor(features);
    this.#groupOf = new FeatureExtractor({ ...features, features: ['orig_ip_group'] });
    this.#vetting = new TechniqueVetting(vetting.minHosts, vetting.minShare);
  }

  get size(): number {
    return this.#rows.length;
  }

  /**
   * Counts `record`'s originator for vetting and, when `sampled`, adds its feature row. Offline
   * training observes every record and samples some; the daemon's window holds samples only.
   */
  add(record: DceRpcRecord, sampled = true): void {
    const origGroup = this.#groupOf.extractInto(record, this.#groupRow)[0] as string;
    this.#vetting.observe(record.operation, origGroup, record.origHost);
    if (!sampled) return;
    if (TechniqueVetting.concerns(record.operation)) {
      this.#pending.push({ row: this.#rows.length, operation: record.operation, origGroup });
    }
    this.#rows.push(this.#extractor.extract(record));
    if (record.ts < this.#from) this.#from = record.ts;
    if (record.ts > this.#to) this.#to = record.ts;
  }

  build(): TrainingSet {
    const withheld = new Set(
      this.#pending.filter((p) => !this.#vetting.admits(p.operation, p.origGroup)).map((p) => p.row),
    );
    const rows = withheld.size === 0 ? this.#rows : this.#rows.filter((_, i) => !withheld.has(i));
    return {
      rows,
      featureNames: this.#extractor.names,
      withheldRows: withheld.size,
      techniques: this.#vetting.profile(),
      vetting: this.#vetting.pairs(),
      timeSpan: this.#from <= this.#to ? { from: this.#from, to: this.#to } : undefined,
    };
  }
}
