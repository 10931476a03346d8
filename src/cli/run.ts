/**
 * `zeek-anomalyd run -c INI`: the daemon. Exit 0 after SIGTERM/SIGINT, 78 for a bad
 * configuration, 1 for an unexpected error (systemd's Restart=on-failure restarts us).
 */
import { DEFAULT_CONFIG_PATH, loadConfigFile } from '../config/index.js';
import { DaemonError, errnoOf, EXIT, exitCodeFor, isDaemonError, messageOf } from '../errors.js';
import { Daemon } from '../daemon/daemon.js';
import { createLogger, type DaemonLogger } from '../daemon/logger.js';
import { SystemdNotifier } from '../daemon/systemd.js';
import { parseCommandArgs, runCommand } from './_common.js';

export const summary = 'run the daemon: follow dce_rpc.log, score, write anomalies.log';

const USAGE = `usage: zeek-anomalyd run [-c INI]

Follows the configured dce_rpc logs across rotations, scores every record and writes anomalies to
[output] directory/anomalies.log. SIGHUP reloads the INI (an invalid one is refused and the running
configuration kept) and reopens anomalies.log; SIGUSR2 retrains now from the training window (as
[model] retrain_schedule would); SIGTERM/SIGINT drain, checkpoint and exit 0 (also during
start-up: the step in progress ends first).
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
    // Taken before anything slow (the INI, the state lock, the window, a bootstrap training), so
    // that a stop asked for during start-up is a clean stop too, not Node's default death by
    // signal. Only the process's first ~0.2 s (loading this code) stays uncovered; systemd counts
    // a death by SIGTERM as a clean stop as well.
    const stops = new StopSignals();
    const configPath = parsed.values.config;
    const config = await loadConfigFile(configPath);
    const logger = createLogger(config.logging.level, process.stdout, { format: config.logging.format });
    for (const warning of config.warnings) logger.warn(`config: ${warning.message}`, { line: warning.line ?? undefined });
    const daemon = new Daemon({ configPath, config, logger, systemd: new SystemdNotifier(process.env, (error) => logger.warn('systemd-notify failed', { error: error.message })) });
    stops.attach(daemon, logger);
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

/**
 * SIGTERM/SIGINT stop the daemon, SIGHUP reloads it, SIGUSR2 retrains it now. A stop that comes before the daemon exists
 * (while the INI is read) is kept and handed over; a repeated one is logged, not fatal (Node's
 * default for a signal without a listener would kill the drain half-way).
 */
class StopSignals {
  #daemon: Daemon | null = null;
  #logger: DaemonLogger | null = null;
  #requested: NodeJS.Signals | null = null;

  constructor() {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.#stop(signal));
    process.on('SIGHUP', () => void this.#daemon?.reload());
    // SIGUSR1 is Node's (it opens the inspector).
    process.on('SIGUSR2', () => this.#daemon?.retrainNow());
  }

  attach(daemon: Daemon, logger: DaemonLogger): void {
    this.#daemon = daemon;
    this.#logger = logger;
    if (this.#requested !== null) this.#stopNow(this.#requested);
  }

  #stop(signal: NodeJS.Signals): void {
    if (this.#requested !== null) {
      this.#logger?.info(`${signal}: already stopping`);
      return;
    }
    this.#requested = signal;
    if (this.#daemon !== null) this.#stopNow(signal);
  }

  #stopNow(signal: NodeJS.Signals): void {
    this.#logger?.info(`${signal}: draining and stopping`);
    void this.#daemon?.stop();
  }
}
