/**
 * Discovery fan-out, the statistics half (src/score/routine.ts counts records into it; the
 * verdict half is RoutineIndex.sweep in routine-index.ts). A discovery sweep touches many
 * responders in a short time; routine enumeration (a workstation asking its file servers who is
 * logged on) touches a few. Per (discovery operation, originating host) the distinct responders of
 * its latest day are counted; finished host-days go into a per-operation histogram, and those of
 * SWEEP_MIN_TARGETS responders or more are kept as candidate sweeps. Responders that `minHosts`
 * hosts ask are services (DCs, file servers): no sweep's evidence.
 *
 * Memory is bounded: MAX_FANOUT_HOSTS (operation, host) pairs, FANOUT_TARGETS_TRACKED responders
 * each, MAX_SWEEP_CANDIDATES candidates, MAX_RESPONDERS (operation, responder) pairs; past a bound
 * new pairs are not counted (a sweep may be missed, nothing is flagged for it). The relative test's
 * tables (reach.ts: host-days of 2-7 responders, callers of any call, days of use) hold at most
 * MAX_REACH_ENTRIES each; past that the statistics drop them and the test stays off (a network
 * that large is judged by the absolute test; off, the test can only miss).
 */

import { reachProfile, REACH_MIN_OWN, type HostDay, type ReachEntry, type ReachSweepEntry, type ServerEntry } from './reach.js';
import { FleetTracker } from './fleet.js';

/** Fewest distinct responders in a day that can be a sweep, whatever the network's habits. */
export const SWEEP_MIN_TARGETS = 8;
/** Fewest responders of a sweep on a small network (half its hosts, at least this). */
export const SWEEP_MIN_TARGETS_SMALL = 3;
/** A sweep reaches this many times the network's median fan-out of the operation. */
export const SWEEP_FACTOR = 4;
/** Responders remembered per host-day (past a sweep's size, more prove nothing). */
export const FANOUT_TARGETS_TRACKED = 64;
/** (operation, host) pairs followed for fan-out, and candidate sweep host-days kept. */
export const MAX_FANOUT_HOSTS = 100_000;
const MAX_SWEEP_CANDIDATES = 20_000;

/** One (discovery operation, host) pair's responders on its latest day. */
export interface FanoutDay {
  day: number;
  targets: Set<string>;
  group: string;
}

/** A finished host-day of SWEEP_MIN_TARGETS responders or more: SweepEntry + originator group. */
export type SweepCandidate = [op: string, host: string, day: number, targets: string[], group: string];
/** (operation, responder) pairs whose callers are counted, to tell services from sweep targets. */
const MAX_RESPONDERS = 200_000;
/** Entries of each of the relative test's tables (reach.ts); a network past it is judged by the absolute test only. */
const MAX_REACH_ENTRIES = 20_000;
const DAY = 86_400;

/** [operation (lower case), sweep threshold, hosts and groups for which sweeping it is routine] */
export type FanoutEntry = [op: string, threshold: number, routineHosts: string[], routineGroups: string[], services: string[]];

/** [operation (lower case), originating host, day number, distinct responders] */
export type SweepEntry = [op: string, host: string, day: number, targets: number];

/** Plain-JSON form of FanoutStats (the `fanout` member of routine-stats.json). */
export interface FanoutJson {
  current: [op: string, host: string, day: number, targets: string[], group: string][];
  histograms: [op: string, counts: number[]][];
  candidates: SweepCandidate[];
  /** [op, responder, its first callers] */
  responders?: [op: string, responder: string, callers: string[]][];
  /** [op, host, the days it asked op of anyone (at most habitDays)]; absent before it existed. */
  useDays?: [op: string, host: string, days: number[]][];
  /** [op, responder, the days its first caller asked it (at most habitDays)]; absent before it existed. */
  firstCallerDays?: [op: string, responder: string, days: number[]][];
  /** Finished host-days of REACH_MIN_OWN to SWEEP_MIN_TARGETS - 1 responders (reach.ts); absent before it existed. */
  small?: SweepCandidate[];
  /** A table of the relative test (reach.ts) overflowed: the test is off (it could only add alerts). */
  reachOff?: boolean;
  /** [responder, its first broadHosts + 1 callers of any call] */
  callersOfAny?: [responder: string, callers: string[]][];
}

/** The routine thresholds fan-out uses (RoutineOptions). */
export interface FanoutOptions {
  minHosts: number;
  habitDays: number;
  minShare: number;
  broadHosts: number;
}

/** Distinct responders per (discovery operation, host, day), over a stream of records. */
export class FanoutStats {
  readonly #minHosts: number;
  readonly #habitDays: number;
  readonly #minShare: number;
  readonly #broadHosts: number;
  /** `op\0host` → responders on that pair's latest day. */
  readonly #current = new Map<string, FanoutDay>();
  /** op → host-days by distinct responders (index = min(count, FANOUT_TARGETS_TRACKED)). */
  readonly #histograms = new Map<string, number[]>();
  /** Finished host-days with at least SWEEP_MIN_TARGETS responders. */
  #candidates: SweepCandidate[] = [];
  /** op → responder → its first `minHosts` distinct callers: a responder many ask is a service. */
  readonly #responders = new Map<string, Map<string, string[]>>();
  #responderCount = 0;
  /** `op\0host` → the days it asked op of anyone, at most habitDays (a habitual user, reach.ts). */
  readonly #useDays = new Map<string, number[]>();
  /** op → responder → the days its first caller asked it, at most habitDays (a routine partner, reach.ts). */
  readonly #firstCallerDays = new Map<string, Map<string, number[]>>();
  #firstCallerCount = 0;
  /** Finished host-days of REACH_MIN_OWN to SWEEP_MIN_TARGETS - 1 responders, for reach.ts. */
  #small: SweepCandidate[] = [];
  #reachOff = false;
  /** responder → its first broadHosts + 1 callers of any call (servers: many hosts call them, reach.ts). */
  readonly #callersOfAny = new Map<string, string[]>();

  constructor(options: FanoutOptions) {
    this.#minHosts = options.minHosts;
    this.#minShare = options.minShare;
    this.#broadHosts = options.broadHosts;
    this.#habitDays = options.habitDays;
  }

  /** Counts `respHost` for (discovery operation `op`, lower case; `host`; its `group`) on `day`. */
  observe(op: string, host: string, group: string, day: number, respHost: string): void {
    const id = `${op}\u0000${host}`;
    let current = this.#current.get(id);
    if (current === undefined) {
      if (this.#current.size >= MAX_FANOUT_HOSTS) return;
      this.#current.set(id, (current = { day, targets: new Set(), group }));
    } else if (current.day !== day) {
      if (day < current.day) return; // a late record of a finished day: counted with that day, not this one
      this.#finishDay(op, host, current);
      current.day = day;
      current.targets = new Set();
    }
    if (current.targets.size < FANOUT_TARGETS_TRACKED) current.targets.add(respHost);
    this.#countUse(id, day);
    let responders = this.#responders.get(op);
    if (responders === undefined) this.#responders.set(op, (responders = new Map<string, string[]>()));
    let callers = responders.get(respHost);
    if (callers === undefined) {
      if (this.#responderCount >= MAX_RESPONDERS) return;
      responders.set(respHost, (callers = []));
      this.#responderCount += 1;
    }
    addDistinct(callers, host, this.#minHosts);
    if (callers[0] === host) this.#countFirstCaller(op, respHost, day);
  }

  /** Off for good: the tables are dropped (a partial table would make servers look like workstations). */
  #turnReachOff(): void {
    this.#reachOff = true;
    this.#small = [];
    this.#useDays.clear();
    this.#firstCallerDays.clear();
    this.#firstCallerCount = 0;
    this.#callersOfAny.clear();
  }

  /** Whether a relative-test table of `size` entries may take one more; if not, the test goes off. */
  #admits(size: number): boolean {
    if (size < MAX_REACH_ENTRIES) return true;
    this.#turnReachOff();
    return false;
  }

  /** The relative test's tables (reach.ts); past MAX_REACH_ENTRIES the test is off. */
  #countUse(id: string, day: number): void {
    if (this.#reachOff) return;
    let useDays = this.#useDays.get(id);
    if (useDays === undefined) {
      if (!this.#admits(this.#useDays.size)) return;
      this.#useDays.set(id, (useDays = []));
    }
    addDistinct(useDays, day, this.#habitDays);
  }

  #countFirstCaller(op: string, respHost: string, day: number): void {
    if (this.#reachOff) return;
    let firstDays = this.#firstCallerDays.get(op);
    if (firstDays === undefined) this.#firstCallerDays.set(op, (firstDays = new Map<string, number[]>()));
    let days = firstDays.get(respHost);
    if (days === undefined) {
      if (!this.#admits(this.#firstCallerCount)) return;
      firstDays.set(respHost, (days = []));
      this.#firstCallerCount += 1;
    }
    addDistinct(days, day, this.#habitDays);
  }

  /** Counts a call of any operation from `host` to `respHost` (who is a server, reach.ts). */
  observeCall(host: string, respHost: string): void {
    if (this.#reachOff) return;
    let callers = this.#callersOfAny.get(respHost);
    if (callers === undefined) {
      if (!this.#admits(this.#callersOfAny.size)) return;
      this.#callersOfAny.set(respHost, (callers = []));
    }
    addDistinct(callers, host, this.#broadHosts + 1);
  }

  #finishDay(op: string, host: string, current: FanoutDay): void {
    const count = current.targets.size;
    countHostDay(this.#histograms, op, count);
    if (count >= SWEEP_MIN_TARGETS && this.#candidates.length < MAX_SWEEP_CANDIDATES) this.#candidates.push([op, host, current.day, [...current.targets], current.group]);
    if (count >= REACH_MIN_OWN && count < SWEEP_MIN_TARGETS && !this.#reachOff && this.#admits(this.#small.length)) {
      this.#small.push([op, host, current.day, [...current.targets], current.group]);
    }
  }

  /**
   * Per discovery operation, the fan-out from which a host-day is a sweep (SWEEP_MIN_TARGETS, and
   * SWEEP_FACTOR times the median host-day), the hosts and groups for which sweeping it is
   * routine (a host on `habitDays` days, or `minHosts` hosts of a group), and the other sweeps.
   * Current days included. `networkHosts`: the active hosts of the network.
   */
  profile(networkHosts: number): { thresholds: FanoutEntry[]; sweeps: SweepEntry[]; reach: ReachEntry[]; reachSweeps: ReachSweepEntry[]; reachServers: ServerEntry[] } {
    const histograms = new Map<string, number[]>();
    for (const [op, counts] of this.#histograms) histograms.set(op, [...counts]);
    const candidates = [...this.#candidates];
    const small: HostDay[] = [...this.#small];
    for (const [id, current] of this.#current) {
      const [op, host] = id.split('\u0000') as [string, string];
      const count = current.targets.size;
      countHostDay(histograms, op, count);
      if (count >= SWEEP_MIN_TARGETS) candidates.push([op, host, current.day, [...current.targets], current.group]);
      else if (count >= REACH_MIN_OWN) small.push([op, host, current.day, [...current.targets], current.group]);
    }
    // Services (responders `minHosts` hosts ask, a network's DCs and file servers) are no sweep's
    // evidence: a client that asks all eight DCs has not swept anything.
    const services = new Map<string, Set<string>>();
    for (const [op, responders] of this.#responders) {
      const popular = new Set<string>();
      for (const [responder, callers] of responders) if (callers.length >= this.#minHosts) popular.add(responder);
      services.set(op, popular);
    }
    const unusual = (c: SweepCandidate): number => {
      const popular = services.get(c[0]);
      return popular === undefined ? c[3].length : c[3].filter((t) => !popular.has(t)).length;
    };
    const thresholds: [string, number][] = [];
    // On a network of a dozen hosts, half of them is a sweep too.
    const smallNetwork = Math.max(SWEEP_MIN_TARGETS_SMALL, Math.ceil(networkHosts / 2));
    for (const [op, counts] of histograms) thresholds.push([op, Math.min(smallNetwork, Math.max(SWEEP_MIN_TARGETS, SWEEP_FACTOR * quantileOf(counts, 0.5)))]);
    thresholds.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const threshold = new Map(thresholds);
    const daysPerHost = new Map<string, number>();
    const hostsPerGroup = new Map<string, Set<string>>();
    const qualifying = candidates.filter((c) => unusual(c) >= (threshold.get(c[0]) ?? SWEEP_MIN_TARGETS));
    for (const c of qualifying) {
      daysPerHost.set(`${c[0]}\u0000${c[1]}`, (daysPerHost.get(`${c[0]}\u0000${c[1]}`) ?? 0) + 1);
      const key = `${c[0]}\u0000${c[4]}`;
      let hosts = hostsPerGroup.get(key);
      if (hosts === undefined) hostsPerGroup.set(key, (hosts = new Set()));
      hosts.add(c[1]);
    }
    const habitual = (c: SweepCandidate): boolean => (daysPerHost.get(`${c[0]}\u0000${c[1]}`) as number) >= this.#habitDays;
    const groupRoutine = (c: SweepCandidate): boolean => (hostsPerGroup.get(`${c[0]}\u0000${c[4]}`) as Set<string>).size >= this.#minHosts;
    const exempt = new Map<string, { hosts: Set<string>; groups: Set<string> }>();
    for (const c of qualifying) {
      if (!habitual(c) && !groupRoutine(c)) continue;
      let entry = exempt.get(c[0]);
      if (entry === undefined) exempt.set(c[0], (entry = { hosts: new Set(), groups: new Set() }));
      if (habitual(c)) entry.hosts.add(c[1]);
      if (groupRoutine(c)) entry.groups.add(c[4]);
    }
    // The relative test (reach.ts), off when a bound was hit (it could only add alerts then).
    const relative =
      this.#reachOff || this.#responderCount >= MAX_RESPONDERS || candidates.length >= MAX_SWEEP_CANDIDATES
        ? { entries: [], sweeps: [], habitual: [], servers: [] }
        : reachProfile(
            this.#responders,
            services,
            this.#callersOfAny,
            (op, responder, caller) => [this.#firstCallerDays.get(op)?.get(responder)?.length ?? 0, this.#useDays.get(`${op}\u0000${caller}`)?.length ?? 0],
            [...small, ...candidates],
            { minHosts: this.#minHosts, minShare: this.#minShare, broadHosts: this.#broadHosts, habitDays: this.#habitDays, networkHosts },
            (op, host, group) => {
              const entry = exempt.get(op);
              return entry !== undefined && (entry.hosts.has(host) || entry.groups.has(group));
            },
          );
    for (const [op, host] of relative.habitual) {
      let entry = exempt.get(op);
      if (entry === undefined) exempt.set(op, (entry = { hosts: new Set(), groups: new Set() }));
      entry.hosts.add(host);
    }
    const fanout = thresholds.map(([op, limit]): FanoutEntry => {
      const entry = exempt.get(op);
      return [op, limit, [...(entry?.hosts ?? [])].sort(), [...(entry?.groups ?? [])].sort(), [...(services.get(op) ?? [])].sort()];
    });
    const sweeps = qualifying
      .filter((c) => !habitual(c) && !groupRoutine(c))
      .map((c): SweepEntry => [c[0], c[1], c[2], unusual(c)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
    const swept = new Set(sweeps.map(([op, host, day]) => `${op}\u0000${host}\u0000${day}`));
    const reachSweeps = relative.sweeps.filter(([op, host, day]) => !swept.has(`${op}\u0000${host}\u0000${day}`));
    return { thresholds: fanout, sweeps, reach: relative.entries, reachSweeps, reachServers: relative.servers };
  }

  /** Forgets host-days before day number `cutoffDay`. */
  prune(cutoffDay: number): void {
    this.#candidates = this.#candidates.filter((c) => c[2] >= cutoffDay);
    this.#small = this.#small.filter((c) => c[2] >= cutoffDay);
    for (const [id, days] of this.#useDays) {
      const kept = days.filter((d) => d >= cutoffDay);
      if (kept.length === 0) this.#useDays.delete(id);
      else this.#useDays.set(id, kept);
    }
    for (const byResponder of this.#firstCallerDays.values()) {
      for (const [responder, days] of byResponder) byResponder.set(responder, days.filter((d) => d >= cutoffDay));
    }
    for (const [id, current] of this.#current) if (current.day < cutoffDay) this.#current.delete(id);
  }

  toJSON(): FanoutJson {
    return {
      current: [...this.#current].map(([id, c]) => {
        const [op, host] = id.split('\u0000') as [string, string];
        return [op, host, c.day, [...c.targets], c.group];
      }),
      histograms: [...this.#histograms],
      candidates: this.#candidates,
      responders: [...this.#responders].flatMap(([op, responders]) => [...responders].map(([responder, callers]): [string, string, string[]] => [op, responder, callers])),
      useDays: [...this.#useDays].map(([id, days]): [string, string, number[]] => {
        const [op, host] = id.split('\u0000') as [string, string];
        return [op, host, days];
      }),
      firstCallerDays: [...this.#firstCallerDays].flatMap(([op, byResponder]) => [...byResponder].map(([responder, days]): [string, string, number[]] => [op, responder, days])),
      small: this.#small,
      callersOfAny: [...this.#callersOfAny],
      ...(this.#reachOff ? { reachOff: true } : {}),
    };
  }

  static fromJSON(doc: FanoutJson, options: FanoutOptions): FanoutStats {
    const stats = new FanoutStats(options);
    for (const [op, host, day, targets, group] of doc.current) stats.#current.set(`${op}\u0000${host}`, { day, targets: new Set(targets), group });
    for (const [op, counts] of doc.histograms) stats.#histograms.set(op, [...counts]);
    stats.#candidates = doc.candidates.map((c): SweepCandidate => [c[0], c[1], c[2], [...c[3]], c[4]]);
    stats.#small = (doc.small ?? []).map((c): SweepCandidate => [c[0], c[1], c[2], [...c[3]], c[4]]);
    stats.#reachOff = doc.reachOff === true;
    for (const [responder, callers] of doc.callersOfAny ?? []) stats.#callersOfAny.set(responder, [...callers]);
    for (const [op, host, days] of doc.useDays ?? []) stats.#useDays.set(`${op}\u0000${host}`, [...days]);
    for (const [op, responder, days] of doc.firstCallerDays ?? []) {
      let byResponder = stats.#firstCallerDays.get(op);
      if (byResponder === undefined) stats.#firstCallerDays.set(op, (byResponder = new Map<string, number[]>()));
      byResponder.set(responder, [...days]);
      stats.#firstCallerCount += 1;
    }
    for (const [op, responder, callers] of doc.responders ?? []) {
      let responders = stats.#responders.get(op);
      if (responders === undefined) stats.#responders.set(op, (responders = new Map<string, string[]>()));
      responders.set(responder, [...callers]);
      stats.#responderCount += 1;
    }
    return stats;
  }
}

/** Adds one host-day of `count` distinct responders to `op`'s histogram. */
/** Adds `value` to `list` unless it is there or the list holds `limit` values already. */
function addDistinct<T>(list: T[], value: T, limit: number): void {
  if (list.length < limit && !list.includes(value)) list.push(value);
}

function countHostDay(histograms: Map<string, number[]>, op: string, count: number): void {
  let histogram = histograms.get(op);
  if (histogram === undefined) histograms.set(op, (histogram = new Array<number>(FANOUT_TARGETS_TRACKED + 1).fill(0)));
  const slot = Math.min(count, FANOUT_TARGETS_TRACKED);
  histogram[slot] = (histogram[slot] as number) + 1;
}

/** The q-quantile of a histogram (index = value, entry = how many). */
function quantileOf(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let seen = 0;
  for (let value = 0; value < counts.length; value++) {
    seen += counts[value] as number;
    if (seen >= q * total) return value;
  }
  return 0;
}

/**
 * [operation (lower case), originating host, day number, its distinct responders that day]; a
 * pair at FANOUT_TARGETS_TRACKED responders is saved as that number (more change nothing).
 */
export type FanoutPairJson = [op: string, host: string, day: number, targets: string[] | number];

/** The host of a saved pair that holds a fleet value (fleet.ts) instead. */
const FLEET_ENTRY = '\u0000fleet';

/**
 * Distinct responders per (discovery operation, host) on the current day, for a scorer that
 * follows a stream (the daemon, eval): a sweep after the last retrain is flagged once it crosses
 * the threshold. Bounded: past MAX_FANOUT_HOSTS pairs it starts over (misses, never false alerts).
 *
 * The daemon saves it with every checkpoint (toJSON, in progress.json) and restores it at start,
 * so a line re-read after a crash is counted against exactly the responders seen before it, and
 * gets the verdict and reason it got the first time (an anomaly matched, not written again).
 */
export class FanoutTracker {
  readonly #pairs = new Map<string, FanoutDay>();
  #latestDay = Number.NEGATIVE_INFINITY;
  /** toJSON's last result, while nothing it depends on has changed (it is saved every batch). */
  #saved: FanoutPairJson[] | null = null;
  /** The live callers of values the model does not know yet (fleet.ts), saved in the same entries. */
  readonly fleet = new FleetTracker();
  #savedFleet = -1;

  /** Counts `respHost` (null: count nothing) for (op, host) on the record's day; returns the distinct count so far. */
  count(op: string, host: string, ts: number, respHost: string | null): number {
    const day = Math.floor(ts / DAY);
    if (day > this.#latestDay) this.#latestDay = day;
    const id = `${op}\u0000${host}`;
    let current = this.#pairs.get(id);
    if (current === undefined) {
      if (this.#pairs.size >= MAX_FANOUT_HOSTS) {
        this.#pairs.clear();
        this.#saved = null;
      }
      this.#pairs.set(id, (current = { day, targets: new Set(), group: '' }));
    } else if (current.day < day) {
      current.day = day;
      if (current.targets.size > 0) this.#saved = null;
      current.targets = new Set();
    } else if (current.day > day) {
      return 0;
    }
    const before = current.targets.size;
    if (respHost !== null && before < FANOUT_TARGETS_TRACKED && current.targets.add(respHost).size > before) this.#saved = null;
    return current.targets.size;
  }

  /** The responders counted for (op, host) on its latest day (what `count` just counted into). */
  responders(op: string, host: string): ReadonlySet<string> | undefined {
    return this.#pairs.get(`${op}\u0000${host}`)?.targets;
  }

  /**
   * The state that decides future counts: pairs with responders, of the latest two days (a pair
   * of an older day restarts empty at its next record, and a late record of an older day counts
   * 0 either way, so leaving those out changes no count).
   */
  toJSON(): FanoutPairJson[] {
    if (this.#saved !== null && this.#savedFleet === this.fleet.version) return this.#saved;
    const pairs: FanoutPairJson[] = [];
    for (const [id, current] of this.#pairs) {
      if (current.targets.size === 0 || current.day < this.#latestDay - 1) continue;
      const [op, host] = id.split('\u0000') as [string, string];
      const full = current.targets.size >= FANOUT_TARGETS_TRACKED;
      pairs.push([op, host, current.day, full ? FANOUT_TARGETS_TRACKED : [...current.targets]]);
    }
    // A fleet value is saved as a pair whose host is FLEET_ENTRY (no address has a NUL): the
    // checkpoint's format is unchanged, and an older daemon keeps it as a pair it never asks about.
    for (const [key, day, hosts] of this.fleet.toJSON()) pairs.push([key, FLEET_ENTRY, day, hosts]);
    this.#saved = pairs;
    this.#savedFleet = this.fleet.version;
    return pairs;
  }

  /** A tracker as `toJSON` saved it; entries that are not well-formed are left out. */
  static fromJSON(pairs: readonly unknown[]): FanoutTracker {
    const tracker = new FanoutTracker();
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 4) continue;
      const [op, host, day, targets] = pair as unknown[];
      if (typeof op !== 'string' || typeof host !== 'string' || !Number.isSafeInteger(day)) continue;
      if (!Array.isArray(targets) && targets !== FANOUT_TARGETS_TRACKED) continue;
      if (host === FLEET_ENTRY) {
        tracker.fleet.restore(op, day, targets);
        continue;
      }
      if (tracker.#pairs.size >= MAX_FANOUT_HOSTS) continue;
      // A full pair's responders were not saved: stand-ins (no address has a NUL) keep its count.
      const kept = Array.isArray(targets)
        ? targets.filter((t): t is string => typeof t === 'string').slice(0, FANOUT_TARGETS_TRACKED)
        : Array.from({ length: FANOUT_TARGETS_TRACKED }, (_, i) => `\u0000${i}`);
      tracker.#pairs.set(`${op}\u0000${host}`, { day: day as number, targets: new Set(kept), group: '' });
      if ((day as number) > tracker.#latestDay) tracker.#latestDay = day as number;
    }
    return tracker;
  }
}
