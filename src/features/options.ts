/**
 * What the feature stage is configured with. The config stage (src/config/types.ts) declares a
 * structurally identical interface and produces it from the INI file; this copy keeps the feature
 * stage free of imports from other stages.
 */

/** Every feature the extractor knows: the notebook's six first, in its order, then ours. */
export const FEATURE_NAMES = [
  'endpoint',
  'named_pipe',
  'operation',
  'orig_ip_group',
  'resp_ip_group',
  'time_of_day_bin',
  'day_of_week',
  'weekday_weekend',
  'resp_port',
] as const;

/** One feature the extractor can compute. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** How an address that no configured CIDR contains is grouped. */
export type IpGroupFallback =
  /** A fixed label, e.g. the notebook's `other`. */
  | { kind: 'label'; label: string }
  /** The address's /24 (IPv4) or /64 (IPv6) network in CIDR text, e.g. `10.1.2.0/24`. */
  | { kind: 'subnet' }
  /** `internal` (RFC 1918, fc00::/7, loopback, link-local) or `external`. */
  | { kind: 'internal-external' };

/** A named group of CIDRs (a department, a server role…). */
export interface IpGroup {
  name: string;
  /** IPv4 or IPv6 CIDRs; a bare address means /32 or /128. */
  cidrs: string[];
}

/** An inclusive range of local hours and the label it maps to. */
export interface TimeBin {
  fromHour: number;
  toHour: number;
  label: string;
}

/** Everything that decides how a record becomes a feature vector. */
export interface FeatureOptions {
  /** Ordered feature names (each one of FEATURE_NAMES). */
  features: string[];
  /** Longest prefix wins across all groups; a CIDR should appear under one group only. */
  ipGroups: IpGroup[];
  ipGroupFallback: IpGroupFallback;
  /** Inclusive local-hour ranges; together they should cover 0..23 once. */
  timeBins: TimeBin[];
  /** IANA zone in which hours and weekdays are computed. */
  timeZone: string;
  /** Value used for an unset or empty field (and an hour no bin covers). */
  missingToken: string;
  /** Treat `\PIPE\lsarpc` and `\pipe\lsarpc` as one pipe (canonical form: lower case). */
  foldNamedPipeCase: boolean;
}

/** The notebook's six features, in its order (FEATURE_NAMES starts with them). */
export const NOTEBOOK_FEATURES: readonly FeatureName[] = FEATURE_NAMES.slice(0, 6);

/** The notebook's hour bins (hours inclusive). */
export const NOTEBOOK_TIME_BINS: readonly TimeBin[] = [
  { fromHour: 0, toHour: 1, label: 'late_night' },
  { fromHour: 2, toHour: 5, label: 'early_morning' },
  { fromHour: 6, toHour: 9, label: 'morning' },
  { fromHour: 10, toHour: 13, label: 'afternoon' },
  { fromHour: 14, toHour: 17, label: 'evening' },
  { fromHour: 18, toHour: 21, label: 'night' },
  { fromHour: 22, toHour: 23, label: 'late_night' },
];

/**
 * The notebook's behaviour, which is what the golden feature files were produced with: its six
 * features and bins, UTC, `missing`, unmatched addresses labelled `other`, and no pipe-case
 * folding. No IP groups: callers supply their own map. (The shipped config file chooses
 * friendlier defaults, case folding and internal/external, through its own defaults.)
 */
export const DEFAULT_FEATURE_OPTIONS: Readonly<FeatureOptions> = Object.freeze<FeatureOptions>({
  features: [...NOTEBOOK_FEATURES],
  ipGroups: [],
  ipGroupFallback: { kind: 'label', label: 'other' },
  timeBins: NOTEBOOK_TIME_BINS.map((bin) => ({ ...bin })),
  timeZone: 'UTC',
  missingToken: 'missing',
  foldNamedPipeCase: false,
});

/** True when `name` is a feature the extractor can compute. */
export function isFeatureName(name: string): name is FeatureName {
  return (FEATURE_NAMES as readonly string[]).includes(name);
}
