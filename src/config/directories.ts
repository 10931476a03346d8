/**
 * What check-config can know only by looking at the machine: the directories the daemon will
 * create and write (state, output) must be, or be creatable as, writable directories. The daemon
 * would fail at start on `state_directory = /etc/passwd/state` (ENOTDIR) or a read-only mount
 * (EACCES, EROFS); check-config says so first. Checked as the user running check-config, which
 * the messages name. Only root's verdict is final (root writes anywhere but on a read-only
 * mount, so what root cannot write the service cannot either): for another user "not writable"
 * is a warning, since the service may run as a user who can.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { scanIni } from './ini-scan.js';
import type { Config, ConfigProblem } from './types.js';

/**
 * Problems with the state and output directories of `config` (empty when both are usable).
 * `text` is the INI the config came from, for the line numbers.
 */
export async function checkDirectories(config: Config, text = ''): Promise<ConfigProblem[]> {
  const entries = scanIni(text).entries;
  const lineOf = (key: string): number | null => {
    const [section, name] = key.split('.');
    return entries.findLast((entry) => entry.section === section && entry.key === name)?.line ?? null;
  };
  const problems: ConfigProblem[] = [];
  const file = config.sourceFile ?? '(built-in defaults)';
  const targets: [string, string][] = [
    ['input.state_directory', config.input.stateDirectory],
    ['output.directory', config.output.directory],
  ];
  for (const [key, directory] of targets) {
    const found = await directoryProblem(directory);
    if (found !== null) problems.push({ file, line: lineOf(key), key, message: found.message, severity: found.severity });
  }
  return problems;
}

async function directoryProblem(directory: string): Promise<{ message: string; severity: 'error' | 'warning' } | null> {
  const message = await directoryMessage(directory);
  if (message === null) return null;
  const final = !message.includes('not writable') || process.getuid?.() === 0;
  return { message, severity: final ? 'error' : 'warning' };
}

async function directoryMessage(directory: string): Promise<string | null> {
  const user = process.getuid === undefined ? 'this user' : `uid ${process.getuid()}`;
  // The directory itself, or the nearest existing ancestor that `mkdir -p` would create it in.
  let at = resolve(directory);
  for (;;) {
    try {
      const info = await stat(at);
      if (!info.isDirectory()) {
        return at === resolve(directory) ? `${directory} is not a directory` : `${directory} cannot be created: ${at} is not a directory (ENOTDIR)`;
      }
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const parent = dirname(at);
        if (parent === at) return `${directory}: no existing ancestor`;
        at = parent;
        continue;
      }
      if (code === 'ENOTDIR') {
        at = dirname(at);
        continue;
      }
      return `${directory} cannot be examined (${code ?? String(error)})`;
    }
  }
  try {
    await access(at, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    return at === resolve(directory)
      ? `${directory} is not writable by ${user} (${code})`
      : `${directory} cannot be created: ${at} is not writable by ${user} (${code})`;
  }
  return null;
}
