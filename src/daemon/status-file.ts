/** `status.json` in the state directory: what `zeek-anomalyd status` shows besides the progress document. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/index.js';
import type { LoopDelayFigures } from './loop-delay.js';

export const STATUS_FILE = 'status.json';

export interface DaemonStatus {
  pid: number;
  updatedAt: string;
  modelId: string | null;
  modelCreatedAt: string | null;
  windowRows: number;
  records: number;
  anomalies: number;
  suppressed: number;
  parseErrors: number;
  lastRetrain: {
    at: string;
    reason: string;
    result: 'installed' | 'failed' | 'skipped';
    detail: string;
    modelId: string | null;
    durationMs: number;
  } | null;
  /** Catch-ups in progress: rotated files still to read before the live file, per followed path. */
  catchUp?: { path: string; filesLeft: number; bytesLeft: number; current: string | null }[];
  /** Input files (or their rest) lost before they could be read. */
  gaps?: number;
  /** Event-loop delay of the last stats interval and since start (null: not measured yet). */
  eventLoopDelay?: LoopDelayFigures | null;
}

export async function writeStatus(stateDirectory: string, status: DaemonStatus): Promise<void> {
  await writeFileAtomic(join(stateDirectory, STATUS_FILE), `${JSON.stringify(status, null, 1)}\n`);
}

/** The last status written, or null when the daemon never ran here. */
export async function readStatus(stateDirectory: string): Promise<DaemonStatus | null> {
  try {
    return JSON.parse(await readFile(join(stateDirectory, STATUS_FILE), 'utf8')) as DaemonStatus;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
