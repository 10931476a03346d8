/**
 * sd_notify through `systemd-notify` (a native addon would need libsystemd headers at install
 * time). The unit sets NotifyAccess=all because the message comes from a child process. Outside
 * systemd (no NOTIFY_SOCKET) every call is a no-op.
 */
import { execFile } from 'node:child_process';

export class SystemdNotifier {
  readonly enabled: boolean;
  /** Half the watchdog interval, or null when no watchdog is configured. */
  readonly watchdogIntervalMs: number | null;
  #timer: NodeJS.Timeout | null = null;
  #onError: (error: Error) => void;

  constructor(env: NodeJS.ProcessEnv = process.env, onError: (error: Error) => void = () => undefined) {
    this.enabled = env.NOTIFY_SOCKET !== undefined && env.NOTIFY_SOCKET !== '';
    const usec = Number(env.WATCHDOG_USEC ?? '');
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogIntervalMs = this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(100, usec / 2000) : null;
    this.#onError = onError;
  }

  notify(...assignments: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise((resolve) => {
      execFile('systemd-notify', [`--pid=${process.pid}`, ...assignments], (error) => {
        // While stopping, systemd may already have stopped listening; that is not worth a warning.
        if (error !== null && !assignments.includes('STOPPING=1')) this.#onError(error);
        resolve();
      });
    });
  }

  ready(status: string): Promise<void> {
    return this.notify('READY=1', `STATUS=${status}`);
  }

  status(status: string): Promise<void> {
    return this.notify(`STATUS=${status}`);
  }

  /**
   * Pings the watchdog from a timer on the event loop: a stalled loop stops the pings and
   * systemd restarts us, which is the point.
   */
  startWatchdog(): void {
    if (this.watchdogIntervalMs === null || this.#timer !== null) return;
    this.#timer = setInterval(() => void this.notify('WATCHDOG=1'), this.watchdogIntervalMs);
    this.#timer.unref();
  }

  stopWatchdog(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
