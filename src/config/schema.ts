/**
 * THE configuration schema, declared once. It drives validation and defaults (load.ts), the
 * commented config/zeek-anomalyd.ini and docs/configuration.md (render.ts). Defaults are INI
 * text and go through the same parsers as the file, so a default can never be invalid.
 */
import type { ConfigEnv } from './types.js';
import { FEATURE_NAMES } from './types.js';
import {
  absolutePath,
  bool,
  byteSize,
  cidr,
  cidrList,
  cronExpression,
  decimal,
  duration,
  expiry,
  fraction,
  hostPort,
  integer,
  autoOrInteger,
  oneOf,
  orderedSubset,
  pathList,
  text,
  timeBins,
  timeZone,
  token,
  type ValueType,
} from './values.js';

/** Where a default comes from when the file leaves the key out. */
export type DefaultSource =
  /** Fixed INI text. */
  | { kind: 'text'; text: string }
  /** An environment variable set by systemd (first entry of a colon list), else fixed text. */
  | { kind: 'env'; variable: keyof ConfigEnv; fallback: string }
  /** Unset: the typed value is null. */
  | { kind: 'unset' }
  /** The key must be given. */
  | { kind: 'required' };

/** One key: its type, its documentation and its default. */
export interface KeySpec<T> {
  readonly type: ValueType<T>;
  /** What the key means (one or two sentences). */
  readonly doc: string;
  readonly units: string | null;
  /** An example value (INI text). */
  readonly example: string;
  readonly default: DefaultSource;
}

interface KeyDocs {
  doc: string;
  units?: string;
  example: string;
}

function spec<T>(type: ValueType<T>, source: DefaultSource, docs: KeyDocs): KeySpec<T> {
  return { type, doc: docs.doc, units: docs.units ?? null, example: docs.example, default: source };
}

function key<T>(type: ValueType<T>, defaultText: string, docs: KeyDocs): KeySpec<T> {
  return spec(type, { kind: 'text', text: defaultText }, docs);
}

function envKey<T>(type: ValueType<T>, variable: keyof ConfigEnv, fallback: string, docs: KeyDocs): KeySpec<T> {
  return spec(type, { kind: 'env', variable, fallback }, docs);
}

function optionalKey<T>(type: ValueType<T>, docs: KeyDocs): KeySpec<T | null> {
  return spec<T | null>(type, { kind: 'unset' }, docs);
}

function requiredKey<T>(type: ValueType<T>, docs: KeyDocs): KeySpec<T> {
  return spec(type, { kind: 'required' }, docs);
}

/** The INI text a default resolves to in `env`, or null when unset/required. */
export function defaultText(spec: KeySpec<unknown>, env: ConfigEnv): string | null {
  switch (spec.default.kind) {
    case 'text':
      return spec.default.text;
    case 'env': {
      // systemd joins several StateDirectory= entries with ':'; the first is ours.
      const fromEnv = env[spec.default.variable]?.split(':')[0]?.trim();
      return fromEnv !== undefined && fromEnv !== '' ? fromEnv : spec.default.fallback;
    }
    case 'unset':
    case 'required':
      return null;
  }
}

/** The default feature list (the notebook's six). */
export const DEFAULT_FEATURES = 'endpoint, named_pipe, operation, orig_ip_group, resp_ip_group, time_of_day_bin';
/** The notebook's hour bins. */
export const DEFAULT_TIME_BINS =
  '0-1:late_night, 2-5:early_morning, 6-9:morning, 10-13:afternoon, 14-17:evening, 18-21:night, 22-23:late_night';

// The tables below are data: one entry per INI key, each the same few fields (type, default,
// doc, units, example), read by load.ts, render.ts and check-config. A duplicate finder matches
// their rows by shape; that is the point of a declarative table, not repeated logic, so they stay
// one readable entry per key rather than being folded into some terser, harder-to-review form.
const input = {
  paths: key(pathList(1), '/opt/zeek/logs/current/dce_rpc.log', {
    doc: 'The live dce_rpc.log file(s) to follow. Globs are expanded on every poll, so a cluster with several loggers can use one pattern for all of them.',
    example: '/opt/zeek/spool/logger-*/dce_rpc.log',
  }),
  poll_interval: key(duration(100, 1000), '1s', {
    doc: 'How often each followed file is stat()ed for new data, rotation and truncation.',
    units: 'duration (100ms to 1s)',
    example: '500ms',
  }),
  max_line_bytes: key(byteSize(1024, 64 * 1024 ** 2), '1MiB', {
    doc: 'Longest log line accepted; longer lines are counted, skipped, and do not grow memory.',
    units: 'bytes',
    example: '256KiB',
  }),
  archives: key(pathList(0), '', {
    doc: "Where rotated logs end up (globs, plain or .gz), e.g. zeekctl's logs/*/dce_rpc.*.log.gz, the supervisor's log-queue/dce_rpc__*.log and archive/*/dce_rpc.*.log.gz, logrotate's dce_rpc.log.*. After a restart or a rotation, files rotated since the checkpoint are found here (by content, not name) and read in order before the live file; the directory of each followed file is always searched too. At first start they also seed the training window. List a pipeline's stages in order (log-queue before archive). Empty: only the followed file's own directory.",
    example: '/opt/zeek/logs/*/dce_rpc.*.log.gz',
  }),
  bootstrap: key(pathList(0), '', {
    doc: 'Deprecated: an older name for archives (its globs are added to archives).',
    example: '/opt/zeek/logs/*/dce_rpc.*.log.gz',
  }),
  state_directory: envKey(absolutePath, 'STATE_DIRECTORY', '/var/lib/zeek-anomalyd', {
    doc: 'Where models, read offsets and the training window are kept. Unset: $STATE_DIRECTORY (set by systemd StateDirectory=), else /var/lib/zeek-anomalyd.',
    example: '/var/lib/zeek-anomalyd',
  }),
};

const features = {
  features: key(orderedSubset(FEATURE_NAMES), DEFAULT_FEATURES, {
    doc: `Features each record is turned into, in this order (the model's columns). Allowed: ${FEATURE_NAMES.join(', ')}. Changing the list makes existing models unusable until the next training.`,
    example: 'endpoint, named_pipe, operation, orig_ip_group, resp_ip_group, time_of_day_bin, weekday_weekend',
  }),
  missing_token: key(token, 'missing', {
    doc: 'Feature value used for an unset (-) or empty field.',
    example: 'missing',
  }),
  fold_pipe_case: key(bool, 'true', {
    doc: 'Treat named pipes that differ only in letter case (\\PIPE\\lsarpc, \\pipe\\lsarpc) as one pipe. Windows pipe names are case-insensitive.',
    example: 'false',
  }),
  time_zone: key(timeZone, 'UTC', {
    doc: 'Time zone in which time_of_day_bin, day_of_week and weekday_weekend are computed; use the site\'s local zone so "night" means night.',
    example: 'Europe/Berlin',
  }),
  time_bins: key(timeBins, DEFAULT_TIME_BINS, {
    doc: 'Hour ranges (inclusive, local to time_zone) and their labels for time_of_day_bin. Every hour 0-23 must be in exactly one bin; a label may repeat (late_night wraps midnight).',
    example: '0-5:night, 6-8:early, 9-17:office, 18-23:evening',
  }),
  ip_group_fallback: key(oneOf(['label', 'subnet', 'internal-external'] as const), 'internal-external', {
    doc: 'Group of an address no [ip_groups] CIDR contains: label = ip_group_fallback_label; subnet = its /24 (IPv4) or /64 (IPv6) network; internal-external = internal for RFC 1918, fc00::/7, loopback and link-local, else external.',
    example: 'label',
  }),
  ip_group_fallback_label: key(token, 'other', {
    doc: 'The group name used when ip_group_fallback = label.',
    example: 'other',
  }),
};

const training = {
  sample_every: key(autoOrInteger(1), 'auto', {
    doc: 'Which records go into the training window. auto: every record until the window holds window_max_rows, then it is thinned evenly over time (every other row goes, and from then on 1 record in 2 is kept, then 1 in 4, ...), so a small site trains on everything and a large one on a bounded sample. A number N: keep one record in N and drop the oldest rows when full (20 = the notebook).',
    units: 'records',
    example: '20',
  }),
  sample_mode: key(oneOf(['deterministic', 'random'] as const), 'deterministic', {
    doc: 'For sample_every = N: deterministic = every Nth record (stable across restarts); random = each record with probability 1/N (seeded by [model] seed when set).',
    example: 'random',
  }),
  window_max_rows: key(integer(100, 100_000_000), '1000000', {
    doc: 'Most sampled rows kept in the training window; the oldest are dropped first.',
    units: 'rows',
    example: '500000',
  }),
  window_max_age: key(duration(3_600_000, 366 * 86_400_000), '14d', {
    doc: 'Rows older than this leave the training window.',
    units: 'duration (1h to 366d)',
    example: '7d',
  }),
  min_rows: key(integer(1), '200', {
    doc: 'No model is trained until the window holds at least this many rows (must be at least [model] k). Low on purpose: with sample_every = auto a site of a few hundred records a week gets its first model within days, and routine (the default rule) is judged by statistics over every record, not by these rows.',
    units: 'rows',
    example: '5000',
  }),
};

const model = {
  k: key(integer(2, 1000), '15', {
    doc: 'Number of K-Modes clusters.',
    units: 'clusters',
    example: '20',
  }),
  n_init: key(integer(1, 100), '4', {
    doc: 'Independent K-Modes runs per training; the lowest-cost one is kept.',
    units: 'runs',
    example: '8',
  }),
  init: key(oneOf(['huang', 'cao'] as const), 'huang', {
    doc: 'How initial cluster modes are chosen: huang (random, frequency-weighted) or cao (deterministic, density-based).',
    example: 'cao',
  }),
  seed: optionalKey(integer(0, 2 ** 32 - 1), {
    doc: 'Random seed for initialisation and random sampling. Unset: a fresh seed per training (recorded in the model file).',
    example: '42',
  }),
  max_iter: key(integer(1, 10_000), '100', {
    doc: 'Most K-Modes iterations per run.',
    units: 'iterations',
    example: '50',
  }),
  keep_models: key(integer(1, 1000), '5', {
    doc: 'Trained models kept in the state directory (the newest is used; older ones allow rollback).',
    units: 'models',
    example: '10',
  }),
  train_threads: key(integer(1, 64), '1', {
    doc: "Worker threads a retrain runs its n_init fits in. Each costs ~10 MB and a core for the fit's duration; the sensor's cores belong to Zeek, so the default keeps retraining to one.",
    units: 'threads',
    example: '2',
  }),
  retrain_schedule: key(cronExpression, '17 3 * * *', {
    doc: 'When to retrain, as a cron expression (5 fields, or 6 with seconds first) in retrain_time_zone.',
    example: '30 2 * * sun',
  }),
  retrain_time_zone: key(timeZone, 'UTC', {
    doc: 'Time zone of retrain_schedule. UTC avoids DST skipping or repeating a run.',
    example: 'Europe/Berlin',
  }),
  max_cost_per_row: optionalKey(decimal(0, Infinity, true), {
    doc: 'Sanity bound: a new model whose mean cost (mismatching features per row) exceeds this is rejected and the previous model kept. Unset: no bound.',
    units: 'mismatching features per row',
    example: '2.5',
  }),
};

const scoring = {
  rule: key(oneOf(['technique', 'rate', 'rarity', 'distance'] as const), 'technique', {
    doc: 'How a record is judged anomalous: technique = an operation of a known attack technique (DCSync, PsExec, remote tasks, WMI, coercion, PrintNightmare, registry dumps, session enumeration) by a who-group that training saw doing it fewer than min_support times, or an endpoint/operation never seen in training; rate = the rarest alert_rate fraction of records (threshold calibrated on the training rows); rarity = rarity above rarity_threshold; distance = more than distance_threshold features differ from the nearest centroid (the notebook rule). docs/detection.md has the measurements behind the default.',
    example: 'distance',
  }),
  min_support: key(decimal(0, Infinity), '1', {
    doc: 'For rule = technique: a technique operation is flagged when the training rows in which its group did it (estimated from the clusters) are fewer than this.',
    units: 'training rows',
    example: '3',
  }),
  technique_min_hosts: key(integer(1, 1000), '3', {
    doc: 'For rule = technique, at training: a technique operation counts as normal for an originator group only when at least this many distinct hosts of the group performed it in the training data; rows of other technique pairs are withheld from the model, so one compromised host (or two) cannot teach it that its own attack is normal.',
    units: 'distinct hosts',
    example: '2',
  }),
  technique_alert_rate: optionalKey(fraction(0.5), {
    doc: 'For rule = technique: also flag the rarest fraction of records by rarity (threshold calibrated on the training rows), as rule = rate does. Unset: technique operations and unseen endpoints/operations only, the measured default (docs/detection.md: the rate part added 1-6 false alerts per 10,000 records for a few percent recall).',
    units: 'fraction of records',
    example: '0.05%',
  }),
  technique_min_share: key(fraction(1), '0.25', {
    doc: 'For rule = technique, at training: besides technique_min_hosts, the share of the originator group\'s active hosts that must have performed a technique operation for it to count as normal for the group (a few compromised hosts in a big group do not make an attack routine).',
    units: 'fraction of the group\'s hosts',
    example: '10%',
  }),
  routine_min_days: key(integer(1, 366), '2', {
    doc: 'For rule = technique: routine needs evidence on at least this many distinct days (besides technique_min_hosts hosts), counted over every record read, never on more days than the statistics cover. A value or technique operation with less is "not yet seen" (docs/detection.md).',
    units: 'distinct days',
    example: '3',
  }),
  routine_habit_days: key(integer(1, 366), '3', {
    doc: 'For rule = technique: one host doing something on this many distinct days makes it routine for its group by itself (the only evidence a one-host network can give).',
    units: 'distinct days',
    example: '5',
  }),
  routine_warmup: key(duration(0, 366 * 86_400_000, true), '1d', {
    doc: 'For rule = technique: discovery operations and non-technique endpoints/operations are flagged as new only when first seen at least this long after the routine statistics began (before that nothing is established); dangerous technique operations are flagged from the start.',
    example: '12h',
  }),
  distance_threshold: key(decimal(0, Infinity), '5', {
    doc: 'For rule = distance: a record is anomalous when its distance to the nearest mode is greater than this (notebook: distance > 5).',
    units: 'mismatching features',
    example: '4',
  }),
  rarity_threshold: optionalKey(decimal(0, Infinity, true), {
    doc: 'For rule = rarity: a record is anomalous when its rarity score is greater than this. Unset: the scoring stage derives it from alert_rate on the training window.',
    units: 'rarity score',
    example: '12.5',
  }),
  alert_rate: key(fraction(0.5), '0.0005', {
    doc: 'For rule = rate (and an unset rarity_threshold): the fraction of records expected to be flagged.',
    units: 'fraction of records',
    example: '0.1%',
  }),
};

const output = {
  directory: envKey(absolutePath, 'LOGS_DIRECTORY', '/var/log/zeek-anomalyd', {
    doc: 'Directory of anomalies.log. Unset: $LOGS_DIRECTORY (set by systemd LogsDirectory=), else /var/log/zeek-anomalyd. Never point it at Zeek\'s own log directories.',
    example: '/var/log/zeek-anomalyd',
  }),
  format: key(oneOf(['json', 'zeek'] as const), 'json', {
    doc: 'json: one JSON object per line, as Zeek\'s JSON writer; zeek: Zeek TSV with #fields headers (zeek-cut works).',
    example: 'zeek',
  }),
  field_names: key(oneOf(['zeek', 'ecs'] as const), 'zeek', {
    doc: 'Field naming: zeek (id.orig_h …) or ecs (source.ip …, only with format = json).',
    example: 'ecs',
  }),
  rotate_interval: key(duration(1000, 30 * 86_400_000, true), '1h', {
    doc: 'Rotate anomalies.log this often (write #close, rename with a timestamp); 0 = never, leave rotation to logrotate (send SIGHUP to reopen).',
    units: 'duration (1s to 30d, or 0)',
    example: '0',
  }),
};

const logging = {
  level: key(oneOf(['error', 'warn', 'info', 'debug'] as const), 'info', {
    doc: 'Least severe level written to the daemon\'s own log (the journal under systemd).',
    example: 'debug',
  }),
  stats_interval: key(duration(1000, 86_400_000, true), '60s', {
    doc: 'How often a statistics line (records read, parse errors, anomalies) is logged; 0 = never.',
    units: 'duration (1s to 1d, or 0)',
    example: '5m',
  }),
  format: key(oneOf(['text', 'json', 'ecs'] as const), 'text', {
    doc: 'Line format of the daemon\'s own log: text (message key=value), json (one JSON object per line) or ecs (Elastic Common Schema JSON through @elastic/ecs-winston-format, our fields under zeek_anomalyd.*). Under systemd every format keeps the <N> priority prefix the journal reads.',
    example: 'ecs',
  }),
};

const metrics = {
  enabled: key(bool, 'false', {
    doc: 'Serve Prometheus metrics over HTTP at listen.',
    example: 'true',
  }),
  listen: key(hostPort, '127.0.0.1:9464', {
    doc: 'Address and port of the metrics endpoint. A non-loopback address draws a warning: the endpoint has no authentication.',
    example: '[::1]:9464',
  }),
};

/** A section with a fixed set of keys. */
export interface FixedSection {
  readonly doc: string;
  readonly keys: Readonly<Record<string, KeySpec<unknown>>>;
}

/** The sections with fixed keys, in documentation order (ip_groups and allow.NAME are separate). */
export const FIXED_SECTIONS = {
  input: { doc: 'Which Zeek logs to follow and how.', keys: input },
  features: { doc: 'How each dce_rpc record becomes a feature vector.', keys: features },
  training: { doc: 'Which records the model is trained on.', keys: training },
  model: { doc: 'K-Modes fitting and the retraining schedule.', keys: model },
  scoring: { doc: 'When a record is reported as an anomaly.', keys: scoring },
  output: { doc: 'Where and how anomalies.log is written.', keys: output },
  logging: { doc: "The daemon's own log.", keys: logging },
  metrics: { doc: 'Optional Prometheus endpoint.', keys: metrics },
} as const satisfies Record<string, FixedSection>;

/** Name of a fixed section. */
export type FixedSectionName = keyof typeof FIXED_SECTIONS;

/** Typed values of a fixed section, as parsed (INI key names). */
export type SectionValues<S extends FixedSectionName> = {
  -readonly [K in keyof (typeof FIXED_SECTIONS)[S]['keys']]: (typeof FIXED_SECTIONS)[S]['keys'][K] extends KeySpec<infer T> ? T : never;
};

/** `[ip_groups]`: free keys, each a group name whose value is a CIDR list. */
export const IP_GROUPS_SECTION = {
  name: 'ip_groups',
  doc: 'Named groups of addresses (departments, server roles) for orig_ip_group and resp_ip_group: one key per group, its value a comma-separated list of IPv4/IPv6 CIDRs (a bare address is a /32 or /128). The longest matching prefix wins across all groups; an address in no group gets ip_group_fallback. Host bits must be zero (10.1.2.3/16 is an error that names 10.1.0.0/16), and a CIDR may belong to one group only.',
  groupName: token,
  value: cidrList,
  example: [
    ['domain_controllers', '10.0.0.8/29'],
    ['servers', '10.0.1.0/24, 2001:db8:0:1::/64'],
    ['finance', '10.10.1.0/24'],
  ] as const,
} as const;

/** `[allow.NAME]`: one allow-list rule per section. */
export const ALLOW_SECTION = {
  prefix: 'allow.',
  doc: 'Allow-list rules, one section each, named [allow.NAME] (NAME: letters, digits, _ and -). A record that matches every matcher given in a rule is not reported. At least one matcher is required, and a reason. Expired rules are ignored and reported by check-config as warnings.',
  nameSyntax: /^[A-Za-z0-9_-]+$/,
  keys: {
    orig_group: optionalKey(token, { doc: "Matcher: the originator's IP group (an [ip_groups] name or a fallback group).", example: 'it_admin' }),
    resp_group: optionalKey(token, { doc: "Matcher: the responder's IP group.", example: 'domain_controllers' }),
    orig_host: optionalKey(cidr, { doc: 'Matcher: originator address or CIDR.', example: '10.20.0.15' }),
    resp_host: optionalKey(cidr, { doc: 'Matcher: responder address or CIDR.', example: '10.0.1.0/24' }),
    endpoint: optionalKey(text, { doc: 'Matcher: the DCE-RPC endpoint (interface) exactly as logged.', example: 'drsuapi' }),
    operation: optionalKey(text, { doc: 'Matcher: the operation exactly as logged.', example: 'DRSGetNCChanges' }),
    named_pipe: optionalKey(text, { doc: 'Matcher: the named pipe (or TCP port) as logged; compared case-insensitively when fold_pipe_case = true.', example: '\\pipe\\lsass' }),
    reason: requiredKey(text, { doc: 'Why this traffic is expected (required; logged when the rule suppresses a record).', example: 'nightly backup scan by the backup server' }),
    expires: optionalKey(expiry, { doc: 'When the rule stops applying: an ISO date (through the end of that UTC day) or date-time with zone. Unset: never.', example: '2026-12-31' }),
  },
  matchers: ['orig_group', 'resp_group', 'orig_host', 'resp_host', 'endpoint', 'operation', 'named_pipe'] as const,
  example: {
    name: 'backup-scan',
    entries: [
      ['orig_host', '10.0.1.40'],
      ['endpoint', 'srvsvc'],
      ['operation', 'NetrShareEnum'],
      ['reason', 'nightly share inventory by the backup server'],
      ['expires', '2026-12-31'],
    ],
  },
} as const;

/** Every section name a file may use, `allow.NAME` written as a pattern (for suggestions). */
export const SECTION_NAMES: readonly string[] = [...Object.keys(FIXED_SECTIONS), IP_GROUPS_SECTION.name, 'allow.NAME'];
