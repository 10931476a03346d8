/**
 * Config loading: INI text → every problem, or a typed Config. Nothing here exits the process;
 * a bad file is one DaemonError('ERR_CONFIG_INVALID') whose meta.problems lists everything
 * wrong, so a reload can keep the old config.
 */
import { readFile } from 'node:fs/promises';
import { DaemonError } from '../errors.js';
import { printable } from '../printable.js';
import { scanIni, type IniEntry } from './ini-scan.js';
import {
  ALLOW_SECTION,
  FIXED_SECTIONS,
  IP_GROUPS_SECTION,
  SECTION_NAMES,
  defaultText,
  type FixedSectionName,
  type KeySpec,
} from './schema.js';
import { crossCheck, ProblemList, type ParsedFile } from './cross-check.js';
import { nearest } from './suggest.js';
import type { AllowRule, Config, ConfigEnv, ConfigProblem, EffectiveIni } from './types.js';

/** Options of parseConfigText beyond the text itself. */
export interface ParseOptions {
  /** Clock for "this allow rule has expired" warnings; default Date.now(). */
  nowMs?: number;
}

/** Default path of the daemon's config file. */
export const DEFAULT_CONFIG_PATH = '/etc/zeek-anomalyd/zeek-anomalyd.ini';

/** One `file:line: key: message` line (warnings marked), as check-config prints it. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === null ? problem.file : `${problem.file}:${problem.line}`;
  const severity = problem.severity === 'warning' ? 'warning: ' : '';
  const key = problem.key === '' ? '' : `${problem.key}: `;
  // Messages quote the file's bytes; a hostile or binary INI must not drive the terminal.
  return printable(`${where}: ${severity}${key}${problem.message}`);
}

interface GivenValue {
  value: string;
  line: number;
  /** Built from `key[] = item` lines. */
  isArray: boolean;
  /** Earlier duplicates that ini discards; still validated so every problem is listed. */
  shadowed: { value: string; line: number }[];
}

interface SectionGroup {
  headerLine: number;
  entries: IniEntry[];
}

/** Last-wins map of a section's keys (as ini keeps them), reporting duplicates. */
function collapse(section: string, entries: IniEntry[], problems: ProblemList): Map<string, GivenValue> {
  const given = new Map<string, GivenValue>();
  for (const entry of entries) {
    const previous = given.get(entry.key);
    if (previous === undefined) {
      given.set(entry.key, { value: entry.value, line: entry.line, isArray: entry.isArrayItem, shadowed: [] });
    } else if (previous.isArray && entry.isArrayItem) {
      previous.value = previous.value === '' ? entry.value : `${previous.value}, ${entry.value}`;
    } else {
      problems.error(
        entry.line,
        `${section}.${entry.key}`,
        `duplicate key (first set at line ${previous.line}), expected each key once per section`,
      );
      given.set(entry.key, {
        value: entry.value,
        line: entry.line,
        isArray: entry.isArrayItem,
        shadowed: [...previous.shadowed, { value: previous.value, line: previous.line }],
      });
    }
  }
  return given;
}

/**
 * Keys that were removed because they did nothing: an INI that still sets one loads, with a
 * warning that says so, instead of being refused for an unknown key.
 */
const RETIRED_KEYS: Readonly<Record<string, string>> = {
  'output.flush_interval':
    'flush_interval was removed and has no effect: anomalies are never held back; each input batch\'s anomalies are written and fsynced before the batch counts as read. Delete this line',
};

function unknownKeyMessage(key: string, known: readonly string[], sectionLabel: string): string {
  const guess = nearest(key, known);
  if (guess !== null) return `unknown key in [${sectionLabel}] (did you mean ${guess}?)`;
  for (const [name, section] of Object.entries(FIXED_SECTIONS)) {
    if (Object.hasOwn(section.keys, key)) return `unknown key in [${sectionLabel}] (${key} belongs in [${name}])`;
  }
  return `unknown key in [${sectionLabel}], expected one of ${known.join(', ')}`;
}

/**
 * Validates the given keys of one section against `keys` and fills in defaults. A key whose
 * value is invalid is left out of the result (the caller throws before using it).
 */
function resolveKeys(
  section: string,
  sectionLabel: string,
  keys: Readonly<Record<string, KeySpec<unknown>>>,
  given: Map<string, GivenValue>,
  headerLine: number | null,
  env: ConfigEnv,
  problems: ProblemList,
  effective: Record<string, string>,
): Record<string, unknown> {
  const known = Object.keys(keys);
  for (const [key, value] of given) {
    if (Object.hasOwn(keys, key)) continue;
    const retired = RETIRED_KEYS[`${section}.${key}`];
    if (retired !== undefined) problems.warn(value.line, `${section}.${key}`, retired);
    else problems.error(value.line, `${section}.${key}`, unknownKeyMessage(key, known, sectionLabel));
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(keys)) {
    const where = `${section}.${key}`;
    const value = given.get(key);
    if (value !== undefined) {
      for (const earlier of value.shadowed) {
        const parsedEarlier = spec.type.parse(earlier.value);
        if (!parsedEarlier.ok) for (const message of parsedEarlier.problems) problems.error(earlier.line, where, message);
      }
      if (value.isArray && !spec.type.isList) {
        problems.error(value.line, where, `the ${key}[] = … form is only for list keys, expected ${key} = ${spec.type.expected}`);
        continue;
      }
      const parsed = spec.type.parse(value.value);
      if (!parsed.ok) {
        for (const message of parsed.problems) problems.error(value.line, where, message);
        continue;
      }
      for (const message of parsed.warnings) problems.warn(value.line, where, message);
      out[key] = parsed.value;
      effective[key] = value.value.trim();
      continue;
    }
    const fallback = defaultText(spec, env);
    if (fallback === null) {
      if (spec.default.kind === 'required') {
        problems.error(headerLine, where, `is missing, expected ${spec.type.expected}`);
      }
      out[key] = null;
      continue;
    }
    const parsed = spec.type.parse(fallback);
    if (!parsed.ok) {
      // Only an environment default can be bad (fixed defaults are tested).
      const source = spec.default.kind === 'env' ? `default from $${spec.default.variable}` : 'built-in default';
      for (const message of parsed.problems) problems.error(null, where, `${source}: ${message}`);
      continue;
    }
    out[key] = parsed.value;
    effective[key] = fallback;
  }
  return out;
}

/**
 * Parses and validates INI text. Pure apart from `options.nowMs` (default: the clock), which
 * only decides which allow rules count as expired. `env` supplies STATE_DIRECTORY and
 * LOGS_DIRECTORY defaults (default: none, so the fixed paths apply).
 * @throws DaemonError ERR_CONFIG_INVALID with meta.problems: ConfigProblem[] (errors and warnings).
 */
export function parseConfigText(
  text: string,
  fileNameForErrors: string,
  env: ConfigEnv = {},
  options: ParseOptions = {},
): Config {
  const problems = new ProblemList(fileNameForErrors);
  const scan = scanIni(text);
  for (const problem of scan.problems) {
    if (problem.severity === 'error') problems.error(problem.line, problem.section ?? '', problem.message);
    else problems.warn(problem.line, problem.section ?? '', problem.message);
  }

  const groups = new Map<string, SectionGroup>();
  for (const header of scan.headers) {
    const previous = groups.get(header.name);
    if (previous !== undefined) {
      problems.warn(header.line, header.name, `section appears again (first at line ${previous.headerLine}); its keys are merged`);
    } else {
      groups.set(header.name, { headerLine: header.line, entries: [] });
    }
  }
  for (const entry of scan.entries) {
    if (entry.section === null) {
      problems.error(entry.line, entry.key, 'key is outside any section, expected a [section] header above it');
    } else {
      groups.get(entry.section)?.entries.push(entry);
    }
  }

  const parsed = parseSections(groups, env, problems);
  crossCheck(parsed, problems, options.nowMs ?? Date.now());
  if (problems.errorCount > 0) {
    const sorted = problems.sorted();
    const count = problems.errorCount;
    throw new DaemonError(
      'ERR_CONFIG_INVALID',
      `config: ${fileNameForErrors}: ${count} error${count === 1 ? '' : 's'}\n${sorted.map(formatProblem).join('\n')}`,
      { meta: { problems: sorted } },
    );
  }
  return buildConfig(parsed, fileNameForErrors, problems.sorted());
}

function parseSections(groups: Map<string, SectionGroup>, env: ConfigEnv, problems: ProblemList): ParsedFile {
  const effective: EffectiveIni = {};
  const fixedLines = new Map<string, number>();
  const fixed: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(FIXED_SECTIONS) as FixedSectionName[]) {
    const group = groups.get(name);
    const given = collapse(name, group?.entries ?? [], problems);
    for (const [key, value] of given) fixedLines.set(`${name}.${key}`, value.line);
    const sectionEffective: Record<string, string> = {};
    fixed[name] = resolveKeys(name, name, FIXED_SECTIONS[name].keys, given, group?.headerLine ?? null, env, problems, sectionEffective);
    effective[name] = sectionEffective;
  }

  const ipGroups: ParsedFile['ipGroups'] = [];
  const allowRules: ParsedFile['allowRules'] = [];
  const cidrOwners = new Map<string, { group: string; line: number }>();
  for (const [name, group] of groups) {
    if (Object.hasOwn(FIXED_SECTIONS, name)) continue;
    if (name === IP_GROUPS_SECTION.name) {
      const sectionEffective: Record<string, string> = {};
      for (const [groupName, value] of collapse(name, group.entries, problems)) {
        const where = `${name}.${groupName}`;
        const nameCheck = IP_GROUPS_SECTION.groupName.parse(groupName);
        if (!nameCheck.ok) problems.error(value.line, where, `group name ${nameCheck.problems.join('; ')}`);
        if (groupName === '__proto__') {
          // ini drops this key, and as a property name it would replace an object's prototype.
          problems.error(value.line, where, 'group name __proto__ is reserved, expected another name');
          continue;
        }
        const cidrs = IP_GROUPS_SECTION.value.parse(value.value);
        if (!cidrs.ok) {
          for (const message of cidrs.problems) problems.error(value.line, where, message);
          continue;
        }
        for (const cidr of cidrs.value) {
          const owner = cidrOwners.get(cidr);
          if (owner !== undefined) {
            const where2 = owner.group === groupName ? 'earlier in this group' : `in group ${owner.group} (line ${owner.line})`;
            problems.error(value.line, where, `${cidr} is already ${where2}, expected each CIDR in one group only`);
          } else {
            cidrOwners.set(cidr, { group: groupName, line: value.line });
          }
        }
        ipGroups.push({ name: groupName, cidrs: [...new Set(cidrs.value)] });
        sectionEffective[groupName] = value.value.trim();
      }
      effective[name] = sectionEffective;
      continue;
    }
    if (name.startsWith(ALLOW_SECTION.prefix)) {
      const ruleName = name.slice(ALLOW_SECTION.prefix.length);
      if (!ALLOW_SECTION.nameSyntax.test(ruleName)) {
        problems.error(group.headerLine, name, `'${ruleName}' is not a valid rule name, expected letters, digits, _ and - only`);
        continue;
      }
      const sectionEffective: Record<string, string> = {};
      const values = resolveKeys(name, 'allow.NAME', ALLOW_SECTION.keys, collapse(name, group.entries, problems), group.headerLine, {}, problems, sectionEffective);
      effective[name] = sectionEffective;
      const rule: Partial<AllowRule> = { name: ruleName };
      const assign = <K extends keyof AllowRule>(field: K, value: unknown): void => {
        if (value !== null && value !== undefined) rule[field] = value as AllowRule[K];
      };
      assign('origGroup', values.orig_group);
      assign('respGroup', values.resp_group);
      assign('origHost', values.orig_host);
      assign('respHost', values.resp_host);
      assign('endpoint', values.endpoint);
      assign('operation', values.operation);
      assign('namedPipe', values.named_pipe);
      assign('reason', values.reason);
      assign('expiresAt', values.expires);
      const hasMatcher = ALLOW_SECTION.matchers.some((matcher) => group.entries.some((entry) => entry.key === matcher));
      if (!hasMatcher) {
        problems.error(group.headerLine, name, `rule has no matcher, expected at least one of ${ALLOW_SECTION.matchers.join(', ')}`);
      }
      allowRules.push({ rule, headerLine: group.headerLine });
      continue;
    }
    const guess = nearest(name, SECTION_NAMES);
    problems.error(
      group.headerLine,
      name,
      `unknown section${guess === null ? '' : ` (did you mean [${guess}]?)`}, expected one of ${SECTION_NAMES.map((s) => `[${s}]`).join(', ')}`,
    );
  }
  return { fixed: fixed as ParsedFile['fixed'], fixedLines, ipGroups, allowRules, effective };
}

function buildConfig(parsed: ParsedFile, sourceFile: string | null, warnings: ConfigProblem[]): Config {
  const { input, features, training, model, scoring, output, logging, metrics } = parsed.fixed;
  return {
    sourceFile,
    input: {
      paths: input.paths,
      pollIntervalMs: input.poll_interval,
      maxLineBytes: input.max_line_bytes,
      archives: [...new Set([...input.archives, ...input.bootstrap])],
      bootstrap: input.bootstrap,
      stateDirectory: input.state_directory,
    },
    features: {
      features: features.features,
      ipGroups: parsed.ipGroups,
      ipGroupFallback:
        features.ip_group_fallback === 'label'
          ? { kind: 'label', label: features.ip_group_fallback_label }
          : { kind: features.ip_group_fallback },
      timeBins: features.time_bins,
      timeZone: features.time_zone,
      missingToken: features.missing_token,
      foldNamedPipeCase: features.fold_pipe_case,
    },
    training: {
      sampleEvery: training.sample_every,
      sampleMode: training.sample_mode,
      windowMaxRows: training.window_max_rows,
      windowMaxAgeMs: training.window_max_age,
      minRows: training.min_rows,
    },
    model: {
      k: model.k,
      nInit: model.n_init,
      init: model.init,
      seed: model.seed,
      maxIter: model.max_iter,
      keepModels: model.keep_models,
      trainThreads: model.train_threads,
      retrainSchedule: model.retrain_schedule,
      retrainTimeZone: model.retrain_time_zone,
      maxCostPerRow: model.max_cost_per_row,
    },
    scoring: {
      rule: scoring.rule,
      minSupport: scoring.min_support,
      techniqueMinHosts: scoring.technique_min_hosts,
      techniqueAlertRate: scoring.technique_alert_rate,
      techniqueMinShare: scoring.technique_min_share,
      routineMinDays: scoring.routine_min_days,
      routineHabitDays: scoring.routine_habit_days,
      routineWarmupMs: scoring.routine_warmup,
      distanceThreshold: scoring.distance_threshold,
      rarityThreshold: scoring.rarity_threshold,
      alertRate: scoring.alert_rate,
    },
    allow: parsed.allowRules.map(({ rule }) => rule as AllowRule),
    output: {
      directory: output.directory,
      format: output.format,
      fieldNames: output.field_names,
      rotateIntervalMs: output.rotate_interval,
    },
    logging: { level: logging.level, statsIntervalMs: logging.stats_interval, format: logging.format },
    metrics: { enabled: metrics.enabled, listenHost: metrics.listen.host, listenPort: metrics.listen.port },
    warnings,
    effective: parsed.effective,
  };
}

/**
 * Reads and parses a config file. `env` defaults to process.env (systemd's STATE_DIRECTORY and
 * LOGS_DIRECTORY). An unreadable file is reported the same way as an invalid one.
 * @throws DaemonError ERR_CONFIG_INVALID
 */
export async function loadConfigFile(path: string, env: ConfigEnv = process.env, options: ParseOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    const problem: ConfigProblem = { file: path, line: null, key: '', message: `cannot read the file (${reason})`, severity: 'error' };
    throw new DaemonError('ERR_CONFIG_INVALID', `config: ${formatProblem(problem)}`, { cause: error, meta: { problems: [problem] } });
  }
  if (!/^\s*\[/m.test(text)) {
    // An empty file (or one without a single [section]) is a truncated or wrong file far more
    // often than a wish for every default; the built-in defaults need no file at all.
    const problem: ConfigProblem = { file: path, line: null, key: '', message: 'the file has no [section], expected at least [input] paths', severity: 'error' };
    throw new DaemonError('ERR_CONFIG_INVALID', `config: ${formatProblem(problem)}`, { meta: { problems: [problem] } });
  }
  return parseConfigText(text, path, env, options);
}

/** The built-in configuration (every key at its default); `env` defaults to process.env. */
export function defaultConfig(env: ConfigEnv = process.env): Config {
  const config = parseConfigText('', '(built-in defaults)', env);
  return { ...config, sourceFile: null };
}
