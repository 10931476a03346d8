/**
 * A simulated Zeek sensor for the demo: replays dce_rpc records into a live `dce_rpc.log` at an
 * accelerated pace, rotating Zeek style at every (simulated) hour boundary (close, rename to
 * dce_rpc.<time>.log, create the next file lazily with a fresh header) and, once, restarting the
 * way a crashed Zeek does: the live file truncated in place and started over with a new header.
 */
import { open, rename, truncate, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A record line with its timestamp (seconds), as read from a Zeek TSV log. */
export interface SensorRecord {
  ts: number;
  line: string;
}

export interface SensorOptions {
  /** The live file (its directory receives the rotated files). */
  livePath: string;
  /** The `#` header lines written at the top of every new file, newline-terminated. */
  header: string;
  /** Records written per real second. */
  recordsPerSecond: number;
  /** Simulated seconds per log file (Zeek's rotation interval). @default 3600 */
  rotateEverySeconds?: number;
  /**
   * Least real time between a rotation and the next file, so that a reader polling every
   * `poll_interval` sees each file at its path, as it would at Zeek's real pace. @default 0
   */
  minRotationGapMs?: number;
  /** Called after this many records to let the reader catch up, then the file is truncated. */
  truncateAfter?: { records: number; waitForReader: () => Promise<void> };
}

/** Which simulated interval a timestamp falls in. */
export function rotationSlot(ts: number, everySeconds: number): number {
  return Math.floor(ts / everySeconds);
}

/** Zeek's archive name for a file opened at `openedTs`: dce_rpc.2024-03-04-13-00-00.log */
export function rotatedName(livePath: string, openedTs: number): string {
  const stamp = new Date(openedTs * 1000).toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return livePath.replace(/\.log$/, `.${stamp}.log`);
}

/** Replays records into the live log; resolves when all are written. */
export class SimulatedSensor {
  readonly #options: SensorOptions;
  #handle: FileHandle | null = null;
  #openedTs = 0;
  rotations = 0;
  truncations = 0;

  constructor(options: SensorOptions) {
    this.#options = options;
  }

  async run(records: readonly SensorRecord[]): Promise<void> {
    const every = this.#options.rotateEverySeconds ?? 3600;
    const started = performance.now();
    let slot = records.length > 0 ? rotationSlot((records[0] as SensorRecord).ts, every) : 0;
    const chunk: string[] = [];
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      await this.#write(chunk.join(''));
      chunk.length = 0;
    };
    for (let i = 0; i < records.length; i += 1) {
      const record = records[i] as SensorRecord;
      const recordSlot = rotationSlot(record.ts, every);
      if (recordSlot !== slot) {
        await flush();
        await this.#rotate();
        slot = recordSlot;
        const due = started + (i / this.#options.recordsPerSecond) * 1000;
        await sleep(Math.max(this.#options.minRotationGapMs ?? 0, due - performance.now()));
      }
      const truncation = this.#options.truncateAfter;
      if (truncation !== undefined && i === truncation.records && this.truncations === 0) {
        await flush();
        await truncation.waitForReader();
        await this.#restartTruncated();
      }
      if (this.#handle === null && chunk.length === 0) this.#openedTs = record.ts;
      chunk.push(`${record.line}\n`);
      if (chunk.length >= 200) {
        await flush();
        const due = started + ((i + 1) / this.#options.recordsPerSecond) * 1000;
        await sleep(Math.max(0, due - performance.now()));
      }
    }
    await flush();
    await this.close();
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = null;
  }

  async #write(text: string): Promise<void> {
    if (this.#handle === null) {
      this.#handle = await open(this.#options.livePath, 'a');
      await this.#handle.write(this.#options.header);
    }
    await this.#handle.write(text);
  }

  /** Zeek: write #close, close, rename; the next file appears with the next record. */
  async #rotate(): Promise<void> {
    if (this.#handle === null) return;
    await this.#handle.write(`#close\t${new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-')}\n`);
    await this.close();
    await rename(this.#options.livePath, rotatedName(this.#options.livePath, this.#openedTs));
    this.rotations += 1;
  }

  /** A Zeek that crashed and came back: the same file, emptied, a new header. */
  async #restartTruncated(): Promise<void> {
    await this.close();
    await truncate(this.#options.livePath, 0).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.truncations += 1;
  }
}
