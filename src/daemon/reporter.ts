/**
 * What the daemon tells the outside about itself: the periodic `stats` log line, status.json
 * (what `zeek-anomalyd status` shows), systemd's STATUS= line and the /metrics endpoint. It reads the daemon's figures
 * when it reports and owns the event-loop delay monitor whose figures it shows.
 */
import type { Config } from '../config/index.js';
import { MetricsServer, type DaemonMetrics } from '../metrics/index.js';
import type { KModesModel } from '../model/index.js';
import type { LogFollower } from '../tail/index.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import { LoopDelayMonitor } from './loop-delay.js';
import type { Progress } from './progress.js';
import { writeStatus, type DaemonStatus } from './status-file.js';
import type { SystemdNotifier } from './systemd.js';

/** The daemon's figures at one moment (the getter may throw before start() opened the state). */
export interface DaemonFigures {
  progress: Progress;
  model: KModesModel | null;
  windowRows: number;
  minRows: number;
  follower: LogFollower | null;
}

export interface ReporterOptions {
  stateDirectory: string;
  log: Logger;
  systemd: SystemdNotifier;
  figures: () => DaemonFigures;
}

export class DaemonReporter {
  readonly #options: ReporterOptions;
  #loopDelay: LoopDelayMonitor | null = null;
  #statsTimer: NodeJS.Timeout | null = null;
  #statsBase = { records: 0, at: Date.now() };
  #lastRetrain: DaemonStatus['lastRetrain'] = null;

  constructor(options: ReporterOptions) {
    this.#options = options;
  }

  /** Starts measuring the event loop, and logs `stats` every `statsIntervalMs` (0: never). */
  start(statsIntervalMs: number): void {
    this.#loopDelay = new LoopDelayMonitor();
    if (statsIntervalMs <= 0) return;
    this.#statsTimer = setInterval(() => this.#stats(), statsIntervalMs);
    this.#statsTimer.unref();
  }

  stop(): void {
    if (this.#statsTimer !== null) clearInterval(this.#statsTimer);
    this.#loopDelay?.stop();
  }

  /** Records how the last retrain went (shown in status.json) and writes the status. */
  retrained(lastRetrain: NonNullable<DaemonStatus['lastRetrain']>): void {
    this.#lastRetrain = lastRetrain;
    void this.writeStatus();
  }

  /** systemd's STATUS= line. */
  statusLine(): string {
    const { model, progress, windowRows, minRows } = this.#options.figures();
    return model === null
      ? `learning: window ${windowRows}/${minRows}`
      : `scoring with ${model.modelId}; ${progress.records} records, ${progress.anomalies} anomalies`;
  }

  /** Writes status.json; a failure is logged, never thrown (the status is a courtesy). */
  async writeStatus(): Promise<void> {
    try {
      const { model, progress, windowRows, follower } = this.#options.figures();
      await writeStatus(this.#options.stateDirectory, {
        pid: process.pid,
        updatedAt: new Date().toISOString(),
        modelId: model?.modelId ?? null,
        modelCreatedAt: model?.createdAt ?? null,
        windowRows,
        records: progress.records,
        anomalies: progress.anomalies,
        suppressed: progress.suppressed,
        parseErrors: progress.parseErrors,
        lastRetrain: this.#lastRetrain,
        eventLoopDelay: this.#loopDelay?.last ?? null,
        catchUp: follower?.catchUpProgress() ?? [],
        gaps: progress.gaps,
      });
    } catch (error) {
      this.#options.log.warn(`cannot write status: ${messageOf(error)}`);
    }
  }

  #stats(): void {
    const { model, progress, windowRows, follower } = this.#options.figures();
    const now = Date.now();
    const rate = ((progress.records - this.#statsBase.records) * 1000) / Math.max(1, now - this.#statsBase.at);
    this.#statsBase = { records: progress.records, at: now };
    const lag = (follower?.lag() ?? []).reduce((sum, l) => sum + l.bytes, 0);
    const delay = this.#loopDelay?.take();
    this.#options.log.info('stats', {
      records_per_s: Math.round(rate),
      lag_bytes: lag,
      records: progress.records,
      anomalies: progress.anomalies,
      suppressed: progress.suppressed,
      parse_errors: progress.parseErrors,
      model: model?.modelId ?? 'none',
      model_age_s: model === null ? undefined : Math.round((now - Date.parse(model.createdAt)) / 1000),
      window: windowRows,
      loop_delay_p99_ms: delay?.p99Ms,
      loop_delay_max_ms: delay?.maxMs,
    });
    void this.#options.systemd.status(this.statusLine());
    void this.writeStatus();
  }
}

/**
 * Serves /metrics as `[metrics]` says; a port in use costs the endpoint, not the detection
 * (logged, null). A server bound after `stopping()` turned true is closed again, since the stop
 * could not close what it did not see.
 */
export async function serveMetrics(metrics: DaemonMetrics, settings: Config['metrics'], log: Logger, stopping: () => boolean): Promise<MetricsServer | null> {
  const server = new MetricsServer({ registry: metrics.registry, host: settings.listenHost, port: settings.listenPort, warn: (message) => log.warn(message) });
  try {
    const bound = await server.start();
    if (stopping()) {
      await server.stop();
      return null;
    }
    log.info('metrics endpoint listening', { host: bound.host, port: bound.port });
    return server;
  } catch (error) {
    log.error(`${messageOf(error)}; running without the metrics endpoint`);
    return null;
  }
}
