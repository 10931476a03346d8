/**
 * Live evidence of a fleet change: the distinct hosts calling a value (an endpoint, an endpoint ×
 * operation) that the model does not know yet. A new server role goes live and many hosts start
 * calling its interface on the same day; an intrusion acts from a few footholds. The model only
 * learns the new value at its next retrain (and not at all when training left that day out), but
 * the daemon reads every record, so it can count the callers as they come: once as many distinct
 * hosts call the value as the model asks of a fleet change (RoutineIndex.fleetHosts), it is
 * established and no longer flagged. Only records flagged for such a value are counted.
 *
 * Bounded: at most FLEET_VALUES values, each with at most FLEET_HOSTS_TRACKED hosts. Past the bound
 * a new value is refused (after values idle for FLEET_IDLE_DAYS are dropped): it stays flagged, so
 * the bound adds alerts, never hides one. Saved with the fan-out tracker's checkpoint entries
 * (FanoutTracker.toJSON), so a restart counts on where the last checkpoint left off.
 */

const DAY = 86_400;
/** Values whose callers are tracked at once. */
export const FLEET_VALUES = 4_096;
/** Hosts kept per value (a fleet bar above this counts as this). */
export const FLEET_HOSTS_TRACKED = 256;
/** A value not called for this many days may be dropped to make room. */
export const FLEET_IDLE_DAYS = 7;

interface FleetValue {
  /** Latest day (epoch day) a host called it. */
  day: number;
  hosts: Set<string>;
}

/** [value key, latest day, its distinct callers]: one saved fleet value. */
export type FleetValueJson = [key: string, day: number, hosts: string[]];

export class FleetTracker {
  readonly #values = new Map<string, FleetValue>();
  #latestDay = Number.NEGATIVE_INFINITY;
  /** The latest day on which idle values were dropped (once a day at most: floods stay cheap). */
  #prunedOn = Number.NEGATIVE_INFINITY;
  /** Bumped whenever what toJSON returns changes. */
  version = 0;

  /**
   * Counts `host` as a caller of the value `key` (at most `bar` hosts) and returns its distinct
   * callers so far; a value refused for want of room counts 0.
   */
  count(key: string, host: string, ts: number, bar: number): number {
    const day = Math.floor(ts / DAY);
    if (day > this.#latestDay) this.#latestDay = day;
    let value = this.#values.get(key);
    if (value === undefined) {
      if (!this.#room()) return 0;
      this.#values.set(key, (value = { day, hosts: new Set() }));
      this.version += 1;
    }
    if (day > value.day) {
      value.day = day;
      this.version += 1;
    }
    if (value.hosts.size < Math.min(bar, FLEET_HOSTS_TRACKED) && !value.hosts.has(host)) {
      value.hosts.add(host);
      this.version += 1;
    }
    return value.hosts.size;
  }

  get size(): number {
    return this.#values.size;
  }

  #room(): boolean {
    if (this.#values.size < FLEET_VALUES) return true;
    if (this.#prunedOn >= this.#latestDay) return false;
    this.#prunedOn = this.#latestDay;
    for (const [key, value] of this.#values) {
      if (value.day < this.#latestDay - FLEET_IDLE_DAYS) this.#values.delete(key);
    }
    this.version += 1;
    return this.#values.size < FLEET_VALUES;
  }

  toJSON(): FleetValueJson[] {
    return [...this.#values].map(([key, value]): FleetValueJson => [key, value.day, [...value.hosts]]);
  }

  /** Restores one saved value; a malformed one is left out. */
  restore(key: unknown, day: unknown, hosts: unknown): void {
    if (typeof key !== 'string' || !Number.isSafeInteger(day) || !Array.isArray(hosts)) return;
    if (this.#values.size >= FLEET_VALUES) return;
    const kept = hosts.filter((h): h is string => typeof h === 'string').slice(0, FLEET_HOSTS_TRACKED);
    this.#values.set(key, { day: day as number, hosts: new Set(kept) });
    if ((day as number) > this.#latestDay) this.#latestDay = day as number;
  }
}
