/**
 * The typed configuration the rest of the daemon codes against. Names are camelCase with units
 * in them; the INI spelling (snake_case) lives only in schema.ts.
 */

// The feature stage owns what its options are; the configuration only fills them in.
export { FEATURE_NAMES } from '../features/options.js';
export type { FeatureName, FeatureOptions, IpGroupFallback } from '../features/options.js';
import type { FeatureOptions } from '../features/options.js';

/** One `[allow.NAME]` rule: a record matching every given matcher is not reported. */
export interface AllowRule {
  name: string;
  origGroup?: string;
  respGroup?: string;
  /** Canonical CIDR text (a bare address becomes /32 or /128). */
  origHost?: string;
  respHost?: string;
  endpoint?: string;
  operation?: string;
  namedPipe?: string;
  reason: string;
  /** Epoch ms after which the rule no longer applies. */
  expiresAt?: number;
}

/** `[input]`: which logs to follow and how. */
export interface InputOptions {
  paths: string[];
  pollIntervalMs: number;
  maxLineBytes: number;
  /** `archives` plus the deprecated `bootstrap` globs, deduplicated, in the order given. */
  archives: string[];
  bootstrap: string[];
  stateDirectory: string;
}

/** `[training]`: how the training window is sampled. */
export interface TrainingOptions {
  /** `auto`: keep everything until the window is full, then thin it evenly (TrainingWindow). */
  sampleEvery: number | 'auto';
  sampleMode: 'deterministic' | 'random';
  windowMaxRows: number;
  windowMaxAgeMs: number;
  minRows: number;
}

/** `[model]`: K-Modes fitting and retraining. */
export interface ModelOptions {
  k: number;
  nInit: number;
  init: 'huang' | 'cao';
  /** null = a fresh seed per training run. */
  seed: number | null;
  maxIter: number;
  keepModels: number;
  /** Most worker threads one retrain uses. */
  trainThreads: number;
  /** node-cron expression. */
  retrainSchedule: string;
  retrainTimeZone: string;
  /** null = no sanity bound on a new model's mean cost per row. */
  maxCostPerRow: number | null;
}

/** `[scoring]`: when a record is an anomaly. */
export interface ScoringOptions {
  rule: 'technique' | 'rate' | 'rarity' | 'distance';
  /** rule = technique: flag technique operations with less training support than this. */
  minSupport: number;
  /** Training admits a technique operation for a group only when this many distinct hosts did it. */
  techniqueMinHosts: number;
  /** rule = technique: also flag this rarest fraction by rarity; null = no rate part. */
  techniqueAlertRate: number | null;
  /** ...and at least this share of the group's active hosts. */
  techniqueMinShare: number;
  /** Routine needs evidence on this many distinct days. */
  routineMinDays: number;
  /** One host on this many days makes a habit. */
  routineHabitDays: number;
  /** New values are flagged only after this long (ms) of statistics. */
  routineWarmupMs: number;
  distanceThreshold: number;
  /** null = let the scoring stage derive it from alertRate. */
  rarityThreshold: number | null;
  /** Fraction of records expected to be flagged (0.0005 = 0.05 %). */
  alertRate: number;
}

/** `[output]`: where and how anomalies.log is written. */
export interface OutputOptions {
  directory: string;
  format: 'json' | 'zeek';
  fieldNames: 'zeek' | 'ecs';
  /** 0 = never rotate (leave it to logrotate). */
  rotateIntervalMs: number;
}

/** `[logging]`: the daemon's own log. */
export interface LoggingOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  statsIntervalMs: number;
  /** Line format of the daemon's own log. */
  format: 'text' | 'json' | 'ecs';
}

/** `[metrics]`: the optional Prometheus endpoint. */
export interface MetricsOptions {
  enabled: boolean;
  listenHost: string;
  listenPort: number;
}

/** One thing wrong (or suspicious) in a config file. */
export interface ConfigProblem {
  file: string;
  /** 1-based; null for file-level problems (unreadable file…). */
  line: number | null;
  /** `section.key`, `section`, or '' when no key applies. */
  key: string;
  message: string;
  severity: 'error' | 'warning';
}

/** Effective settings as INI text, section → key → value (defaults filled in), for --print and diffs. */
export type EffectiveIni = Record<string, Record<string, string>>;

/** The whole validated configuration. */
export interface Config {
  /** The file it came from, or null for the built-in defaults. */
  sourceFile: string | null;
  input: InputOptions;
  features: FeatureOptions;
  training: TrainingOptions;
  model: ModelOptions;
  scoring: ScoringOptions;
  /** In file order. */
  allow: AllowRule[];
  output: OutputOptions;
  logging: LoggingOptions;
  metrics: MetricsOptions;
  /** Problems that do not stop the config from loading (expired allow rules…). */
  warnings: ConfigProblem[];
  effective: EffectiveIni;
}

/** The environment variables the loader reads (systemd's StateDirectory=/LogsDirectory=). */
export interface ConfigEnv {
  STATE_DIRECTORY?: string | undefined;
  LOGS_DIRECTORY?: string | undefined;
}
