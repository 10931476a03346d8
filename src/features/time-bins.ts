/**
 * Local hour bin, weekday and weekday/weekend of an epoch timestamp in a configured IANA zone.
 * Intl is far too slow to call per record, so the local (hour, weekday) is cached per UTC
 * quarter hour: every zone in use today has an offset that is a multiple of 15 minutes and
 * changes offset on a quarter-hour boundary, so the local hour is constant within such a slot.
 * (Historic local-mean-time offsets before ~1900 are the exception; they do not occur in logs.)
 */
import { DaemonError } from '../errors.js';
import type { TimeBin } from './options.js';

/** Weekday names, Monday first (ISO order). */
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

const SHORT_WEEKDAY_INDEX: Record<string, number> = {
  Mon: 0,
  Tue: 1,
  Wed: 2,
  Thu: 3,
  Fri: 4,
  Sat: 5,
  Sun: 6,
};

const UTC_ALIASES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/UCT', 'UCT', 'Etc/Zulu', 'Zulu', 'Etc/Universal', 'Universal', 'Etc/GMT0', 'GMT0', 'Etc/Greenwich', 'Greenwich']);

const SLOT_SECONDS = 900;
const CACHE_LIMIT = 200_000;

/**
 * Hour → label table for the given bins (inclusive ranges; the first bin wins on overlap).
 * Hours no bin covers map to `uncovered`.
 * @throws DaemonError ERR_CONFIG_INVALID when a bin's hours are not integers 0..23 with from ≤ to.
 */
export function hourLabels(bins: readonly TimeBin[], uncovered: string): string[] {
  const labels = new Array<string | undefined>(24).fill(undefined);
  const problems: string[] = [];
  for (const bin of bins) {
    const ok =
      Number.isInteger(bin.fromHour) &&
      Number.isInteger(bin.toHour) &&
      bin.fromHour >= 0 &&
      bin.toHour <= 23 &&
      bin.fromHour <= bin.toHour;
    if (!ok) {
      problems.push(`${bin.fromHour}-${bin.toHour}:${bin.label}`);
      continue;
    }
    for (let hour = bin.fromHour; hour <= bin.toHour; hour++) labels[hour] ??= bin.label;
  }
  if (problems.length > 0) {
    throw new DaemonError('ERR_CONFIG_INVALID', `features: bad time bins: ${problems.join(', ')}`, {
      meta: { problems },
    });
  }
  return labels.map((label) => label ?? uncovered);
}

/** Local hour (0-23) and weekday (0 = Monday) of epoch seconds in one time zone. */
export class LocalClock {
  readonly #utc: boolean;
  readonly #format: Intl.DateTimeFormat | null;
  #cache = new Map<number, number>();
  #lastSlot = Number.NaN;
  #lastPacked = 0;

  /** @throws DaemonError ERR_CONFIG_INVALID for an unknown IANA zone. */
  constructor(timeZone: string) {
    this.#utc = UTC_ALIASES.has(timeZone);
    if (this.#utc) {
      this.#format = null;
      return;
    }
    try {
      this.#format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hour: 'numeric',
        hourCycle: 'h23',
        weekday: 'short',
      });
    } catch (error) {
      throw new DaemonError('ERR_CONFIG_INVALID', `features: unknown time zone '${timeZone}'`, {
        cause: error,
        meta: { timeZone },
      });
    }
  }

  /** `hour * 8 + weekday` for epoch seconds `ts` (finite). */
  packed(ts: number): number {
    const seconds = Math.floor(ts);
    if (this.#utc) {
      // Integer arithmetic on whole seconds, as gmtime() does: float division could round up.
      const hours = Math.floor(seconds / 3600);
      const hour = ((hours % 24) + 24) % 24;
      const days = Math.floor(hours / 24);
      const weekday = (((days + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      return hour * 8 + weekday;
    }
    const slot = Math.floor(seconds / SLOT_SECONDS);
    if (slot === this.#lastSlot) return this.#lastPacked;
    let packed = this.#cache.get(slot);
    if (packed === undefined) {
      packed = this.#compute(slot * SLOT_SECONDS * 1000);
      if (this.#cache.size >= CACHE_LIMIT) this.#cache = new Map();
      this.#cache.set(slot, packed);
    }
    this.#lastSlot = slot;
    this.#lastPacked = packed;
    return packed;
  }

  /** Local hour 0..23. */
  hour(ts: number): number {
    return this.packed(ts) >>> 3;
  }

  /** Local weekday, 0 = Monday … 6 = Sunday. */
  weekday(ts: number): number {
    return this.packed(ts) & 7;
  }

  #compute(epochMs: number): number {
    let hour = 0;
    let weekday = 0;
    for (const part of (this.#format as Intl.DateTimeFormat).formatToParts(epochMs)) {
      if (part.type === 'hour') hour = Number(part.value) % 24;
      else if (part.type === 'weekday') weekday = SHORT_WEEKDAY_INDEX[part.value] ?? 0;
    }
    return hour * 8 + weekday;
  }
}
