/**
 * Zeek-style rotation schedule and names, as pure functions. Zeek rotates at multiples of the
 * interval counted from local midnight (`calc_next_rotate` with the default base of 0), and names
 * the closed file after its *open* time in local time: `anomalies.2026-11-28-16-00-00.log`.
 */
import { formatZeekLocalTime } from '../zeek/index.js';

/** First rotation boundary strictly after `openTimeMs`: local midnight + k × `intervalMs`. */
export function nextRotationAt(openTimeMs: number, intervalMs: number): number {
  if (!(intervalMs > 0)) return Number.POSITIVE_INFINITY;
  const open = new Date(openTimeMs);
  const midnight = new Date(open.getFullYear(), open.getMonth(), open.getDate()).getTime();
  const next = midnight + (Math.floor((openTimeMs - midnight) / intervalMs) + 1) * intervalMs;
  // An interval that does not divide the day restarts at the next midnight, as Zeek's does.
  const nextMidnight = new Date(open.getFullYear(), open.getMonth(), open.getDate() + 1).getTime();
  return Math.min(next, nextMidnight);
}

/**
 * The name a closed file gets: `<stem>.<open time>.log`, plus `-N` when that name is taken (two
 * rotations within one second must not overwrite each other).
 */
export function rotatedFileName(fileName: string, openTimeMs: number, attempt = 0): string {
  const stem = fileName.endsWith('.log') ? fileName.slice(0, -'.log'.length) : fileName;
  const suffix = attempt === 0 ? '' : `-${attempt}`;
  return `${stem}.${formatZeekLocalTime(openTimeMs)}${suffix}.log`;
}
