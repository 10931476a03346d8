/**
 * What is routine on this network, learned from every record the daemon (or `train`) reads, with
 * evidence an attacker cannot easily supply: distinct originating HOSTS and distinct DAYS, never
 * rows. One compromised host sweeping 30 targets leaves 60 rows but one host on one day; three
 * management servers deploying services every morning leave three hosts on seven days.
 *
 * Two kinds of "what" are tracked:
 * - values, network-wide: every endpoint and every endpoint × operation. A value is routine when
 *   at least `minHosts` host-days fall on at least `minDays` days, one host used it on `habitDays`
 *   different days (a one-host network has no other evidence), or `broadHosts` hosts used it (a
 *   new server role going live). Otherwise it is "not yet seen": one host introducing an
 *   interface yesterday does not make it known. Only undocumented values (an interface Zeek
 *   writes as a UUID, an operation as `unknown-N`) are judged so once seen: a documented Windows
 *   call that is no technique carries no danger, and its rarity on a small network says nothing.
 * - technique operations (techniques.ts) per originator group: routine for the group when at
 *   least `minHosts` of its hosts (every host of a smaller group, at least two), and `minShare`
 *   of its active hosts (or `broadHosts` hosts, whatever the share), did it on at least `minDays`
 *   days; or one of its hosts on `habitDays` days. `minDays` never asks for more days than the
 *   statistics have seen, so a 10-minute capture can still vet what 16 clients all do. `info`
 *   operations (lookups of one object) only name their technique.
 *
 * "Introduced late": anything first seen at least `warmupSeconds` after the statistics began.
 * Low-danger (discovery) operations and undocumented values are flagged only when they are both
 * not routine and introduced late, or few hosts on a single day that never recurred in the
 * `habitDays` days the statistics have run since: in a short capture, or the daemon's first day,
 * nothing is established yet and everything would be "new". High-danger operations are flagged
 * whenever they are not routine for the originator's own group: the technique table is the
 * prior, the data the only thing that can overrule it. The verdicts are RoutineIndex's
 * (routine-index.ts).
 *
 * Fan-out (fanout.ts): a discovery sweep touches many responders in a short time; routine
 * enumeration touches a few. A host-day reaching SWEEP_MIN_TARGETS and SWEEP_FACTOR times the
 * network's median (or half the hosts of a small network) is a sweep, unless the same host sweeps
 * on `habitDays` days (an inventory server) or `minHosts` hosts of its group do. On a network too
 * small for that count, reach.ts judges a host-day by whom it reaches: hosts nobody else asks.
 *
 * Memory is bounded: at most `maxEntries` (what × group) entries, each tracking at most
 * BROAD_HOSTS_TRACKED hosts with at most DAYS_PER_HOST days each, and at most `maxGroupHosts`
 * (group, host) activity entries. On overflow, entries backed by a single host on a single day
 * (the ones that prove nothing) are dropped, oldest first; if that frees too little, new entries
 * are refused and counted in `overflowed`. A refused value stays "never seen", so an overflow can
 * only add alerts, never hide one.
 */
import type { RoutineProfileDocument } from '../model/index.js';
import { FanoutStats, type FanoutEntry, type FanoutJson, type SweepEntry } from './fanout.js';
import type { ReachEntry, ReachSweepEntry, ServerEntry } from './reach.js';
import { dayCount, dayList, daysFrom, daysOf, hostKey, hostText, withDay, type Days, type HostKey } from './host-days.js';
import { isPrintEndpoint, PrintServerStats, type PrintServerEntry, type PrintServerJson } from './print-servers.js';
import { AdminHostStats, isAdminEndpoint, isAdministrationTechnique, type AdminHostEntry, type AdminHostJson } from './admin-hosts.js';
import { techniqueFor } from './techniques.js';

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
/**
 * Directory servers remembered (hosts other hosts call on drsuapi or netlogon: DCs). A site has a
 * few to a few hundred; past the bound new ones are refused, which can only keep replication flagged.
 */
export const DIRECTORY_SERVERS_TRACKED = 1024;
/**
 * The interfaces only a DC serves to other hosts: directory replication (MS-DRSR) and the
 * secure channel that workstations and member servers log on through (MS-NRPC). A DC whose peers
 * never ask it back for replication is still the logon server of the site's clients.
 */
const DIRECTORY_ENDPOINTS: ReadonlySet<string> = new Set(['drsuapi', 'netlogon']);
/** The group key of network-wide entries. */
export const ANY_GROUP = '*';

/**
 * Storage (host-days.ts): hosts as HostKey, days as Days. The first host is held inline
 * (`host`, `days`); a Map is made only when a second host comes (most entries under a flood of
 * new values have one host), and from then on it holds every host, the first one first.
 */
interface Entry {
  first: number;
  host: HostKey | null;
  days: Days;
  /** host → distinct day numbers (insertion order, at most DAYS_PER_HOST), once two hosts did it. */
  hosts: Map<HostKey, Days> | null;
  /** More hosts did it than are tracked. */
  saturated: boolean;
  lastHost: HostKey | null;
  lastDay: number;
}

/** One host on one day: what `#makeRoom` may drop. */
function isSingle(entry: Entry): boolean {
  if (entry.saturated) return false;
  if (entry.hosts === null) return entry.host !== null && dayCount(entry.days) === 1;
  return entry.hosts.size === 1 && dayCount(entry.hosts.values().next().value as Days) === 1;
}

const hostCount = (entry: Entry): number => (entry.hosts !== null ? entry.hosts.size : entry.host === null ? 0 : 1);

/** The entry's hosts and their days, first host first. */
function hostsOf(entry: Entry): [HostKey, Days][] {
  if (entry.hosts !== null) return [...entry.hosts];
  return entry.host === null ? [] : [[entry.host, entry.days]];
}

function newEntry(first: number, hosts: readonly [HostKey, Days][], saturated: boolean): Entry {
  const [only] = hosts;
  if (hosts.length === 1 && only !== undefined) return { first, host: only[0], days: only[1], hosts: null, saturated, lastHost: null, lastDay: -1 };
  return { first, host: null, days: -1, hosts: hosts.length === 0 ? null : new Map(hosts), saturated, lastHost: null, lastDay: -1 };
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
  fanout?: FanoutJson;
  /** Who calls the spooler of whom (print-servers.ts; absent before it existed). */
  printServers?: PrintServerJson;
  /** [host, last day another host called it on drsuapi or netlogon] (absent before it existed). */
  directoryServers?: [string, number][];
  /** Who uses the administration interfaces of whom (admin-hosts.ts; absent before it existed). */
  adminHosts?: AdminHostJson;
}

const valueKey = (endpoint: string | null): string => `e\t${(endpoint ?? '-').toLowerCase()}`;
const operationKey = (endpoint: string | null, operation: string | null): string =>
  `o\t${(endpoint ?? '-').toLowerCase()}\t${(operation ?? '-').toLowerCase()}`;
const techniqueKey = (operation: string): string => `t\t${operation.toLowerCase()}`;

const hostDaysJson = ([host, days]: [HostKey, Days]): [string, number[]] => [hostText(host), [...dayList(days)]];
const entryJson = ([id, e]: [string, Entry]): RoutineStatsJson['entries'][number] => {
  const [key, group] = id.split('\u0000') as [string, string];
  return [key, group, e.first, e.saturated, hostsOf(e).map(hostDaysJson)];
};
const groupJson = ([group, hosts]: [string, Map<HostKey, Days>]): RoutineStatsJson['groups'][number] => [group, [...hosts].map(hostDaysJson)];

/** Distinct-host and distinct-day statistics over a stream of records. */
export class RoutineStats {
  readonly options: RoutineOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #groups = new Map<string, Map<HostKey, Days>>();
  readonly #days = new Set<number>();
  /** Hosts other hosts called on drsuapi or netlogon → the last such day. */
  readonly #directoryServers = new Map<HostKey, number>();
  #groupHosts = 0;
  #start: number | null = null;
  #overflowed = 0;
  /** Scratch for `#makeRoom`, kept between calls. */
  #singleFirsts = new Float64Array(0);

  /** Discovery fan-out (fanout.ts). */
  #fanout: FanoutStats;
  /** Responders of the print spooler and their callers (print-servers.ts). */
  #printServers = new PrintServerStats();
  /** Hosts' use of other hosts' administration interfaces (admin-hosts.ts). */
  #adminHosts = new AdminHostStats();

  constructor(options: Partial<RoutineOptions> = {}) {
    this.options = { ...DEFAULT_ROUTINE_OPTIONS, ...options };
    this.#fanout = new FanoutStats(this.options);
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
    const host = hostKey(origHost);
    this.#touchGroup(origGroup, host, day);
    this.#touch(valueKey(endpoint), ANY_GROUP, host, day, ts);
    this.#touch(operationKey(endpoint, operation), ANY_GROUP, host, day, ts);
    const technique = techniqueFor(operation);
    if (respHost !== null) {
      this.#fanout.observeCall(origHost, respHost);
      const lowerEndpoint = endpoint === null ? null : endpoint.toLowerCase();
      if (isPrintEndpoint(lowerEndpoint)) this.#printServers.observe(respHost, origHost, day);
      if (respHost !== origHost && lowerEndpoint !== null && DIRECTORY_ENDPOINTS.has(lowerEndpoint)) this.#directoryServer(hostKey(respHost), day);
      if (respHost !== origHost && isAdminEndpoint(lowerEndpoint)) this.#adminHosts.observe(origHost, lowerEndpoint as string, respHost, day, isAdministrationTechnique(technique));
    }
    if (operation !== null) {
      if (technique === undefined) return;
      const key = techniqueKey(operation);
      this.#touch(key, origGroup, host, day, ts);
      this.#touch(key, ANY_GROUP, host, day, ts);
      if (technique.danger === 'low' && respHost !== null) this.#fanout.observe(operation.toLowerCase(), origHost, origGroup, day, respHost);
    }
  }

  #directoryServer(host: HostKey, day: number): void {
    const last = this.#directoryServers.get(host);
    if (last === undefined && this.#directoryServers.size >= DIRECTORY_SERVERS_TRACKED) return;
    if (last === undefined || last < day) this.#directoryServers.set(host, day);
  }

  #touchGroup(group: string, host: HostKey, day: number): void {
    let hosts = this.#groups.get(group);
    const days = hosts?.get(host);
    if (days === undefined) {
      // The bound is checked before a new group gets its map: a flood of distinct groups past
      // the bound must not leave an empty map behind for each.
      if (this.#groupHosts >= this.options.maxGroupHosts) return;
      if (hosts === undefined) this.#groups.set(group, (hosts = new Map<HostKey, Days>()));
      hosts.set(host, day);
      this.#groupHosts += 1;
      return;
    }
    const added = withDay(days, day, DAYS_PER_HOST);
    if (added !== days) hosts?.set(host, added);
  }

  #touch(key: string, group: string, host: HostKey, day: number, ts: number): void {
    const id = `${key}\u0000${group}`;
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      if (this.#entries.size >= this.options.maxEntries && !this.#makeRoom()) {
        this.#overflowed += 1;
        return;
      }
      entry = { first: ts, host, days: day, hosts: null, saturated: false, lastHost: host, lastDay: day };
      this.#entries.set(id, entry);
      return;
    } else if (entry.lastHost === host && entry.lastDay === day) {
      if (ts < entry.first) entry.first = ts;
      return;
    }
    if (ts < entry.first) entry.first = ts;
    entry.lastHost = host;
    entry.lastDay = day;
    if (entry.hosts === null && entry.host === host) {
      entry.days = withDay(entry.days, day, DAYS_PER_HOST);
      return;
    }
    if (entry.hosts === null) {
      if (entry.host === null) {
        entry.host = host;
        entry.days = day;
        return;
      }
      entry.hosts = new Map([[entry.host, entry.days]]);
      entry.host = null;
      entry.days = -1;
    }
    const days = entry.hosts.get(host);
    if (days === undefined) {
      if (entry.hosts.size >= BROAD_HOSTS_TRACKED) {
        entry.saturated = true;
        return;
      }
      entry.hosts.set(host, day);
      return;
    }
    const added = withDay(days, day, DAYS_PER_HOST);
    if (added !== days) entry.hosts.set(host, added);
  }

  /**
   * Drops single-host-single-day entries, oldest first (ties in table order), until 10 % of the
   * table is free. A flood runs it every few thousand records, so it makes no object per entry:
   * the singles' first times, sorted in a typed array, give the cut-off time for a second pass.
   */
  #makeRoom(): boolean {
    const excess = this.#entries.size - Math.floor(this.options.maxEntries * 0.9);
    if (excess <= 0) return this.#entries.size < this.options.maxEntries;
    let firsts = this.#singleFirsts;
    if (firsts.length < this.#entries.size) firsts = this.#singleFirsts = new Float64Array(this.#entries.size);
    let singles = 0;
    for (const entry of this.#entries.values()) if (isSingle(entry)) firsts[singles++] = entry.first;
    if (singles > 0) {
      const sorted = firsts.subarray(0, singles).sort();
      const drop = Math.min(excess, singles);
      const cutoff = sorted[drop - 1] as number;
      // Entries first seen before the cut-off all go; of those at it, the earliest in the table.
      let atCutoff = drop - sorted.indexOf(cutoff);
      for (const [id, entry] of this.#entries) {
        if (!isSingle(entry) || !(entry.first <= cutoff)) continue;
        if (entry.first === cutoff) {
          if (atCutoff === 0) continue;
          atCutoff -= 1;
        }
        this.#entries.delete(id);
      }
    }
    return this.#entries.size < this.options.maxEntries;
  }

  /** Forgets days before `cutoffTs` (the window's age limit), and entries left with none. */
  prune(cutoffTs: number): void {
    const cutoff = Math.floor(cutoffTs / DAY);
    for (const [id, entry] of this.#entries) {
      let earliest = Infinity;
      if (entry.hosts === null) {
        const kept = entry.host === null ? null : daysFrom(entry.days, cutoff);
        if (kept === null) entry.host = null;
        else {
          entry.days = kept;
          earliest = Math.min(...dayList(kept));
        }
      } else {
        for (const [host, days] of entry.hosts) {
          const kept = daysFrom(days, cutoff);
          if (kept === null) entry.hosts.delete(host);
          else {
            entry.hosts.set(host, kept);
            earliest = Math.min(earliest, ...dayList(kept));
          }
        }
      }
      if (hostCount(entry) === 0) this.#entries.delete(id);
      else if (entry.first < earliest * DAY) {
        entry.first = earliest * DAY;
        entry.lastDay = -1;
      }
    }
    for (const [group, hosts] of this.#groups) {
      for (const [host, days] of hosts) {
        const kept = daysFrom(days, cutoff);
        if (kept === null) {
          hosts.delete(host);
          this.#groupHosts -= 1;
        } else hosts.set(host, kept);
      }
      if (hosts.size === 0) this.#groups.delete(group);
    }
    for (const day of this.#days) if (day < cutoff) this.#days.delete(day);
    for (const [host, last] of this.#directoryServers) if (last < cutoff) this.#directoryServers.delete(host);
    this.#fanout.prune(cutoff);
    this.#printServers.prune(cutoff);
    this.#adminHosts.prune(cutoff);
    if (this.#start !== null && this.#start < cutoff * DAY) this.#start = this.#days.size === 0 ? null : cutoff * DAY;
  }

  #evidence(id: string): Evidence | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    const days = new Set<number>();
    let habitDays = 0;
    let hostDays = 0;
    for (const [, stored] of hostsOf(entry)) {
      const perHost = dayList(stored);
      for (const d of perHost) days.add(d);
      if (perHost.length > habitDays) habitDays = perHost.length;
      hostDays += perHost.length;
    }
    const hosts = hostCount(entry);
    return { hosts: entry.saturated ? Math.max(hosts, this.options.broadHosts) : hosts, days: days.size, habitDays, hostDays, first: entry.first };
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
        for (const days of hosts.values()) habit = Math.max(habit, dayCount(days));
        return [group, hosts.size, habit];
      })
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const groupDays = groups.map(([group]): [string, number] => {
      const active = new Set<number>();
      for (const days of (this.#groups.get(group) as Map<HostKey, Days>).values()) for (const day of dayList(days)) active.add(day);
      return [group, active.size];
    });
    const { maxEntries: _e, maxGroupHosts: _g, ...thresholds } = this.options;
    const fanout = this.#fanout.profile(this.#groupHosts);
    return {
      ...thresholds,
      start: this.#start === null ? null : Math.floor(this.#start),
      observedDays: this.#days.size,
      values: values.sort(byKey),
      techniques: techniques.sort(byKey),
      groups,
      groupDays,
      fanout: fanout.thresholds,
      sweeps: fanout.sweeps,
      reach: fanout.reach,
      reachSweeps: fanout.reachSweeps,
      reachServers: fanout.reachServers,
      printServers: this.#printServers.profile(this.options.minHosts, this.options.habitDays),
      directoryServers: [...this.#directoryServers.keys()].map(hostText).sort(),
      adminHosts: this.#adminHosts.profile(this.options.minHosts, this.options.habitDays),
    };
  }

  toJSON(): RoutineStatsJson {
    return {
      ...this.#header(),
      entries: [...this.#entries].map(entryJson),
      groups: [...this.#groups].map(groupJson),
      fanout: this.#fanout.toJSON(),
      printServers: this.#printServers.toJSON(),
      directoryServers: this.#directoryServersJson(),
      adminHosts: this.#adminHosts.toJSON(),
    };
  }

  #directoryServersJson(): [string, number][] {
    return [...this.#directoryServers].map(([host, day]): [string, number] => [hostText(host), day]);
  }

  /** The document's members before its tables (shared by toJSON and jsonPieces). */
  #header(): Omit<RoutineStatsJson, 'entries' | 'groups' | 'fanout'> {
    return { format: 'zeek-anomalyd/routine-stats', version: 1, start: this.#start, days: [...this.#days].sort((a, b) => a - b), overflowed: this.#overflowed };
  }

  /**
   * `JSON.stringify(this.toJSON())` in pieces, one entry or group at a time, so a save need not
   * build the whole document tree and one string of it (9 MB after a flood). Consume it without
   * an await in between: the pieces read the live maps.
   */
  *jsonPieces(): Generator<string> {
    yield `${JSON.stringify(this.#header()).slice(0, -1)},"entries":[`;
    let comma = '';
    for (const item of this.#entries) {
      yield comma + JSON.stringify(entryJson(item));
      comma = ',';
    }
    yield '],"groups":[';
    comma = '';
    for (const item of this.#groups) {
      yield comma + JSON.stringify(groupJson(item));
      comma = ',';
    }
    yield `],"fanout":${JSON.stringify(this.#fanout.toJSON())},"printServers":${JSON.stringify(this.#printServers.toJSON())},"directoryServers":${JSON.stringify(this.#directoryServersJson())},"adminHosts":${JSON.stringify(this.#adminHosts.toJSON())}}`;
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
      stats.#entries.set(`${key}\u0000${group}`, newEntry(first, hosts.map(([host, days]): [HostKey, Days] => [hostKey(host), daysOf(days)]), saturated));
    }
    for (const [group, hosts] of doc.groups) {
      stats.#groups.set(group, new Map(hosts.map(([host, days]): [HostKey, Days] => [hostKey(host), daysOf(days)])));
      stats.#groupHosts += hosts.length;
    }
    if (doc.fanout !== undefined) stats.#fanout = FanoutStats.fromJSON(doc.fanout, stats.options);
    if (doc.printServers !== undefined) stats.#printServers = PrintServerStats.fromJSON(doc.printServers);
    for (const [host, day] of doc.directoryServers ?? []) stats.#directoryServer(hostKey(host), day);
    if (doc.adminHosts !== undefined) stats.#adminHosts = AdminHostStats.fromJSON(doc.adminHosts);
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
  /** [group, distinct days any host of it originated anything] (absent in older models). */
  groupDays?: [group: string, days: number][];
  /** Per discovery operation, the distinct responders in a day from which a host-day is a sweep (absent in older models). */
  fanout?: FanoutEntry[];
  /** Sweeps seen in training (absent in older models). */
  sweeps?: SweepEntry[];
  /** Per discovery operation of small reach, whom it reaches (reach.ts; absent in older models). */
  reach?: ReachEntry[];
  /** Sweeps seen in training by the relative test (reach.ts; absent in older models). */
  reachSweeps?: ReachSweepEntry[];
  /** Responders many hosts call, with their first callers, for the relative test (absent in older models). */
  reachServers?: ServerEntry[];
  /** Responders of the print spooler with `minHosts` callers or more, and their callers' days (print-servers.ts; absent in older models). */
  printServers?: PrintServerEntry[];
  /** Hosts other hosts called on drsuapi or netlogon: the directory's servers (absent in older models). */
  directoryServers?: string[];
  /** Hosts that called an administration interface of `minHosts` hosts on `habitDays` days (admin-hosts.ts; absent in older models). */
  adminHosts?: AdminHostEntry[];
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
