/**
 * The training set, built the same way by `train`, `eval` and the daemon's retraining: feature
 * rows of the sampled records, the routine statistics over every record (routine.ts), with the
 * rows the routine test would flag withheld from the fit (a technique operation not routine for
 * its group, a value not yet established), and the time span they cover.
 *
 * Rows are encoded as they arrive (MatrixEncoder) rather than kept as strings: a row then costs
 * 4 bytes instead of a ~100-byte array, which is what lets the daemon retrain on a 1M-row window
 * within its memory budget. The result is the matrix `encodeRows` gives for the kept rows.
 */
import type { FeatureOptions } from '../features/index.js';
import { FeatureExtractor } from '../features/index.js';
import { MatrixEncoder, withoutRows, type EncodedMatrix } from '../model/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { RoutineIndex } from './routine-index.js';
import { RoutineStats, type RoutineOptions, type RoutineProfile } from './routine.js';
import { techniqueFor } from './techniques.js';
import { TechniqueVetting, type TechniqueProfile, type VettedPair } from './vetting.js';

export interface TrainingSet {
  /** The kept rows, encoded and deduplicated. */
  matrix: EncodedMatrix;
  featureNames: string[];
  /** Sampled rows the routine test flags (withheld unless `withhold` was false). */
  withheldRows: number;
  techniques: TechniqueProfile;
  vetting: VettedPair[];
  routine: RoutineProfile;
  timeSpan: { from: number; to: number } | undefined;
}

/** How the builder learns routine. */
export interface TrainingSetOptions {
  minHosts: number;
  minShare: number;
  /** Further routine thresholds (routine.ts defaults otherwise). */
  routine?: Partial<RoutineOptions>;
  /**
   * Statistics kept elsewhere over every record (the daemon's): `add()` then does not count
   * records into them. Without it the builder counts every record it is given.
   */
  stats?: RoutineStats;
  /** Withhold the rows the routine test flags. @default true; false for the notebook rule. */
  withhold?: boolean;
}

interface Pending {
  row: number;
  endpoint: string | null;
  operation: string | null;
  origGroup: string;
}

export class TrainingSetBuilder {
  readonly #extractor: FeatureExtractor;
  readonly #groupOf: FeatureExtractor;
  readonly #groupRow = [''];
  readonly #vetting: TechniqueVetting;
  readonly #stats: RoutineStats;
  readonly #ownStats: boolean;
  readonly #withhold: boolean;
  readonly #encoder: MatrixEncoder;
  readonly #row: string[] = [];
  /** The first row that could not be encoded; reported by build(). */
  #error: Error | undefined;
  /** Sampled rows kept aside until every record has been counted. */
  readonly #pending: Pending[] = [];
  /** (endpoint, operation, group) of sampled rows already pending, to keep #pending small. */
  readonly #pendingKeys = new Map<string, number[]>();
  #from = Infinity;
  #to = -Infinity;

  /** @param expectedRows a hint for the first allocation; the set grows past it */
  constructor(features: FeatureOptions, options: TrainingSetOptions, expectedRows?: number) {
    this.#extractor = new FeatureExtractor(features);
    this.#encoder = new MatrixEncoder(this.#extractor.names.length, expectedRows);
    this.#groupOf = new FeatureExtractor({ ...features, features: ['orig_ip_group'] });
    this.#vetting = new TechniqueVetting(options.minHosts, options.minShare);
    this.#ownStats = options.stats === undefined;
    this.#stats = options.stats ?? new RoutineStats({ minHosts: options.minHosts, minShare: options.minShare, ...options.routine });
    this.#withhold = options.withhold ?? true;
  }

  get size(): number {
    return this.#encoder.rowCount;
  }

  /** The routine statistics the set is judged by. */
  get stats(): RoutineStats {
    return this.#stats;
  }

  /**
   * Counts `record` (vetting, and routine unless the statistics are kept elsewhere) and, when
   * `sampled`, adds its feature row. Offline training counts every record and samples some.
   * `counted: false` adds the row only: for a reader that sends the observations apart
   * (deduplicated, see hunt/worker.ts) and the sampled records again.
   */
  add(record: DceRpcRecord, sampled = true, counted = true): void {
    const origGroup = this.#groupOf.extractInto(record, this.#groupRow)[0] as string;
    if (counted) {
      this.#vetting.observe(record.operation, origGroup, record.origHost);
      if (this.#ownStats) this.#stats.observe(record.ts, record.origHost, origGroup, record.endpoint, record.operation, record.respHost);
    }
    if (sampled) this.#addRow(record, origGroup);
  }

  /**
   * Adds the feature row of a record counted apart (`add(record, false)`): offline training
   * counts every record as it reads, and takes the rows from a thinned window at the end.
   */
  addRow(record: DceRpcRecord): void {
    this.#addRow(record, this.#groupOf.extractInto(record, this.#groupRow)[0] as string);
  }

  #addRow(record: DceRpcRecord, origGroup: string): void {
    if (this.#error !== undefined) return;
    const row = this.#encoder.rowCount;
    try {
      this.#encoder.addRow(this.#extractor.extractInto(record, this.#row));
    } catch (error) {
      this.#error = error as Error;
      return;
    }
    if (this.#withhold) {
      const key = `${record.endpoint ?? ''}\u0000${record.operation ?? ''}\u0000${origGroup}`;
      let rows = this.#pendingKeys.get(key);
      if (rows === undefined) {
        this.#pendingKeys.set(key, (rows = []));
        this.#pending.push({ row, endpoint: record.endpoint, operation: record.operation, origGroup });
      }
      rows.push(row);
    }
    if (record.ts < this.#from) this.#from = record.ts;
    if (record.ts > this.#to) this.#to = record.ts;
  }

  /** @throws DaemonError ERR_TRAIN when a row could not be encoded (e.g. a vocabulary overflow) */
  build(): TrainingSet {
    if (this.#error !== undefined) throw this.#error;
    const routine = this.#stats.profile();
    const index = new RoutineIndex(routine);
    const withheld = new Set<number>();
    for (const p of this.#pending) {
      if (!index.judge(p.endpoint, p.operation, p.origGroup, techniqueFor(p.operation)).flagged) continue;
      const key = `${p.endpoint ?? ''}\u0000${p.operation ?? ''}\u0000${p.origGroup}`;
      for (const row of this.#pendingKeys.get(key) ?? []) withheld.add(row);
    }
    // Nothing established yet (a capture shorter than the warm-up where everything is new):
    // better a model of everything than no model.
    if (withheld.size === this.#encoder.rowCount) withheld.clear();
    return {
      matrix: withoutRows(this.#encoder.finish(), withheld),
      featureNames: this.#extractor.names,
      withheldRows: withheld.size,
      techniques: this.#vetting.profile(),
      vetting: this.#vetting.pairs(),
      routine,
      timeSpan: this.#from <= this.#to ? { from: this.#from, to: this.#to } : undefined,
    };
  }
}
