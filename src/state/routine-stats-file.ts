/**
 * `routine-stats.json` in the state directory: the daemon's routine statistics (distinct hosts
 * and days per value and technique operation, src/score/routine.ts) over every record it has
 * read, so a restart does not forget what is routine and the next retrain judges by all of it,
 * not by the sampled training window. Written atomically; a missing file starts empty, an
 * unreadable one is set aside with a warning (the statistics rebuild themselves from the stream).
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { RoutineStats, type RoutineOptions } from '../score/routine.js';
import { utf8Chunks } from '../model/json-pieces.js';
import { writeFileAtomic } from './atomic-write.js';
import { messageOf } from '../errors.js';

export const ROUTINE_STATS_FILE = 'routine-stats.json';

/** What `loadRoutineStats` found. */
export interface LoadedRoutineStats {
  stats: RoutineStats;
  /** False when there was no usable file (first start, or set aside). */
  restored: boolean;
  warning?: string;
}

export async function loadRoutineStats(directory: string, options: Partial<RoutineOptions>): Promise<LoadedRoutineStats> {
  const path = join(directory, ROUTINE_STATS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { stats: new RoutineStats(options), restored: false };
    throw error;
  }
  try {
    return { stats: RoutineStats.fromJSON(JSON.parse(text), options), restored: true };
  } catch (error) {
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside);
    return { stats: new RoutineStats(options), restored: false, warning: `${path}: unusable (${messageOf(error)}); set aside as ${aside}, starting empty` };
  }
}

export async function saveRoutineStats(directory: string, stats: RoutineStats): Promise<void> {
  // Encoded and written synchronously (the pieces read the live statistics), 64 KiB at a time:
  // no document tree, no string of the whole file and no copy of its bytes in memory.
  await writeFileAtomic(join(directory, ROUTINE_STATS_FILE), () => utf8Chunks(stats.jsonPieces(), 1 << 16));
}
