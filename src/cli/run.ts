/**
 * `zeek-anomalyd run -c INI`: the daemon. Exit 0 after SIGTERM/SIGINT, 78 for a bad
 * configuration, 1 for an unexpected error (systemd's Restart=on-failure restarts us).
 */
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/index.js';
import { DaemonError, errnoOf, EXIT, exitCodeFor, isDaemonError, messageOf } from '../errors.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/logger.js';
import { parseCommandArgs, runCommand } from './_common.js';

export const summary = 'run the daemon: follow dce_rpc.log, score, write anomalies.log';

const USAGE = `usage: zeek-anomalyd run [-c INI]

Follows the configured dce_rpc logs across rotations, scores every record and writes anomalies to
[output] directory/anomalies.log. SIGHUP reloads the INI (an invalid one is refused and the running
configuration kept) and reopens anomalies.log; SIGTERM/SIGINT drain, checkpoint and exit 0.
  -c, --config INI   configuration file (default: ${DEFAULT_CONFIG_PATH})
`;

export async function run(args: string[]): Promise<number> {
  return runCommand('run', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH },
      },
      USAGE,
      false,
    );
    if (parsed === null) return EXIT.ok;
    const configPath = parsed.values.config;
    const config = await loadConfigFile(configPath);
    const logger = createLogger(config.logging.level, process.stdout, { format: config.logging.format });
    for (const warning of config.warnings) logger.warn(`config: ${warning.message}`, { line: warning.line ?? undefined });
    const daemon = new Daemon({ configPath, config, logger });
    const crash = (error: unknown): void => {
      const internal = new DaemonError('ERR_INTERNAL', `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { cause: error });
      logger.error(internal.message, { code: internal.code });
      void logger.flush().then(() => process.exit(exitCodeFor(internal)));
    };
    process.on('uncaughtException', crash);
    process.on('unhandledRejection', crash);
    try {
      await daemon.start();
    } catch (error) {
      // Exit 1 whatever the cause, so that systemd retries: a lock still held or an output
      // directory not yet mounted can be gone at the next start.
      const errno = errnoOf(error);
      const message = messageOf(error);
      const failed = new DaemonError('ERR_DAEMON_START', `cannot start: ${message}${errno === undefined || message.includes(errno) ? '' : ` (${errno})`}`, { cause: error });
      logger.error(failed.message, { code: failed.code, cause: isDaemonError(error) ? error.code : undefined, errno });
      await daemon.stop();
      await logger.flush();
      return exitCodeFor(failed);
    }
    const code = await daemon.finished();
    await logger.flush();
    // A retraining still running in worker threads must not hold the exit past systemd's stop
    // timeout: everything durable is already saved.
    process.exit(code);
  });
}
