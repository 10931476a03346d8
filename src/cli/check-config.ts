/**
 * `zeek-anomalyd check-config [-c INI] [--print]`: validate a config file, list every problem
 * with its line number, exit 78 (EX_CONFIG) on errors and 0 when the file is good.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EXIT, isDaemonError, messageOf } from '../errors.js';
import { checkDirectories, DEFAULT_CONFIG_PATH, formatProblem, loadConfigFile, renderEffectiveIni, type ConfigProblem } from '../config/index.js';

/** One-line description for `zeek-anomalyd --help`. */
export const summary = 'validate the configuration file and list every problem';

const USAGE = `usage: zeek-anomalyd check-config [-c FILE] [--print]

Validates the configuration file and lists every problem as FILE:LINE: section.key: message.
Exits 0 when the file is good (warnings allowed), 78 when it has errors, 2 on bad usage.

options:
  -c, --config FILE   file to check (default ${DEFAULT_CONFIG_PATH})
      --print         also print the effective configuration (defaults filled in) as INI
  -h, --help          show this help
`;

/** Runs the command; returns the exit code. */
export async function run(args: string[]): Promise<number> {
  let values: { config?: string | undefined; print?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        print: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`check-config: ${messageOf(error)}\n${USAGE}`);
    return EXIT.usage;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const path = values.config ?? DEFAULT_CONFIG_PATH;
  try {
    const config = await loadConfigFile(path);
    for (const warning of config.warnings) process.stdout.write(`${formatProblem(warning)}\n`);
    // What the daemon would fail on at start although the file itself is valid.
    const found = await checkDirectories(config, await readFile(path, 'utf8'));
    for (const problem of found) process.stdout.write(`${formatProblem(problem)}\n`);
    const unusable = found.filter((problem) => problem.severity === 'error');
    if (unusable.length > 0) {
      process.stderr.write(`check-config: ${path}: ${unusable.length} error${unusable.length === 1 ? '' : 's'}, configuration refused\n`);
      return EXIT.config;
    }
    const rules = config.allow.length;
    const groups = config.features.ipGroups.length;
    const warnings = config.warnings.length + found.length;
    process.stdout.write(
      `ok: ${path} (${groups} ip group${groups === 1 ? '' : 's'}, ${rules} allow rule${rules === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'})\n`,
    );
    if (values.print === true) process.stdout.write(renderEffectiveIni(config));
    return EXIT.ok;
  } catch (error) {
    if (!isDaemonError(error) || error.code !== 'ERR_CONFIG_INVALID') throw error;
    const problems = (error.meta?.problems ?? []) as ConfigProblem[];
    for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
    const errors = problems.filter((problem) => problem.severity === 'error').length;
    process.stderr.write(`check-config: ${path}: ${errors} error${errors === 1 ? '' : 's'}, configuration refused\n`);
    return EXIT.config;
  }
}
