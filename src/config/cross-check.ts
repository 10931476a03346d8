/**
 * The config checks that involve several keys (and the daemon's own output matched by its input
 * globs), and the list every problem of one file is collected in. Split from load.ts, which
 * parses the sections and builds the Config.
 */
import { join, normalize, resolve } from 'node:path';
import { segmentRegExp } from '../tail/glob.js';
import { ALLOW_SECTION, type FixedSectionName, type SectionValues } from './schema.js';
import { nearest } from './suggest.js';
import type { AllowRule, ConfigProblem, EffectiveIni } from './types.js';

/** Every problem found in one file, errors and warnings. */
export class ProblemList {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly file: string) {}
  error(line: number | null, key: string, message: string): void {
    this.problems.push({ file: this.file, line, key, message, severity: 'error' });
  }
  warn(line: number | null, key: string, message: string): void {
    this.problems.push({ file: this.file, line, key, message, severity: 'warning' });
  }
  get errorCount(): number {
    return this.problems.filter((p) => p.severity === 'error').length;
  }
  sorted(): ConfigProblem[] {
    // Stable: file-level problems first, then by line.
    return this.problems
      .map((problem, index) => ({ problem, index }))
      .sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0) || a.index - b.index)
      .map(({ problem }) => problem);
  }
}

/** What the sections of one file gave, before the Config is built. */
export interface ParsedFile {
  fixed: { [S in FixedSectionName]: SectionValues<S> };
  fixedLines: Map<string, number>;
  ipGroups: { name: string; cidrs: string[] }[];
  allowRules: { rule: Partial<AllowRule>; headerLine: number }[];
  effective: EffectiveIni;
}

/** Checks that involve several keys; each runs only when its keys themselves are valid. */
export function crossCheck(parsed: ParsedFile, problems: ProblemList, nowMs: number): void {
  const { fixed, fixedLines } = parsed;
  const lineOf = (...keys: string[]): number | null => {
    for (const key of keys) {
      const line = fixedLines.get(key);
      if (line !== undefined) return line;
    }
    return null;
  };
  const { output, training, model, scoring, features, input } = fixed;
  if (input.bootstrap !== undefined && input.bootstrap.length > 0) {
    problems.warn(lineOf('input.bootstrap', 'input.bootstrap'), 'input.bootstrap', 'bootstrap is the older name of archives; its globs are used as archives (they also catch up rotated files after a restart), expected archives = ...');
  }
  if (output.field_names === 'ecs' && output.format === 'zeek') {
    problems.error(lineOf('output.field_names', 'output.format'), 'output.field_names', 'ecs names need format = json, expected field_names = zeek with format = zeek');
  }
  if (training.min_rows !== undefined && model.k !== undefined && training.min_rows < model.k) {
    problems.error(lineOf('training.min_rows', 'model.k'), 'training.min_rows', `${training.min_rows} is less than [model] k = ${model.k}, expected at least k rows to train on`);
  }
  if (training.min_rows !== undefined && training.window_max_rows !== undefined && training.window_max_rows < training.min_rows) {
    problems.error(lineOf('training.window_max_rows', 'training.min_rows'), 'training.window_max_rows', `${training.window_max_rows} is less than min_rows = ${training.min_rows}, so no model could ever be trained, expected window_max_rows >= min_rows`);
  }
  if (scoring.rule === 'distance' && scoring.distance_threshold !== undefined && features.features !== undefined && scoring.distance_threshold >= features.features.length) {
    problems.warn(lineOf('scoring.distance_threshold', 'scoring.rule'), 'scoring.distance_threshold', `no record can be more than ${features.features.length} features away, so rule = distance will never flag anything`);
  }

  if (input.paths !== undefined && output.directory !== undefined) {
    const patterns = [
      ...input.paths.map((pattern) => ({ pattern, key: 'input.paths' })),
      ...(input.archives ?? []).map((pattern) => ({ pattern, key: 'input.archives' })),
    ];
    for (const { pattern, key } of patterns) {
      const own = ownOutputMatchedBy(pattern, output.directory);
      if (own !== null) {
        problems.error(
          lineOf(key, 'output.directory'),
          key,
          `${pattern} matches the daemon's own output ${own}, so it would score and train on its own anomalies, expected [output] directory outside every input path`,
        );
      }
    }
  }
  if (input.state_directory !== undefined && output.directory !== undefined && resolve(input.state_directory) === resolve(output.directory)) {
    problems.error(lineOf('output.directory', 'input.state_directory'), 'output.directory', 'is the state directory, expected a directory of its own (Filebeat ships every *.log in it)');
  }

  const knownGroups = new Set(parsed.ipGroups.map((group) => group.name));
  if (features.ip_group_fallback === 'label' && features.ip_group_fallback_label !== undefined) knownGroups.add(features.ip_group_fallback_label);
  if (features.ip_group_fallback === 'internal-external') for (const label of ['internal', 'external']) knownGroups.add(label);
  if (features.missing_token !== undefined) knownGroups.add(features.missing_token);
  for (const { rule, headerLine } of parsed.allowRules) {
    const section = `${ALLOW_SECTION.prefix}${rule.name ?? ''}`;
    if (rule.expiresAt !== undefined && rule.expiresAt <= nowMs) {
      problems.warn(headerLine, `${section}.expires`, `rule expired on ${new Date(rule.expiresAt).toISOString()} and is ignored`);
    }
    if (features.ip_group_fallback === 'subnet') continue;
    for (const [field, value] of [['orig_group', rule.origGroup], ['resp_group', rule.respGroup]] as const) {
      if (value !== undefined && !knownGroups.has(value)) {
        const guess = nearest(value, knownGroups);
        problems.warn(headerLine, `${section}.${field}`, `'${value}' is not an [ip_groups] group or fallback group, so this rule never matches${guess === null ? '' : ` (did you mean ${guess}?)`}`);
      }
    }
  }
}

/** Names the sink writes in its directory: the live file, a rotated one, a cut fragment. */
const OWN_OUTPUT_SAMPLES = ['anomalies.log', 'anomalies.2026-01-01-00-00-00.log', 'anomalies.log.torn-1767225600000'];

/** The first file the daemon writes in `outputDirectory` that `pattern` matches, or null. */
export function ownOutputMatchedBy(pattern: string, outputDirectory: string): string | null {
  const patternSegments = normalize(pattern).split('/');
  for (const name of OWN_OUTPUT_SAMPLES) {
    const path = join(normalize(outputDirectory), name);
    const segments = path.split('/');
    if (segments.length !== patternSegments.length) continue;
    const matches = segments.every((segment, i) => {
      const glob = patternSegments[i] ?? '';
      if (segment.startsWith('.') && !glob.startsWith('.')) return false;
      return segmentRegExp(glob).test(segment);
    });
    if (matches) return path;
  }
  return null;
}
