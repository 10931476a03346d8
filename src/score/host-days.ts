/**
 * Compact storage for RoutineStats (routine.ts): which hosts did something on which days. The
 * statistics hold up to maxGroupHosts (group, host) pairs and maxEntries entries, and under a
 * flood of new addresses almost every one is a single host on a single day; stored as strings
 * and one array per host they were ~50 MB of heap at the bounds. Here:
 * - a host as a map key is a canonical IPv4 address's 32-bit value folded into an int32 (a small
 *   integer to V8: no string kept), any other host its text. `hostText` gives back the same text
 *   (parseIpv4 accepts canonical dotted quads only, which formatIpv4 writes).
 * - a host's days are one number until there is a second day, then an array (insertion order,
 *   at most `limit`, keeping the newest as before).
 */
import { formatIpv4, parseIpv4 } from '../features/ip-address.js';

/** A host as stored: IPv4 as an int32, anything else its text. */
export type HostKey = number | string;

/** Distinct day numbers: one as a number, more as an array. */
export type Days = number | number[];

export function hostKey(host: string): HostKey {
  const value = parseIpv4(host);
  return value < 0 ? host : value | 0;
}

export function hostText(key: HostKey): string {
  return typeof key === 'number' ? formatIpv4(key >>> 0) : key;
}

/** `days` with `day` added: unchanged when present; at `limit`, the oldest is replaced by a newer day. */
export function withDay(days: Days, day: number, limit: number): Days {
  if (typeof days === 'number') return days === day ? days : [days, day];
  if (days.includes(day)) return days;
  if (days.length >= limit) {
    // Keep the newest: the oldest day is the first to age out anyway.
    let oldest = 0;
    for (let i = 1; i < days.length; i++) if ((days[i] as number) < (days[oldest] as number)) oldest = i;
    if ((days[oldest] as number) < day) days[oldest] = day;
    return days;
  }
  days.push(day);
  return days;
}

export function dayCount(days: Days): number {
  return typeof days === 'number' ? 1 : days.length;
}

export function dayList(days: Days): number[] {
  return typeof days === 'number' ? [days] : days;
}

/** The days at or after `cutoff` (the same value when none ages out), or null when none is left. */
export function daysFrom(days: Days, cutoff: number): Days | null {
  if (typeof days === 'number') return days >= cutoff ? days : null;
  if (days.every((d) => d >= cutoff)) return days;
  const kept = days.filter((d) => d >= cutoff);
  return kept.length === 0 ? null : kept.length === 1 ? (kept[0] as number) : kept.slice();
}

/** The stored form of a JSON day list. */
export function daysOf(list: readonly number[]): Days {
  return list.length === 1 ? (list[0] as number) : [...list];
}

/**
 * A set of hosts, for distinct-host counts over a whole training window (vetting.ts): canonical
 * IPv4 addresses in an open-addressing table of their 32-bit values (4 bytes a slot, at most half
 * full), any other host in a Set of its text. A window of 1M distinct addresses was ~60 MB as
 * a Set of strings, and is 8 MB here.
 */
export class HostSet {
  #slots = new Uint32Array(16);
  #bits = 4;
  /** Addresses in #slots (0.0.0.0 is #zero: 0 marks a free slot). */
  #count = 0;
  #zero = false;
  readonly #others = new Set<string>();

  get size(): number {
    return this.#count + (this.#zero ? 1 : 0) + this.#others.size;
  }

  add(host: string): void {
    const value = parseIpv4(host);
    if (value < 0) this.#others.add(host);
    else if (value === 0) this.#zero = true;
    else if (this.#insert(value) && (this.#count += 1) * 2 > this.#slots.length) this.#grow();
  }

  /** True when `value` was not there yet. */
  #insert(value: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = Math.imul(value, 0x9e3779b1) >>> (32 - this.#bits); ; i = (i + 1) & mask) {
      const held = slots[i] as number;
      if (held === value) return false;
      if (held === 0) {
        slots[i] = value;
        return true;
      }
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#bits += 1;
    this.#slots = new Uint32Array(old.length * 2);
    for (const value of old) if (value !== 0) this.#insert(value);
  }
}
