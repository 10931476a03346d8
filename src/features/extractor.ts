/**
 * Record → categorical feature vector (pure; no I/O). The feature list is compiled once into an
 * array of small per-feature functions so the per-record path is a loop of cheap calls and cached
 * map lookups.
 */
import { DaemonError } from '../errors.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { IpGroupResolver } from './ip-groups.js';
import { isFeatureName, type FeatureName, type FeatureOptions } from './options.js';
import { hourLabels, LocalClock, WEEKDAYS } from './time-bins.js';

type FeatureFn = (record: DceRpcRecord) => string;

/** Zeek's empty-field marker; a JSON log may carry it as a literal value. */
const ZEEK_EMPTY = '(empty)';
const FOLD_CACHE_LIMIT = 10_000;

/** Turns DceRpcRecords into string vectors, one value per configured feature, in order. */
export class FeatureExtractor {
  /** The configured feature names, in vector order. */
  readonly names: string[];
  readonly #fns: FeatureFn[];

  /**
   * Validates everything up front (unknown feature, bad CIDR, bad zone, bad bins).
   * @throws DaemonError ERR_CONFIG_INVALID
   */
  constructor(options: FeatureOptions) {
    const unknown = options.features.filter((name) => !isFeatureName(name));
    if (unknown.length > 0 || options.features.length === 0) {
      throw new DaemonError(
        'ERR_CONFIG_INVALID',
        unknown.length > 0
          ? `features: unknown feature(s): ${unknown.join(', ')}`
          : 'features: the feature list is empty',
        { meta: { unknown } },
      );
    }
    this.names = [...options.features];
    const missing = options.missingToken;
    const orDefault = (value: string | null): string =>
      value === null || value === '' || value === ZEEK_EMPTY ? missing : value;
    const needs = (...names: FeatureName[]): boolean =>
      names.some((name) => options.features.includes(name));

    const groups = needs('orig_ip_group', 'resp_ip_group')
      ? new IpGroupResolver(options.ipGroups, options.ipGroupFallback, missing)
      : null;
    const clock = needs('time_of_day_bin', 'day_of_week', 'weekday_weekend')
      ? new LocalClock(options.timeZone)
      : null;
    const binByHour = hourLabels(options.timeBins, missing);
    const foldPipe = options.foldNamedPipeCase ? caseFolder() : null;

    const group = (address: string | null): string =>
      address === null || address === '' || address === ZEEK_EMPTY
        ? missing
        : (groups as IpGroupResolver).lookup(address);
    const timed =
      (pick: (packed: number) => string): FeatureFn =>
      (record) =>
        Number.isFinite(record.ts) ? pick((clock as LocalClock).packed(record.ts)) : missing;

    const fnFor = (name: FeatureName): FeatureFn => {
      switch (name) {
        case 'endpoint':
          return (r) => orDefault(r.endpoint);
        case 'operation':
          return (r) => orDefault(r.operation);
        case 'named_pipe':
          return foldPipe === null
            ? (r) => orDefault(r.namedPipe)
            : (r) => {
                const value = orDefault(r.namedPipe);
                return value === missing ? missing : foldPipe(value);
              };
        case 'orig_ip_group':
          return (r) => group(r.origHost);
        case 'resp_ip_group':
          return (r) => group(r.respHost);
        case 'time_of_day_bin':
          return timed((packed) => binByHour[packed >>> 3] ?? missing);
        case 'day_of_week':
          return timed((packed) => WEEKDAYS[packed & 7] ?? missing);
        case 'weekday_weekend':
          return timed((packed) => ((packed & 7) >= 5 ? 'weekend' : 'weekday'));
        case 'resp_port':
          return (r) => (r.respPort === null ? missing : String(r.respPort));
      }
    };
    this.#fns = options.features.map((name) => fnFor(name as FeatureName));
  }

  /** A fresh vector for `record`. */
  extract(record: DceRpcRecord): string[] {
    const fns = this.#fns;
    const out = new Array<string>(fns.length);
    for (let i = 0; i < fns.length; i++) out[i] = (fns[i] as FeatureFn)(record);
    return out;
  }

  /** Writes the vector into `out` (reused by callers that want no allocation per record). */
  extractInto(record: DceRpcRecord, out: string[]): string[] {
    const fns = this.#fns;
    for (let i = 0; i < fns.length; i++) out[i] = (fns[i] as FeatureFn)(record);
    out.length = fns.length;
    return out;
  }
}

/**
 * Pipe names are case-insensitive on SMB, so the canonical spelling is all lower case
 * (`\PIPE\lsarpc` → `\pipe\lsarpc`). TCP-port "pipes" such as `135` are unchanged by it.
 */
function caseFolder(): (value: string) => string {
  let cache = new Map<string, string>();
  return (value) => {
    let folded = cache.get(value);
    if (folded === undefined) {
      folded = value.toLowerCase();
      if (cache.size >= FOLD_CACHE_LIMIT) cache = new Map();
      cache.set(value, folded);
    }
    return folded;
  };
}
