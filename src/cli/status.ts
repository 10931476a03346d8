/**
 * `zeek-anomalyd status [-c INI]`: what the daemon's state directory says: followed files,
 * offsets and lag, model id and age, training window size, last retraining result.
 */
import { stat } from 'node:fs/promises';
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/index.js';
import { EXIT } from '../errors.js';
import { ModelStore } from '../daemon/model-store.js';
import { loadProgress } from '../daemon/progress.js';
import { baselineOf, type BaselineSummary } from '../score/index.js';
import { readStatus } from '../daemon/status-file.js';
import { isProcessAlive } from '../state/index.js';
import { parseCommandArgs, runCommand } from './_common.js';

export const summary = "show the daemon's progress from its state directory";

const USAGE = `usage: zeek-anomalyd status [-c INI] [--json]

Prints, from the state directory of the configuration: followed files with offsets and lag, the
model in use and its age, the training window size and the last retraining result.
  -c, --config INI   configuration file (default: ${DEFAULT_CONFIG_PATH})
  --json             one JSON object instead of the table
`;

function age(iso: string | null): string {
  if (iso === null) return '-';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function describeBaseline(b: BaselineSummary | null): string {
  if (b === null) return '- (the model has no routine statistics by group)';
  const days = `${b.observedDays} ${b.observedDays === 1 ? 'day' : 'days'} of routine statistics`;
  if (b.thinGroups.length === 0) return `${days}, every one of ${b.groups} groups seen on ${b.habitDays} days or more`;
  const shown = b.thinGroups.slice(0, 6).join(', ') + (b.thinGroups.length > 6 ? `, +${b.thinGroups.length - 6}` : '');
  return `${days}; thin for ${b.thinGroups.length} of ${b.groups} groups (seen on fewer than ${b.habitDays} days: their never-seen documented calls are held back): ${shown}`;
}

export async function run(args: string[]): Promise<number> {
  return runCommand('status', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH },
        json: { type: 'boolean', default: false },
      },
      USAGE,
      false,
    );
    if (parsed === null) return EXIT.ok;
    const config = await loadConfigFile(parsed.values.config);
    const stateDirectory = config.input.stateDirectory;
    const progress = await loadProgress(stateDirectory);
    const status = await readStatus(stateDirectory);
    const files = await Promise.all(
      progress.files.map(async (file) => {
        let size: number | null = null;
        let same = false;
        try {
          const info = await stat(file.path, { bigint: true });
          size = Number(info.size);
          same = String(info.dev) === file.dev && String(info.ino) === file.ino;
        } catch {
          // Missing between rotations is normal: shown as size '-'.
        }
        return { path: file.path, offset: file.offset, line: file.line, size, lag: size !== null && same ? Math.max(0, size - file.offset) : null, rotated: size !== null && !same };
      }),
    );
    const running = status !== null && isProcessAlive(status.pid);
    const modelId = status?.modelId ?? progress.modelId;
    // The model's routine statistics: how many days they cover, which groups are still thin.
    const store = new ModelStore(stateDirectory);
    const baseline: BaselineSummary | null = await (modelId === null ? store.current() : store.load(modelId)).then(
      (m) => baselineOf(m?.routine),
      () => null,
    );
    const report = {
      state_directory: stateDirectory,
      running,
      pid: status?.pid ?? null,
      model: modelId,
      model_age: age(status?.modelCreatedAt ?? null),
      window_rows: status?.windowRows ?? null,
      baseline,
      records: progress.records,
      anomalies: progress.anomalies,
      suppressed: progress.suppressed,
      parse_errors: progress.parseErrors,
      checkpoint_saved: progress.savedAt || null,
      input_gaps: progress.gaps,
      // Only meaningful while the daemon runs; a stopped daemon's last figures would mislead.
      catch_up: running ? (status?.catchUp ?? []) : [],
      last_retrain: status?.lastRetrain ?? null,
      files,
    };
    if (parsed.values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return EXIT.ok;
    }
    const lines = [
      `state        ${stateDirectory} (${running ? `running, pid ${report.pid}` : 'not running'})`,
      `model        ${report.model ?? 'none (learning)'}, age ${report.model_age}`,
      `window       ${report.window_rows ?? '-'} rows`,
      `baseline     ${describeBaseline(baseline)}`,
      `totals       ${report.records} records, ${report.anomalies} anomalies, ${report.suppressed} suppressed, ${report.parse_errors} bad lines`,
      `checkpoint   ${report.checkpoint_saved ?? 'never'}`,
      `catch-up     ${
        report.catch_up.length === 0
          ? 'none (reading the live files)'
          : report.catch_up.map((c) => `${c.path}: ${c.filesLeft} rotated files, ${c.bytesLeft} bytes left (reading ${c.current ?? '-'})`).join('; ')
      }`,
      `input gaps   ${report.input_gaps}${report.input_gaps > 0 ? ' (files lost before they were read; see the daemon log)' : ''}`,
      `retrain      ${report.last_retrain === null ? 'never' : `${report.last_retrain.result} at ${report.last_retrain.at} (${report.last_retrain.reason}): ${report.last_retrain.detail}`}`,
      'files:',
      ...(files.length === 0
        ? ['  (none yet)']
        : files.map((f) => `  ${f.path}  offset ${f.offset} (line ${f.line})  lag ${f.lag === null ? (f.rotated ? 'rotated' : '-') : `${f.lag} bytes`}`)),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}
