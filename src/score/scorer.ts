/**
 * The verdict on one feature row: nearest centroid and Hamming distance (the notebook's view), the
 * features that differ and the centroid's values for them, values never seen in training, a
 * rarity in bits, the ATT&CK technique the operation serves, and whether the configured rule
 * flags it.
 *
 * Rarity asks "how often did training see WHO do WHAT": for every pair of a what-feature
 * (endpoint, operation) and a who-feature (orig_ip_group, resp_ip_group) it estimates from the
 * model's per-cluster value counts how many training rows carried both values,
 * Σ_c count_c(a)·count_c(b)/size_c, and takes the least supported pair. A workstation calling
 * DRSGetNCChanges differs from replication traffic in one feature, yet that pair was never seen:
 * its rarity is high while its distance is 1. Rarity = log2((rows + 1) / (support + 0.5)) bits.
 */
import type { KModesModel } from '../model/index.js';
// The module itself, not the model index file: that one also loads training (k-modes, its workers,
// the model store), which a hunt worker that only scores would load for nothing (~half its boot).
import { ModelIndex } from '../model/model-index.js';
import { techniqueFor, type Technique } from './techniques.js';
import { RoutineIndex, type RoutineVerdict } from './routine-index.js';
import { indexProfile, profileHosts } from './vetting.js';

/** How a verdict becomes an alert. */
export type ScoringRule =
  /** The notebook's rule: more than `threshold` features differ from the nearest centroid. */
  | { kind: 'distance'; threshold: number }
  /** Rarity above a fixed number of bits. */
  | { kind: 'rarity'; thresholdBits: number }
  /** The rarest `alertRate` fraction of the training rows' rarity (from the model's calibration). */
  | { kind: 'rate'; alertRate: number }
  /**
   * The default: an operation of a known attack technique from an originator group that training
   * saw doing it fewer than `minSupport` times, or an endpoint/operation never seen in training,
   * or a rarity among the rarest `alertRate` of the training rows.
   */
  | { kind: 'technique'; minSupport: number; alertRate: number };

export const WHAT_FEATURES = ['endpoint', 'operation'] as const;
export const WHO_FEATURES = ['orig_ip_group', 'resp_ip_group'] as const;

/** Everything known about one row's score. Arrays are feature indexes in model order. */
export interface Verdict {
  cluster: number;
  distance: number;
  mismatched: readonly number[];
  unseen: readonly number[];
  /** Least training support of a who × what pair (estimated rows). */
  support: number;
  /**
   * For a technique operation: how many distinct hosts of the originator group did it in
   * training (from the model's technique profile), or, without a profile, the least estimated
   * training rows of a what × originator-group pair.
   */
  originSupport: number;
  rarity: number;
  technique: Technique | undefined;
  anomalous: boolean;
  /**
   * Why the rule flagged it, for the alert ('' when not flagged): the technique, what was
   * unusual, and how routine it is elsewhere on the network.
   */
  reason: string;
  /**
   * Flagged only because this value is not established yet (RoutineVerdict.newValue): the
   * evaluator's live fleet evidence may overrule it.
   */
  newValue?: string | undefined;
}

/** Bound on the scorer's verdict caches together (estimated bytes, see cachedVerdictBytes). */
export const VERDICT_CACHE_BYTES = 8 * 1024 * 1024;
/**
 * The part of it for rows with a value the model has not seen, when known rows have a cache of
 * their own: such rows are rare on a network the model was trained on and unique under a flood,
 * where caching them buys nothing, and must not empty the known rows' verdicts when it fills.
 */
export const UNSEEN_VERDICT_CACHE_BYTES = 1024 * 1024;

/**
 * What one verdict cache entry holds, estimated from V8's layout: the map slot, the key (2 bytes
 * a character at worst, `keyLength` characters), the verdict object, its two code lists and its reason.
 */
export function cachedVerdictBytes(keyLength: number, verdict: Verdict): number {
  return 320 + 2 * keyLength + 8 * (verdict.mismatched.length + verdict.unseen.length) + 2 * verdict.reason.length;
}

/** Rarity bits for a support estimate out of `rows` training rows. */
export function rarityBits(support: number, rows: number): number {
  return Math.log2((rows + 1) / (support + 0.5));
}

/**
 * Rarity as anomalies.log prints it (1/1000 of a bit). The scorer, the calibration histogram
 * and the writer all round with this, so a threshold compares like with like.
 */
export function roundRarity(bits: number): number {
  return Math.round(bits * 1000) / 1000;
}

/**
 * Settles, once per isolate at load, the hidden class of the Verdict literal in #compute (see
 * settleRecordShape in zeek/dce-rpc-record.ts for why): supports and rarity whole or fractional,
 * a technique or none.
 */
function settleVerdictShape(): Verdict[] {
  const technique = techniqueFor('DRSGetNCChanges');
  return ([[1, 0.5, undefined], [0.5, 2, technique]] as const).map(([support, rarity, technique]) => ({
    cluster: 0, distance: 1, mismatched: [], unseen: [], support, originSupport: support, rarity, technique, anomalous: false, reason: '', newValue: undefined,
  }));
}
settleVerdictShape();

/**
 * `verdict` with another outcome, as a literal of #compute's keys in #compute's order, so that
 * every Verdict has the one hidden class settled above. A spread (`{ ...verdict, anomalous }`)
 * made objects of other classes, first met by the evaluator's compiled code after the warm-up:
 * "wrong map" deopts and recompiles of RecordEvaluator.evaluate in every worker (`--trace-deopt`),
 * TurboFan work that at -j 2 takes the cores from the workers.
 */
export function verdictWith(verdict: Verdict, anomalous: boolean, reason: string, newValue: string | undefined = verdict.newValue): Verdict {
  const { cluster, distance, mismatched, unseen, support, originSupport, rarity, technique } = verdict;
  return { cluster, distance, mismatched, unseen, support, originSupport, rarity, technique, anomalous, reason, newValue };
}

/** Compiles a model and a rule into a fast row scorer. */
export class Scorer {
  readonly model: KModesModel;
  readonly rule: ScoringRule;
  readonly #index: ModelIndex;
  readonly #codes: Int32Array;
  readonly #distanceOut = new Int32Array(1);
  /** [what feature, who feature] index pairs. */
  readonly #pairs: [number, number][];
  /** [what feature, orig_ip_group] index pairs. */
  readonly #originPairs: [number, number][];
  readonly #whatFeatures: number[];
  readonly #operationFeature: number;
  /** counts[c][f][code] */
  readonly #counts: Float64Array[][];
  readonly #sizes: Float64Array;
  readonly #rows: number;
  readonly #rarityThreshold: number;
  readonly #techniqueHosts: Map<string, number> | null;
  readonly #minHosts: number;
  readonly #origFeature: number;
  readonly #endpointFeature: number;
  /** The model's routine statistics (routine.ts), when it has them. */
  readonly routine: RoutineIndex | null;
  /**
   * Verdicts by encoded row: rows repeat heavily, so most rows are one Map lookup. Bounded by
   * bytes, not entries: under a flood of new values every row misses and carries its raw values
   * in the key and a long reason, and 100k such entries held 83 MB; emptied when full. With a
   * code cache beside it, it holds only rows with an unseen value, in UNSEEN_VERDICT_CACHE_BYTES.
   */
  readonly #cache = new Map<string, Verdict>();
  /**
   * The same cache for rows whose every value is known and whose raw fields the codes pin down
   * (the usual row): keyed by the codes read as one mixed-radix number, so a hit builds no key
   * string (a string per record was a sixth of a hunt worker's allocation, and its hash had to be
   * computed afresh each time). Null when the vocabularies are too large for an exact small key.
   */
  readonly #codeCache: Map<number, Verdict> | null;
  /** Place value of each feature's code in the numeric key. */
  readonly #radix: Int32Array;
  #cacheBytes = 0;
  #codeCacheBytes = 0;

  /**
   * The model's `techniques` (distinct-host vetting done at training) drive the technique rule;
   * a model without them falls back to cluster-estimated row support (smeared, see docs).
   */
  constructor(model: KModesModel, rule: ScoringRule) {
    this.model = model;
    const techniques = model.techniques ?? undefined;
    this.rule = rule;
    this.#techniqueHosts = techniques === undefined ? null : indexProfile(techniques);
    this.routine = model.routine === undefined || model.routine === null ? null : new RoutineIndex(model.routine);
    this.#minHosts = techniques?.minHosts ?? 0;
    this.#index = new ModelIndex(model);
    const m = model.featureNames.length;
    this.#codes = new Int32Array(m);
    const indexOf = (name: string): number => model.featureNames.indexOf(name);
    this.#operationFeature = indexOf('operation');
    this.#endpointFeature = indexOf('endpoint');
    this.#whatFeatures = WHAT_FEATURES.map(indexOf).filter((i) => i >= 0);
    const who = WHO_FEATURES.map(indexOf).filter((i) => i >= 0);
    this.#pairs = [];
    for (const a of this.#whatFeatures) for (const b of who) this.#pairs.push([a, b]);
    const origin = indexOf('orig_ip_group');
    this.#origFeature = origin;
    this.#originPairs = origin < 0 ? [] : this.#whatFeatures.map((a): [number, number] => [a, origin]);
    if (this.#pairs.length === 0) {
      // Custom feature lists without who/what features: every pair of features.
      for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) this.#pairs.push([a, b]);
    }
    const codeMaps = model.vocabularies.map((values) => new Map(values.map((v, code) => [v, code])));
    this.#counts = model.valueCounts.map((perFeature) =>
      perFeature.map((pairs, f) => {
        const table = new Float64Array((model.vocabularies[f] as string[]).length);
        for (const [value, count] of pairs) table[(codeMaps[f] as Map<string, number>).get(value) as number] = count;
        return table;
      }),
    );
    this.#sizes = Float64Array.from(model.clusterSizes);
    this.#rows = model.training.rows;
    this.#rarityThreshold = thresholdFor(model, rule);
    this.#radix = new Int32Array(m);
    let place = 1;
    for (let f = 0; f < m; f++) {
      this.#radix[f] = place;
      place *= (model.vocabularies[f] as string[]).length;
    }
    // A Smi key (below 2^30) is hashed and compared without a heap number. The codes pin the raw
    // operation, originator group and endpoint down only when those are features (see score).
    const pinned =
      this.#operationFeature >= 0 &&
      (this.#origFeature >= 0 || (this.#techniqueHosts === null && this.routine === null)) &&
      (this.#endpointFeature >= 0 || this.routine === null);
    this.#codeCache = pinned && place <= 2 ** 30 ? new Map<number, Verdict>() : null;
  }

  /** Feature names, in the order rows must have them. */
  get featureNames(): readonly string[] {
    return this.model.featureNames;
  }

  /** Estimated bytes the verdict caches hold (at most VERDICT_CACHE_BYTES). */
  get cachedBytes(): number {
    return this.#cacheBytes + this.#codeCacheBytes;
  }

  /** The rarity above which the rule flags (Infinity for rules that do not use rarity). */
  get rarityThreshold(): number {
    return this.#rarityThreshold;
  }

  /**
   * Scores one feature row; `operation` is the raw operation name (for the technique table),
   * `origGroup` the originator's group (needed by the technique profile when it is not a feature),
   * `endpoint` the raw endpoint (the routine test reads it when it is not a known feature value).
   */
  score(row: readonly string[], operation: string | null, origGroup = '', endpoint: string | null = null): Verdict {
    const codes = this.#codes;
    const unseenCount = this.#index.encode(row, codes);
    const byCode = this.#codeCache;
    if (unseenCount === 0 && byCode !== null) {
      let code = 0;
      // Integer arithmetic throughout (the key is below 2^30): a double would be boxed for the lookup.
      for (let f = 0; f < codes.length; f++) code = (code + (codes[f] as number) * (this.#radix[f] as number)) | 0;
      const cached = byCode.get(code);
      if (cached !== undefined) return cached;
      const verdict = this.#compute(codes, 0, operation, this.#origFeature >= 0 ? (row[this.#origFeature] as string) : origGroup, endpoint);
      // Counted as the string key it replaces would be (one character a feature).
      const bytes = cachedVerdictBytes(codes.length, verdict);
      if (this.#codeCacheBytes + bytes > VERDICT_CACHE_BYTES - UNSEEN_VERDICT_CACHE_BYTES) {
        byCode.clear();
        this.#codeCacheBytes = 0;
      }
      this.#codeCacheBytes += bytes;
      byCode.set(code, verdict);
      return verdict;
    }
    let key = '';
    for (let f = 0; f < codes.length; f++) key += String.fromCharCode((codes[f] as number) + 1);
    // The technique depends on the raw operation, which the codes pin down only when it is a
    // feature with a known value.
    if (this.#operationFeature < 0 || codes[this.#operationFeature] === -1) key += `\u0000${operation ?? ''}`;
    if ((this.#techniqueHosts !== null || this.routine !== null) && (this.#origFeature < 0 || codes[this.#origFeature] === -1)) key += `\u0001${origGroup}`;
    if (this.routine !== null && (this.#endpointFeature < 0 || codes[this.#endpointFeature] === -1)) key += `\u0002${endpoint ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const verdict = this.#compute(codes, unseenCount, operation, this.#origFeature >= 0 ? (row[this.#origFeature] as string) : origGroup, endpoint);
    const bytes = cachedVerdictBytes(key.length, verdict);
    if (this.#cacheBytes + bytes > (byCode === null ? VERDICT_CACHE_BYTES : UNSEEN_VERDICT_CACHE_BYTES)) {
      this.#cache.clear();
      this.#cacheBytes = 0;
    }
    this.#cacheBytes += bytes;
    this.#cache.set(key, verdict);
    return verdict;
  }

  /**
   * `verdict` judged as a plain call of its interface, not as its technique: for an operation the
   * caller has shown to be part of a role (a print client's change notification to an established
   * print server, print-servers.ts; an administration host's habit, admin-hosts.ts); whatever else
   * would flag it (a never-seen value, the rate part) still does. The verdict cache holds the
   * call's technique verdict, so the role is vouched for per record, by the caller.
   */
  asPlainCall(verdict: Verdict, endpoint: string | null, operation: string | null, origGroup: string): Verdict {
    if (this.routine === null || this.rule.kind !== 'technique') return verdict;
    const { anomalous, reason, newValue } = this.#withRarity(this.routine.judge(endpoint, operation, origGroup, undefined), verdict.rarity);
    return verdictWith(verdict, anomalous, reason, newValue);
  }

  /** A routine verdict combined with the rarity part of the technique rule. */
  #withRarity(judged: RoutineVerdict, rarity: number): { anomalous: boolean; reason: string; newValue: string | undefined } {
    const rare = rarity > this.#rarityThreshold;
    return {
      anomalous: judged.flagged || rare,
      reason: judged.flagged ? judged.reason : rare ? `rarity ${rarity} bits above ${this.#rarityThreshold}` : '',
      newValue: judged.newValue !== undefined && !rare ? judged.newValue : undefined,
    };
  }

  /**
   * Least training support of the row's who × what pairs: the estimate (default) or, with
   * `lowerBound`, the least number of rows the cluster counts guarantee (Fréchet bound per cluster).
   */
  supportOf(codes: Int32Array, pairs: readonly [number, number][] = this.#pairs, lowerBound = false): number {
    let least = Infinity;
    const counts = this.#counts;
    const sizes = this.#sizes;
    for (const [a, b] of pairs) {
      const codeA = codes[a] as number;
      const codeB = codes[b] as number;
      let support = 0;
      if (codeA >= 0 && codeB >= 0) {
        for (let c = 0; c < counts.length; c++) {
          const size = sizes[c] as number;
          if (size === 0) continue;
          const perFeature = counts[c] as Float64Array[];
          const countA = (perFeature[a] as Float64Array)[codeA] as number;
          const countB = (perFeature[b] as Float64Array)[codeB] as number;
          if (lowerBound) {
            const atLeast = countA + countB - size;
            if (atLeast > 0) support += atLeast;
          } else {
            support += (countA * countB) / size;
          }
        }
      }
      if (support < least) least = support;
    }
    return least;
  }

  #compute(codes: Int32Array, unseenCount: number, operation: string | null, origGroup: string, endpoint: string | null): Verdict {
    const m = codes.length;
    const cluster = this.#index.nearest(codes, this.#distanceOut);
    const distance = this.#distanceOut[0] as number;
    const mismatched: number[] = [];
    const unseen: number[] = [];
    for (let f = 0; f < m; f++) {
      if (this.#index.differs(codes, cluster, f)) mismatched.push(f);
      if (unseenCount > 0 && codes[f] === -1) unseen.push(f);
    }
    const support = this.supportOf(codes);
    // Rounded as the calibration histogram is, so a training row at the threshold compares equal.
    const rarity = roundRarity(rarityBits(support, this.#rows));
    const technique = techniqueFor(operation);
    const vetted = this.#techniqueHosts;
    const originSupport =
      vetted !== null && technique !== undefined && operation !== null
        ? profileHosts(vetted, operation, origGroup)
        : this.#originPairs.length === 0
          ? support
          : this.supportOf(codes, this.#originPairs);
    // With a profile, an admitted pair has at least minHosts hosts and a pair not admitted has 0.
    const minSupport = vetted !== null && technique !== undefined ? this.#minHosts : 0;
    let anomalous: boolean;
    let reason = '';
    let newValue: string | undefined;
    const rule = this.rule;
    switch (rule.kind) {
      case 'distance':
        anomalous = distance > rule.threshold;
        break;
      case 'rarity':
      case 'rate':
        anomalous = rarity > this.#rarityThreshold;
        break;
      case 'technique':
        if (this.routine !== null) {
          ({ anomalous, reason, newValue } = this.#withRarity(this.routine.judge(endpoint, operation, origGroup, technique), rarity));
          break;
        }
        anomalous =
          (technique !== undefined && originSupport < (vetted !== null ? minSupport : rule.minSupport)) ||
          unseen.some((f) => this.#whatFeatures.includes(f)) ||
          rarity > this.#rarityThreshold;
        break;
    }
    if (anomalous && reason === '') reason = this.#describe(rule, distance, rarity, technique, unseen);
    return { cluster, distance, mismatched, unseen, support, originSupport, rarity, technique, anomalous, reason, newValue };
  }

  #describe(rule: ScoringRule, distance: number, rarity: number, technique: Technique | undefined, unseen: readonly number[]): string {
    switch (rule.kind) {
      case 'distance':
        return `${distance} features differ from the nearest mode (more than ${rule.threshold})`;
      case 'rarity':
      case 'rate':
        return `rarity ${rarity} bits above ${this.#rarityThreshold}`;
      case 'technique': {
        const names = unseen.filter((f) => this.#whatFeatures.includes(f)).map((f) => this.model.featureNames[f] as string);
        if (names.length > 0) return `${names.join(', ')} never seen in training`;
        return technique === undefined ? `rarity ${rarity} bits` : `${technique.id} ${technique.label} from a group training did not vet`;
      }
    }
  }
}

function thresholdFor(model: KModesModel, rule: ScoringRule): number {
  switch (rule.kind) {
    case 'rarity':
      return rule.thresholdBits;
    case 'rate':
      return rateThreshold(model, rule.alertRate);
    case 'technique':
      // No rate part: nothing is rare enough.
      return rule.alertRate > 0 ? rateThreshold(model, rule.alertRate) : Infinity;
    case 'distance':
      return Infinity;
  }
}

/**
 * The rarity that the rarest `alertRate` of training rows exceed, from the model's calibration
 * (rarity → training rows with it). Rows at exactly the threshold are not flagged, so a tie at the
 * boundary errs towards fewer alerts.
 */
export function rateThreshold(model: KModesModel, alertRate: number): number {
  const histogram = model.calibration?.rarity;
  if (histogram === undefined || histogram.length === 0) return Infinity;
  const total = histogram.reduce((sum, [, count]) => sum + count, 0);
  const allowed = alertRate * total;
  let above = 0;
  // Walk from the rarest value down until flagging the next value would exceed the budget.
  for (let i = histogram.length - 1; i >= 0; i--) {
    const [rarity, count] = histogram[i] as [number, number];
    if (above + count > allowed) return rarity;
    above += count;
  }
  return -Infinity;
}

/** The rule the `[scoring]` section describes. */
export function scoringRuleFrom(options: {
  rule: 'technique' | 'rate' | 'rarity' | 'distance';
  minSupport: number;
  techniqueAlertRate: number | null;
  distanceThreshold: number;
  rarityThreshold: number | null;
  alertRate: number;
}): ScoringRule {
  switch (options.rule) {
    case 'technique':
      return { kind: 'technique', minSupport: options.minSupport, alertRate: options.techniqueAlertRate ?? 0 };
    case 'distance':
      return { kind: 'distance', threshold: options.distanceThreshold };
    case 'rarity':
      return options.rarityThreshold === null
        ? { kind: 'rate', alertRate: options.alertRate }
        : { kind: 'rarity', thresholdBits: options.rarityThreshold };
    case 'rate':
      return { kind: 'rate', alertRate: options.alertRate };
  }
}
