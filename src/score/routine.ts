/**
 * What is routine on this network, learned from every record the daemon (or `train`) reads, with
 * evidence an attacker cannot easily supply: distinct originating HOSTS and distinct DAYS, never
 * rows. One compromised host sweeping 30 targets leaves 60 rows but one host on one day; three
 * management servers deploying services every morning leave three hosts on seven days.
 *
 * Two kinds of "what" are tracked:
 * - values, network-wide: every endpoint and every endpoint × operation. A value is routine when
 *   at least `minHosts` hosts used it on at least `minDays` days, or one host used it on
 *   `habitDays` different days (a one-host network has no other evidence). Otherwise it is "not
 *   yet seen": one host introducing an interface yesterday does not make it known.
 * - technique operations (techniques.ts) per originator group: routine for the group when at
 *   least `minHosts` of its hosts, and `minShare` of its active hosts (or `broadHosts` hosts,
 *   whatever the share), did it on at least `minDays` days; or one of its hosts on `habitDays`
 *   days. `minDays` never asks for more days than the statistics have seen, so a 10-minute
 *   capture can still vet what 16 clients all do.
 *
 * "Introduced late": anything first seen at least `warmupSeconds` after the statistics began.
 * Low-danger (discovery) operations and non-technique values are flagged only when they are both
 * not routine and introduced late: in a short capture, or the daemon's first day, nothing is
 * established yet and everything would be "new". High-danger operations are flagged whenever they
 * are not routine for the originator's own group: the technique table is the prior, the data the
 * only thing that can overrule it.
 *
 * Fan-out: a discovery sweep touches many responders in a short time; routine enumeration (a
 * workstation asking its file servers who is logged on) touches a few. For every discovery
 * (low-danger) technique operation the statistics count distinct responders per originating host
 * and day, leaving out services (responders `minHosts` hosts ask: DCs, file servers). The
 * network's usual fan-out is the median over host-days; a host-day reaching SWEEP_MIN_TARGETS and
 * SWEEP_FACTOR times that median (or half the hosts of a small network) is a sweep, unless the
 * same host sweeps on `habitDays` days (an inventory server) or `minHosts` hosts of its group do. Sweeps seen in training are in the profile,
 * so every record of that host-day is flagged; a scorer following a live stream counts too
 * (FanoutTracker) and flags once the count crosses the threshold.
 *
 * Memory is bounded: at most `maxEntries` (what × group) entries, each tracking at most
 * BROAD_HOSTS_TRACKED hosts with at most DAYS_PER_HOST days each, and at most `maxGroupHosts`
 * (group, host) activity entries. On overflow, entries backed by a single host on a single day
 * (the ones that prove nothing) are dropped, oldest first; if that frees too little, new entries
 * are refused and counted in `overflowed`. A refused value stays "never seen", so an overflow can
 * only add alerts, never hide one.
 */
import type { RoutineProfileDocument } from '../model/index.js';
import { techniqueFor, type Technique } from './techniques.js';

/** Thresholds of the routine test (config `[scoring]`; defaults in DEFAULT_ROUTINE_OPTIONS). */
export interface RoutineOptions extends Pick<RoutineProfileDocument, 'minHosts' | 'minShare' | 'broadHosts' | 'minDays' | 'habitDays' | 'warmupSeconds'> {
  maxEntries: number;
  maxGroupHosts: number;
}

export const DEFAULT_ROUTINE_OPTIONS: RoutineOptions = {
  minHosts: 3,
  minShare: 0.25,
  broadHosts: 20,
  minDays: 2,
  habitDays: 3,
  warmupSeconds: 86_400,
  maxEntries: 50_000,
  maxGroupHosts: 200_000,
};

/** Hosts remembered per entry: past `broadHosts`, more hosts add no evidence. */
const BROAD_HOSTS_TRACKED = 24;
/** Distinct days remembered per host of an entry (≥ habitDays, with room for age pruning). */
const DAYS_PER_HOST = 8;
const DAY = 86_400;
/** The group key of network-wide entries. */
export const ANY_GROUP = '*';
/** Fewest distinct responders in a day that can be a sweep, whatever the network's habits. */
export const SWEEP_MIN_TARGETS = 8;
/** Fewest responders of a sweep on a small network (half its hosts, at least this). */
export const SWEEP_MIN_TARGETS_SMALL = 3;
/** A sweep reaches this many times the network's median fan-out of the operation. */
export const SWEEP_FACTOR = 4;
/** Responders remembered per host-day (past a sweep's size, more prove nothing). */
const FANOUT_TARGETS_TRACKED = 64;
/** (operation, host) pairs followed for fan-out, and candidate sweep host-days kept. */
const MAX_FANOUT_HOSTS = 100_000;
const MAX_SWEEP_CANDIDATES = 20_000;

/** One (discovery operation, host) pair's responders on its latest day. */
interface FanoutDay {
  day: number;
  targets: Set<string>;
  group: string;
}

/** A finished host-day of SWEEP_MIN_TARGETS responders or more: SweepEntry + originator group. */
type SweepCandidate = [op: string, host: string, day: number, targets: string[], group: string];
/** (operation, responder) pairs whose callers are counted, to tell services from sweep targets. */
const MAX_RESPONDERS = 200_000;


interface Entry {
  first: number;
  /** host → distinct day numbers (ascending insertion, at most DAYS_PER_HOST). */
  hosts: Map<string, number[]>;
  /** More hosts did it than are tracked. */
  saturated: boolean;
  lastHost: string;
  lastDay: number;
}

/** The evidence behind one what × group. */
export interface Evidence {
  hosts: number;
  days: number;
  /** Most distinct days any one host did it on. */
  habitDays: number;
  /** Distinct (host, day) pairs. */
  hostDays: number;
  first: number;
}

/** Plain-JSON form of RoutineStats, persisted by the daemon (`routine-stats.json`). */
export interface RoutineStatsJson {
  format: 'zeek-anomalyd/routine-stats';
  version: 1;
  start: number | null;
  days: number[];
  overflowed: number;
  /** [kind + key, group, first, saturated, [host, days[]][]] */
  entries: [string, string, number, boolean, [string, number[]][]][];
  /** [group, [host, days[]][]] */
  groups: [string, [string, number[]][]][];
  /** Fan-out (absent before it existed): current host-days, histograms, candidate sweeps. */
  fanout?: {
    current: [op: string, host: string, day: number, targets: string[], group: string][];
    histograms: [op: string, counts: number[]][];
    candidates: SweepCandidate[];
    /** [op, responder, its first callers] */
    responders?: [op: string, responder: string, callers: string[]][];
  };
}

/** [operation (lower case), sweep threshold, hosts and groups for which sweeping it is routine] */
export type FanoutEntry = [op: string, threshold: number, routineHosts: string[], routineGroups: string[], services: string[]];

/** [operation (lower case), originating host, day number, distinct responders] */
export type SweepEntry = [op: string, host: string, day: number, targets: number];

const valueKey = (endpoint: string | null): string => `e\t${(endpoint ?? '-').toLowerCase()}`;
const operationKey = (endpoint: string | null, operation: string | null): string =>
  `o\t${(endpoint ?? '-').toLowerCase()}\t${(operation ?? '-').toLowerCase()}`;
const techniqueKey = (operation: string): string => `t\t${operation.toLowerCase()}`;

function addDay(days: number[], day: number, limit: number): void {
  if (days.includes(day)) return;
  if (days.length >= limit) {
    // Keep the newest: the oldest day is the first to age out anyway.
    let oldest = 0;
    for (let i = 1; i < days.length; i++) if ((days[i] as number) < (days[oldest] as number)) oldest = i;
    if ((days[oldest] as number) >= day) return;
    days[oldest] = day;
    return;
  }
  days.push(day);
}

/** Distinct-host and distinct-day statistics over a stream of records. */
export class RoutineStats {
  readonly options: RoutineOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #groups = new Map<string, Map<string, number[]>>();
  readonly #days = new Set<number>();
  #groupHosts = 0;
  #start: number | null = null;
  #overflowed = 0;
  /** `op\0host` → responders on that pair's latest day. */
  readonly #fanout = new Map<string, FanoutDay>();
  /** op → host-days by distinct responders (index = min(count, FANOUT_TARGETS_TRACKED)). */
  readonly #fanoutHistograms = new Map<string, number[]>();
  /** Finished host-days with at least SWEEP_MIN_TARGETS responders. */
  #sweepCandidates: SweepCandidate[] = [];
  /** op → responder → its first `minHosts` distinct callers: a responder many ask is a service. */
  readonly #responders = new Map<string, Map<string, string[]>>();
  #responderCount = 0;

  constructor(options: Partial<RoutineOptions> = {}) {
    this.options = { ...DEFAULT_ROUTINE_OPTIONS, ...options };
  }

  /** Entries held (what × group). */
  get size(): number {
    return this.#entries.size;
  }

  /** New entries refused because the table was full. */
  get overflowed(): number {
    return this.#overflowed;
  }

  /** Epoch seconds of the earliest record observed (after age pruning), or null. */
  get start(): number | null {
    return this.#start;
  }

  /** Counts one record. `origGroup` as the feature stage computes it. */
  observe(ts: number, origHost: string | null, origGroup: string, endpoint: string | null, operation: string | null, respHost: string | null = null): void {
    if (origHost === null || !Number.isFinite(ts)) return;
    const day = Math.floor(ts / DAY);
    if (this.#start === null || ts < this.#start) this.#start = ts;
    this.#days.add(day);
    this.#touchGroup(origGroup, origHost, day);
    this.#touch(valueKey(endpoint), ANY_GROUP, origHost, day, ts);
    this.#touch(operationKey(endpoint, operation), ANY_GROUP, origHost, day, ts);
    if (operation !== null) {
      const technique = techniqueFor(operation);
      if (technique === undefined) return;
      const key = techniqueKey(operation);
      this.#touch(key, origGroup, origHost, day, ts);
      this.#touch(key, ANY_GROUP, origHost, day, ts);
      if (technique.danger === 'low' && respHost !== null) this.#touchFanout(operation.toLowerCase(), origHost, origGroup, day, respHost);
    }
  }

  #touchFanout(op: string, host: string, group: string, day: number, respHost: string): void {
    const id = `${op}\u0000${host}`;
    let current = this.#fanout.get(id);
    if (current === undefined) {
      if (this.#fanout.size >= MAX_FANOUT_HOSTS) return;
      this.#fanout.set(id, (current = { day, targets: new Set(), group }));
    } else if (current.day !== day) {
      if (day < current.day) return; // a late record of a finished day: counted with that day, not this one
      this.#finishFanoutDay(op, host, current);
      current.day = day;
      current.targets = new Set();
    }
    if (current.targets.size < FANOUT_TARGETS_TRACKED) current.targets.add(respHost);
    let responders = this.#responders.get(op);
    if (responders === undefined) this.#responders.set(op, (responders = new Map<string, string[]>()));
    let callers = responders.get(respHost);
    if (callers === undefined) {
      if (this.#responderCount >= MAX_RESPONDERS) return;
      responders.set(respHost, (callers = []));
      this.#responderCount += 1;
    }
    if (callers.length < this.options.minHosts && !callers.includes(host)) callers.push(host);
  }

  #finishFanoutDay(op: string, host: string, current: FanoutDay): void {
    const count = current.targets.size;
    let histogram = this.#fanoutHistograms.get(op);
    if (histogram === undefined) this.#fanoutHistograms.set(op, (histogram = new Array<number>(FANOUT_TARGETS_TRACKED + 1).fill(0)));
    histogram[Math.min(count, FANOUT_TARGETS_TRACKED)] = (histogram[Math.min(count, FANOUT_TARGETS_TRACKED)] as number) + 1;
    if (count >= SWEEP_MIN_TARGETS && this.#sweepCandidates.length < MAX_SWEEP_CANDIDATES) this.#sweepCandidates.push([op, host, current.day, [...current.targets], current.group]);
  }

  /**
   * Per discovery operation, the fan-out from which a host-day is a sweep (SWEEP_MIN_TARGETS, and
   * SWEEP_FACTOR times the median host-day), the hosts and groups for which sweeping it is
   * routine (a host on `habitDays` days, or `minHosts` hosts of a group), and the other sweeps.
   * Current days included.
   */
  #fanoutProfile(): { thresholds: FanoutEntry[]; sweeps: SweepEntry[] } {
    const histograms = new Map<string, number[]>();
    for (const [op, counts] of this.#fanoutHistograms) histograms.set(op, [...counts]);
    const candidates = [...this.#sweepCandidates];
    for (const [id, current] of this.#fanout) {
      const [op, host] = id.split('\u0000') as [string, string];
      let histogram = histograms.get(op);
      if (histogram === undefined) histograms.set(op, (histogram = new Array<number>(FANOUT_TARGETS_TRACKED + 1).fill(0)));
      const count = current.targets.size;
      histogram[Math.min(count, FANOUT_TARGETS_TRACKED)] = (histogram[Math.min(count, FANOUT_TARGETS_TRACKED)] as number) + 1;
      if (count >= SWEEP_MIN_TARGETS) candidates.push([op, host, current.day, [...current.targets], current.group]);
    }
    // Services (responders `minHosts` hosts ask, a network's DCs and file servers) are no sweep's
    // evidence: a client that asks all eight DCs has not swept anything.
    const services = new Map<string, Set<string>>();
    for (const [op, responders] of this.#responders) {
      const popular = new Set<string>();
      for (const [responder, callers] of responders) if (callers.length >= this.options.minHosts) popular.add(responder);
      services.set(op, popular);
    }
    const unusual = (c: SweepCandidate): number => {
      const popular = services.get(c[0]);
      return popular === undefined ? c[3].length : c[3].filter((t) => !popular.has(t)).length;
    };
    const thresholds: [string, number][] = [];
    // On a network of a dozen hosts, half of them is a sweep too.
    const smallNetwork = Math.max(SWEEP_MIN_TARGETS_SMALL, Math.ceil(this.#groupHosts / 2));
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
    const habitual = (c: SweepCandidate): boolean => (daysPerHost.get(`${c[0]}\u0000${c[1]}`) as number) >= this.options.habitDays;
    const groupRoutine = (c: SweepCandidate): boolean => (hostsPerGroup.get(`${c[0]}\u0000${c[4]}`) as Set<string>).size >= this.options.minHosts;
    const exempt = new Map<string, { hosts: Set<string>; groups: Set<string> }>();
    for (const c of qualifying) {
      if (!habitual(c) && !groupRoutine(c)) continue;
      let entry = exempt.get(c[0]);
      if (entry === undefined) exempt.set(c[0], (entry = { hosts: new Set(), groups: new Set() }));
      if (habitual(c)) entry.hosts.add(c[1]);
      if (groupRoutine(c)) entry.groups.add(c[4]);
    }
    const fanout = thresholds.map(([op, limit]): FanoutEntry => {
      const entry = exempt.get(op);
      return [op, limit, [...(entry?.hosts ?? [])].sort(), [...(entry?.groups ?? [])].sort(), [...(services.get(op) ?? [])].sort()];
    });
    const sweeps = qualifying
      .filter((c) => !habitual(c) && !groupRoutine(c))
      .map((c): SweepEntry => [c[0], c[1], c[2], unusual(c)])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
    return { thresholds: fanout, sweeps };
  }

  #touchGroup(group: string, host: string, day: number): void {
    let hosts = this.#groups.get(group);
    let days = hosts?.get(host);
    if (days === undefined) {
      // The bound is checked before a new group gets its map: a flood of distinct groups past
      // the bound must not leave an empty map behind for each.
      if (this.#groupHosts >= this.options.maxGroupHosts) return;
      if (hosts === undefined) this.#groups.set(group, (hosts = new Map<string, number[]>()));
      // `[day]`, not `[]` then push: V8 gives a pushed-to empty array room for 17 values, and at
      // maxGroupHosts that was 25 MB of a flood's heap for hosts seen on a single day.
      hosts.set(host, (days = [day]));
      this.#groupHosts += 1;
    }
    addDay(days, day, DAYS_PER_HOST);
  }

  #touch(key: string, group: string, host: string, day: number, ts: number): void {
    const id = `${key}\u0000${group}`;
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      if (this.#entries.size >= this.options.maxEntries && !this.#makeRoom()) {
        this.#overflowed += 1;
        return;
      }
      entry = { first: ts, hosts: new Map(), saturated: false, lastHost: '', lastDay: -1 };
      this.#entries.set(id, entry);
    } else if (entry.lastHost === host && entry.lastDay === day) {
      if (ts < entry.first) entry.first = ts;
      return;
    }
    if (ts < entry.first) entry.first = ts;
    entry.lastHost = host;
    entry.lastDay = day;
    let days = entry.hosts.get(host);
    if (days === undefined) {
      if (entry.hosts.size >= BROAD_HOSTS_TRACKED) {
        entry.saturated = true;
        return;
      }
      entry.hosts.set(host, (days = [day]));
    }
    addDay(days, day, DAYS_PER_HOST);
  }

  /** Drops single-host-single-day entries, oldest first, until 10 % of the table is free. */
  #makeRoom(): boolean {
    const target = Math.floor(this.options.maxEntries * 0.9);
    const singles: [string, number][] = [];
    for (const [id, entry] of this.#entries) {
      if (entry.hosts.size === 1 && !entry.saturated) {
        const [days] = entry.hosts.values();
        if ((days as number[]).length === 1) singles.push([id, entry.first]);
      }
    }
    singles.sort((a, b) => a[1] - b[1]);
    for (const [id] of singles) {
      if (this.#entries.size <= target) break;
      this.#entries.delete(id);
    }
    return this.#entries.size < this.options.maxEntries;
  }

  /** Forgets days before `cutoffTs` (the window's age limit), and entries left with none. */
  prune(cutoffTs: number): void {
    const cutoff = Math.floor(cutoffTs / DAY);
    // The same array when nothing ages out, else an exact-size copy: filter's result has room
    // for 17 values, which over maxGroupHosts single-day hosts was 25 MB of heap.
    const keep = (days: number[]): number[] => (days.every((d) => d >= cutoff) ? days : days.filter((d) => d >= cutoff).slice());
    for (const [id, entry] of this.#entries) {
      let earliest = Infinity;
      for (const [host, days] of entry.hosts) {
        const kept = keep(days);
        if (kept.length === 0) entry.hosts.delete(host);
        else {
          entry.hosts.set(host, kept);
          earliest = Math.min(earliest, ...kept);
        }
      }
      if (entry.hosts.size === 0) this.#entries.delete(id);
      else if (entry.first < earliest * DAY) {
        entry.first = earliest * DAY;
        entry.lastDay = -1;
      }
    }
    for (const [group, hosts] of this.#groups) {
      for (const [host, days] of hosts) {
        const kept = keep(days);
        if (kept.length === 0) {
          hosts.delete(host);
          this.#groupHosts -= 1;
        } else hosts.set(host, kept);
      }
      if (hosts.size === 0) this.#groups.delete(group);
    }
    for (const day of this.#days) if (day < cutoff) this.#days.delete(day);
    this.#sweepCandidates = this.#sweepCandidates.filter((c) => c[2] >= cutoff);
    for (const [id, current] of this.#fanout) if (current.day < cutoff) this.#fanout.delete(id);
    if (this.#start !== null && this.#start < cutoff * DAY) this.#start = this.#days.size === 0 ? null : cutoff * DAY;
  }

  #evidence(id: string): Evidence | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const days = new Set<number>();
    let habitDays = 0;
    let hostDays = 0;
    for (const perHost of entry.hosts.values()) {
      for (const d of perHost) days.add(d);
      if (perHost.length > habitDays) habitDays = perHost.length;
      hostDays += perHost.length;
    }
    return { hosts: entry.saturated ? Math.max(entry.hosts.size, this.options.broadHosts) : entry.hosts.size, days: days.size, habitDays, hostDays, first: entry.first };
  }

  /** Everything the scorer needs, frozen (stored in the model document). */
  profile(): RoutineProfile {
    const values: ProfileEntry[] = [];
    const techniques: ProfileEntry[] = [];
    for (const id of this.#entries.keys()) {
      const [key, group] = id.split('\u0000') as [string, string];
      const evidence = this.#evidence(id) as Evidence;
      const row: ProfileEntry = [key.slice(2), group, evidence.hosts, evidence.days, evidence.habitDays, Math.round(evidence.first), evidence.hostDays];
      if (key.startsWith('t\t')) techniques.push(row);
      else values.push(row);
    }
    const byKey = (a: ProfileEntry, b: ProfileEntry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
    const groups = [...this.#groups.entries()]
      .map(([group, hosts]): [string, number, number] => {
        let habit = 0;
        for (const days of hosts.values()) habit = Math.max(habit, days.length);
        return [group, hosts.size, habit];
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const { maxEntries: _e, maxGroupHosts: _g, ...thresholds } = this.options;
    const fanout = this.#fanoutProfile();
    return {
      ...thresholds,
      start: this.#start === null ? null : Math.floor(this.#start),
      observedDays: this.#days.size,
      values: values.sort(byKey),
      techniques: techniques.sort(byKey),
      groups,
      fanout: fanout.thresholds,
      sweeps: fanout.sweeps,
    };
  }

  toJSON(): RoutineStatsJson {
    return {
      format: 'zeek-anomalyd/routine-stats',
      version: 1,
      start: this.#start,
      days: [...this.#days].sort((a, b) => a - b),
      overflowed: this.#overflowed,
      entries: [...this.#entries].map(([id, e]) => {
        const [key, group] = id.split('\u0000') as [string, string];
        return [key, group, e.first, e.saturated, [...e.hosts]];
      }),
      groups: [...this.#groups].map(([group, hosts]) => [group, [...hosts]]),
      fanout: {
        current: [...this.#fanout].map(([id, c]) => {
          const [op, host] = id.split('\u0000') as [string, string];
          return [op, host, c.day, [...c.targets], c.group];
        }),
        histograms: [...this.#fanoutHistograms],
        candidates: this.#sweepCandidates,
        responders: [...this.#responders].flatMap(([op, responders]) => [...responders].map(([responder, callers]): [string, string, string[]] => [op, responder, callers])),
      },
    };
  }

  /** @throws TypeError when `json` is not a RoutineStatsJson document. */
  static fromJSON(json: unknown, options: Partial<RoutineOptions> = {}): RoutineStats {
    const doc = json as RoutineStatsJson;
    if (typeof doc !== 'object' || doc === null || doc.format !== 'zeek-anomalyd/routine-stats' || doc.version !== 1) {
      throw new TypeError('routine stats: not a zeek-anomalyd/routine-stats version 1 document');
    }
    const stats = new RoutineStats(options);
    stats.#start = typeof doc.start === 'number' ? doc.start : null;
    for (const day of doc.days) stats.#days.add(day);
    stats.#overflowed = doc.overflowed;
    for (const [key, group, first, saturated, hosts] of doc.entries) {
      stats.#entries.set(`${key}\u0000${group}`, { first, saturated, hosts: new Map(hosts), lastHost: '', lastDay: -1 });
    }
    for (const [group, hosts] of doc.groups) {
      stats.#groups.set(group, new Map(hosts));
      stats.#groupHosts += hosts.length;
    }
    if (doc.fanout !== undefined) {
      for (const [op, host, day, targets, group] of doc.fanout.current) stats.#fanout.set(`${op}\u0000${host}`, { day, targets: new Set(targets), group });
      for (const [op, counts] of doc.fanout.histograms) stats.#fanoutHistograms.set(op, [...counts]);
      stats.#sweepCandidates = doc.fanout.candidates.map((c): SweepCandidate => [c[0], c[1], c[2], [...c[3]], c[4]]);
      for (const [op, responder, callers] of doc.fanout.responders ?? []) {
        let responders = stats.#responders.get(op);
        if (responders === undefined) stats.#responders.set(op, (responders = new Map<string, string[]>()));
        responders.set(responder, [...callers]);
        stats.#responderCount += 1;
      }
    }
    return stats;
  }
}

/**
 * [what, group, hosts, days, habitDays, first (epoch s), hostDays]; what is `endpoint` or
 * `endpoint\toperation` for values, the operation for techniques.
 */
export type ProfileEntry = [what: string, group: string, hosts: number, days: number, habitDays: number, first: number, hostDays: number];

/** The frozen routine statistics a model carries (`routine` in the model document). */
export interface RoutineProfile extends Omit<RoutineOptions, 'maxEntries' | 'maxGroupHosts'> {
  start: number | null;
  observedDays: number;
  values: ProfileEntry[];
  techniques: ProfileEntry[];
  /** [group, active hosts, most days one host of it was active] */
  groups: [group: string, hosts: number, habitDays: number][];
  /** Per discovery operation, the distinct responders in a day from which a host-day is a sweep (absent in older models). */
  fanout?: FanoutEntry[];
  /** Sweeps seen in training (absent in older models). */
  sweeps?: SweepEntry[];
}

/** What the routine test says about one record. */
export interface RoutineVerdict {
  flagged: boolean;
  /** Why, in words an operator can act on ('' when not flagged). */
  reason: string;
}

const NOT_FLAGGED: RoutineVerdict = { flagged: false, reason: '' };

/** A profile indexed for scoring. */
export class RoutineIndex {
  readonly profile: RoutineProfile;
  readonly #values = new Map<string, ProfileEntry>();
  readonly #techniques = new Map<string, ProfileEntry>();
  readonly #groups = new Map<string, [string, number, number]>();
  /** operation → groups for which it is routine, busiest first. */
  readonly #routineFor = new Map<string, ProfileEntry[]>();
  readonly #lateAfter: number;
  readonly #minDays: number;
  readonly #population: number;
  /** `op\0host\0day` → responders, for the sweeps seen in training. */
  readonly #sweeps = new Map<string, number>();
  readonly #fanoutThresholds = new Map<string, number>();
  /** `op\0host` and `op\0group` for which sweeping is routine. */
  readonly #sweepRoutine = new Set<string>();
  /** `op\0responder` of services (many hosts ask them): not counted as sweep targets. */
  readonly #services = new Set<string>();

  constructor(profile: RoutineProfile) {
    this.profile = profile;
    for (const [op, host, day, targets] of profile.sweeps ?? []) this.#sweeps.set(`${op}\u0000${host}\u0000${day}`, targets);
    for (const [op, threshold, hosts, groups, services] of profile.fanout ?? []) {
      this.#fanoutThresholds.set(op, threshold);
      for (const who of [...hosts, ...groups]) this.#sweepRoutine.add(`${op}\u0000${who}`);
      for (const responder of services) this.#services.add(`${op}\u0000${responder}`);
    }
    for (const entry of profile.values) this.#values.set(`${entry[0]}`, entry);
    for (const entry of profile.techniques) this.#techniques.set(`${entry[0]}\u0000${entry[1]}`, entry);
    for (const group of profile.groups) this.#groups.set(group[0], group);
    this.#lateAfter = profile.start === null ? Infinity : profile.start + profile.warmupSeconds;
    this.#minDays = Math.max(1, Math.min(profile.minDays, profile.observedDays));
    this.#population = this.#networkHosts();
    for (const entry of profile.techniques) {
      if (entry[1] === ANY_GROUP || !this.#groupRoutine(entry)) continue;
      let list = this.#routineFor.get(entry[0]);
      if (list === undefined) this.#routineFor.set(entry[0], (list = []));
      list.push(entry);
    }
    for (const list of this.#routineFor.values()) list.sort((a, b) => b[2] - a[2] || b[3] - a[3]);
  }

  /**
   * Network-wide: at least `minHosts` host-days (distinct host × day) spread over `minDays` days,
   * or one host's habit: three hosts on two days, one host on three days, two hosts on three.
   */
  #valueRoutine(entry: ProfileEntry): boolean {
    const p = this.profile;
    return (entry[6] >= p.minHosts && entry[3] >= this.#minDays) || entry[4] >= p.habitDays;
  }

  /** For a group: as for values, and a share of the group's hosts unless broadly done. */
  #groupRoutine(entry: ProfileEntry): boolean {
    const p = this.profile;
    if (entry[4] >= p.habitDays) return true;
    if (entry[2] < p.minHosts || entry[3] < this.#minDays) return false;
    const groupHosts = this.#groups.get(entry[1])?.[1] ?? entry[2];
    return entry[2] >= p.broadHosts || entry[2] >= p.minShare * groupHosts;
  }

  #late(entry: ProfileEntry | undefined): boolean {
    return entry === undefined || entry[5] >= this.#lateAfter;
  }

  /** Whether a technique operation from `origGroup` is routine (what training may keep). */
  techniqueRoutine(operation: string, origGroup: string): boolean {
    const entry = this.#techniques.get(`${operation.toLowerCase()}\u0000${origGroup}`);
    return entry !== undefined && this.#groupRoutine(entry);
  }

  /** Whether an endpoint or endpoint × operation is established network-wide. */
  valueKnown(endpoint: string | null, operation: string | null): boolean {
    return this.#valueVerdict(endpoint, operation) === null;
  }

  /** null when fine, else the reason. */
  #valueVerdict(endpoint: string | null, operation: string | null): string | null {
    const ep = (endpoint ?? '-').toLowerCase();
    const checks: [string, string][] = [
      [ep, `endpoint ${endpoint ?? '-'}`],
      [`${ep}\t${(operation ?? '-').toLowerCase()}`, `operation ${endpoint ?? '-'}::${operation ?? '-'}`],
    ];
    for (const [key, label] of checks) {
      const entry = this.#values.get(key);
      if (entry === undefined) return `${label} never seen`;
      if (!this.#valueRoutine(entry) && (this.#late(entry) || this.#weak(entry, this.#population))) {
        return `${label} ${this.#late(entry) ? 'new since' : 'rare, first seen'} ${isoDay(entry[5])}: ${describe(entry)} (known needs ${this.profile.minHosts} hosts on ${this.#minDays} days or one host on ${this.profile.habitDays})`;
      }
    }
    return null;
  }

  /** Few hosts, absolutely and as a share of `population`: evidence of nothing, even early on. */
  #weak(entry: ProfileEntry, population: number): boolean {
    return entry[2] < this.profile.minHosts && entry[2] < this.profile.minShare * population && entry[4] < this.profile.habitDays;
  }

  #networkHosts(): number {
    let hosts = 0;
    for (const group of this.profile.groups) hosts += group[1];
    return hosts;
  }

  /** The verdict for one record; `technique` from the table (undefined: not a technique operation). */
  judge(endpoint: string | null, operation: string | null, origGroup: string, technique: Technique | undefined): RoutineVerdict {
    if (technique !== undefined && operation !== null) {
      const op = operation.toLowerCase();
      const own = this.#techniques.get(`${op}\u0000${origGroup}`);
      let flagged: boolean;
      if (technique.danger === 'high') {
        flagged = own === undefined || !this.#groupRoutine(own);
      } else {
        // Discovery: everyday traffic wherever the network shows it routinely; then only a group
        // newly taking it up with a few of its hosts is flagged. Where the network does not show
        // it routinely, it is flagged once established statistics see it appear, or when it comes
        // from few hosts of a big network.
        const network = this.#techniques.get(`${op}\u0000${ANY_GROUP}`);
        const groupHosts = this.#groups.get(origGroup)?.[1] ?? 0;
        if (network !== undefined && this.#valueRoutine(network)) {
          flagged = own === undefined || (!this.#groupRoutine(own) && this.#late(own) && this.#weak(own, groupHosts));
        } else {
          flagged = network === undefined || this.#late(network) || this.#weak(network, this.#population);
        }
      }
      if (flagged) return { flagged, reason: this.#techniqueReason(operation, origGroup, technique, own) };
    }
    const value = this.#valueVerdict(endpoint, operation);
    return value === null ? NOT_FLAGGED : { flagged: true, reason: value };
  }

  /** Whether `responder` is a service for `op` (lower case): many hosts ask it, no sweep target. */
  isService(op: string, responder: string): boolean {
    return this.#services.has(`${op}\u0000${responder}`);
  }

  /** Distinct responders in a day from which `operation` (lower case) from one host is a sweep. */
  fanoutThreshold(op: string): number {
    return this.#fanoutThresholds.get(op) ?? SWEEP_MIN_TARGETS;
  }

  /**
   * Whether a discovery record belongs to a sweep: its host-day was one in training, or
   * `liveTargets` (distinct responders so far that day, FanoutTracker) reaches the threshold.
   */
  sweep(operation: string, origHost: string, origGroup: string, ts: number, technique: Technique, liveTargets = 0): RoutineVerdict {
    const op = operation.toLowerCase();
    const day = Math.floor(ts / DAY);
    const trained = this.#sweeps.get(`${op}\u0000${origHost}\u0000${day}`) ?? 0;
    const threshold = this.fanoutThreshold(op);
    const routine = this.#sweepRoutine.has(`${op}\u0000${origHost}`) || this.#sweepRoutine.has(`${op}\u0000${origGroup}`);
    const targets = Math.max(trained, liveTargets >= threshold && !routine ? liveTargets : 0);
    if (targets === 0) return NOT_FLAGGED;
    return {
      flagged: true,
      reason: `${technique.id} ${technique.label}: ${operation} from ${origHost} to ${targets}${targets >= FANOUT_TARGETS_TRACKED ? '+' : ''} distinct hosts on ${isoDay(day * DAY).slice(0, 10)}, a sweep (from ${threshold} on this network; routine enumeration reaches a few)`,
    };
  }

  #techniqueReason(operation: string, origGroup: string, technique: Technique, own: ProfileEntry | undefined): string {
    const parts = [`${technique.id} ${technique.label}: ${operation} is not routine for ${origGroup}`];
    const group = this.#groups.get(origGroup);
    parts.push(own === undefined ? `(no host of its ${group?.[1] ?? 0} did it)` : `(${describe(own)} of ${group?.[1] ?? own[2]})`);
    const elsewhere = this.#routineFor.get(operation.toLowerCase())?.filter((e) => e[1] !== origGroup) ?? [];
    if (elsewhere.length === 0) parts.push('and for no other group');
    else {
      const shown = elsewhere.slice(0, 2).map((e) => `${e[2]} hosts of ${e[1]} did it on ${e[3]} days`);
      parts.push(`; routine elsewhere: ${shown.join(', ')}${elsewhere.length > 2 ? `, +${elsewhere.length - 2} groups` : ''}`);
    }
    return parts.join(' ');
  }
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

function describe(entry: ProfileEntry): string {
  const hosts = entry[2] === 1 ? '1 host' : `${entry[2]} hosts`;
  const days = entry[3] === 1 ? '1 day' : `${entry[3]} days`;
  return `${hosts} on ${days}`;
}

function isoDay(ts: number): string {
  return new Date(ts * 1000).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * Distinct responders per (discovery operation, host) on the current day, for a scorer that
 * follows a stream (the daemon, eval): a sweep after the last retrain is flagged once it crosses
 * the threshold. Bounded: past MAX_FANOUT_HOSTS pairs it starts over (misses, never false alerts).
 */
export class FanoutTracker {
  readonly #pairs = new Map<string, FanoutDay>();

  /** Counts `respHost` (null: count nothing) for (op, host) on the record's day; returns the distinct count so far. */
  count(op: string, host: string, ts: number, respHost: string | null): number {
    const day = Math.floor(ts / DAY);
    const id = `${op}\u0000${host}`;
    let current = this.#pairs.get(id);
    if (current === undefined) {
      if (this.#pairs.size >= MAX_FANOUT_HOSTS) this.#pairs.clear();
      this.#pairs.set(id, (current = { day, targets: new Set(), group: '' }));
    } else if (current.day < day) {
      current.day = day;
      current.targets = new Set();
    } else if (current.day > day) {
      return 0;
    }
    if (respHost !== null && current.targets.size < FANOUT_TARGETS_TRACKED) current.targets.add(respHost);
    return current.targets.size;
  }
}

/** Routine thresholds from the `[scoring]` section. */
export function routineOptionsFrom(scoring: {
  techniqueMinHosts: number;
  techniqueMinShare: number;
  routineMinDays: number;
  routineHabitDays: number;
  routineWarmupMs: number;
}): Partial<RoutineOptions> {
  return {
    minHosts: scoring.techniqueMinHosts,
    minShare: scoring.techniqueMinShare,
    minDays: scoring.routineMinDays,
    habitDays: scoring.routineHabitDays,
    warmupSeconds: Math.round(scoring.routineWarmupMs / 1000),
  };
}
