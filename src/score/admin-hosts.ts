/**
 * Administration hosts, learned from who uses the administration interfaces of whom. An admin
 * workstation or a management server talks to the service manager, the task scheduler, the
 * registry or WMI of many hosts, day after day: querying services, listing tasks, reading keys.
 * Creating a service, registering a task, setting a key or running a WMI method is part of that
 * same job. The group test (routine-index.ts) cannot see it on a small network: one or two
 * admins do the dangerous call itself on one or two days of the week, exactly what an intruder
 * returning does. The host's own habit on the interface can: it called that interface on
 * `habitDays` days, to `minHosts` distinct hosts.
 *
 * The rule (evaluator.ts): a high-danger operation of an administration technique (remote
 * service, remote task or AT job, WMI execution, registry change; ADMINISTRATION_TECHNIQUES) from
 * such a host on that interface is judged as a plain call of the interface, not as the technique.
 * Credential theft (hive dumps on winreg, DCSync on drsuapi), coercion, shutdown and log clearing
 * are never part of an administration habit and stay judged by the group test: a client's daily
 * DsCrackNames on drsuapi is no licence for DRSReadNgcKey or DCSync.
 *
 * The host must also have made that administration call itself on a day other than the
 * record's (session 11): an intruder holding an admin workstation inherits its queries of service
 * states, task lists and keys, and a model retrained on every record has the intruder's own
 * CreateServiceW rows in training, so nothing else was left to flag it.
 *
 * What an intruder must supply to look so: calls from its foothold to that interface of three
 * hosts on three days, and the dangerous call itself on two days. That is nearly the habit the
 * group test already accepts from one host (the dangerous operation itself on `habitDays` days).
 * The cost: an intruder who holds a host that already creates services or registers tasks can
 * do so unflagged on the hosts it manages (it can already use what the host's group routinely
 * does).
 *
 * Bounded: at most ADMIN_PAIRS_TRACKED host × interface pairs (past that new pairs are refused:
 * a refused pair is no administration habit, so the bound can only keep alerts), each with its
 * latest DAYS_TRACKED days and RESPONDERS_TRACKED responders (with the last day each was called,
 * for ageing). The model carries only the pairs that qualify. Live, the statistics are those of
 * the last retrain.
 */
import type { Technique } from './techniques.js';

/**
 * The interfaces of the administration techniques as Zeek names them, lower case: the service
 * manager (MS-SCMR), the task scheduler and its AT-job predecessor (MS-TSCH), the remote registry
 * (MS-RRP), WMI (MS-WMI: the logon interface and the services one).
 */
const ADMIN_ENDPOINTS: ReadonlySet<string> = new Set(['svcctl', 'itaskschedulerservice', 'atsvc', 'winreg', 'iwbemlevel1login', 'iwbemservices']);

/** Techniques (techniques.ts) that are administration when an administration host does them. */
const ADMINISTRATION_TECHNIQUES: ReadonlySet<string> = new Set(['T1569.002', 'T1053.005', 'T1053.002', 'T1047', 'T1112']);

export const ADMIN_PAIRS_TRACKED = 4096;
const DAYS_TRACKED = 8;
const RESPONDERS_TRACKED = 24;

/**
 * [origHost, endpoint (lower case), distinct days, distinct responders, [responder, days][], the
 * days it made the interface's administration call itself]: a pair that qualifies. The last is
 * absent in models before it existed (no such day known).
 */
export type AdminHostEntry = [host: string, endpoint: string, days: number, responders: number, perResponder: [responder: string, days: number[]][], operated?: number[]];

/** Plain-JSON form (in routine-stats.json): every pair tracked, [host, endpoint, days, [responder, days][], operated days]. */
export interface AdminHostJson {
  overflowed: number;
  pairs: [host: string, endpoint: string, days: number[], responders: [string, number[]][], operated?: number[]][];
}

/** Whether `lowerEndpoint` (already lower case: the caller counts every record) is an administration interface. */
export function isAdminEndpoint(lowerEndpoint: string | null): boolean {
  return lowerEndpoint !== null && ADMIN_ENDPOINTS.has(lowerEndpoint);
}

/** Whether `technique` is one an administration host does as part of its job. */
export function isAdministrationTechnique(technique: Technique | undefined): boolean {
  return technique !== undefined && ADMINISTRATION_TECHNIQUES.has(technique.id);
}

/** endpoint as written → whether it is an administration interface: endpoints are few, records many. */
const adminSpelling = new Map<string, boolean>();

/**
 * isAdminEndpoint for an endpoint in any case, without lower-casing it per record (a hunt worker
 * folding records asks for each).
 */
export function isAdminEndpointWritten(endpoint: string | null): boolean {
  if (endpoint === null) return false;
  let admin = adminSpelling.get(endpoint);
  if (admin === undefined) {
    admin = ADMIN_ENDPOINTS.has(endpoint.toLowerCase());
    if (adminSpelling.size < 4096) adminSpelling.set(endpoint, admin);
  }
  return admin;
}

interface Habit {
  days: number[];
  /** The days (the latest DAYS_TRACKED) it made an administration technique's call on the interface: created a service, registered a task. */
  operated: number[];
  /** responder → the days it was called (the latest DAYS_TRACKED). */
  responders: Map<string, number[]>;
}

const pairKey = (host: string, lowerEndpoint: string): string => `${host}\t${lowerEndpoint}`;

/** Who uses the administration interfaces of how many hosts, on which days. */
export class AdminHostStats {
  readonly #pairs = new Map<string, Habit>();
  #overflowed = 0;

  /** Pairs refused because the table was full. */
  get overflowed(): number {
    return this.#overflowed;
  }

  /** `administration`: the call is an administration technique's (isAdministrationTechnique). */
  observe(origHost: string, lowerEndpoint: string, respHost: string, day: number, administration = false): void {
    const key = pairKey(origHost, lowerEndpoint);
    let habit = this.#pairs.get(key);
    if (habit === undefined) {
      if (this.#pairs.size >= ADMIN_PAIRS_TRACKED) {
        this.#overflowed += 1;
        return;
      }
      this.#pairs.set(key, (habit = { days: [], operated: [], responders: new Map() }));
    }
    addDay(habit.days, day);
    if (administration) addDay(habit.operated, day);
    const days = habit.responders.get(respHost);
    if (days !== undefined) addDay(days, day);
    else if (habit.responders.size < RESPONDERS_TRACKED) habit.responders.set(respHost, [day]);
  }

  /** Forgets days before `cutoffDay`, responders last called before it, and pairs left with no day. */
  prune(cutoffDay: number): void {
    for (const [key, habit] of this.#pairs) {
      habit.days = habit.days.filter((d) => d >= cutoffDay);
      habit.operated = habit.operated.filter((d) => d >= cutoffDay);
      for (const [responder, days] of habit.responders) {
        const kept = days.filter((d) => d >= cutoffDay);
        if (kept.length === 0) habit.responders.delete(responder);
        else habit.responders.set(responder, kept);
      }
      if (habit.days.length === 0) this.#pairs.delete(key);
    }
  }

  /** The pairs on at least `habitDays` days to at least `minHosts` responders, sorted: what a model carries. */
  profile(minHosts: number, habitDays: number): AdminHostEntry[] {
    const entries: AdminHostEntry[] = [];
    for (const [key, habit] of this.#pairs) {
      if (habit.days.length < habitDays || habit.responders.size < minHosts) continue;
      const [host, endpoint] = key.split('\t') as [string, string];
      entries.push([host, endpoint, habit.days.length, habit.responders.size, perResponder(habit), sortedDays(habit.operated)]);
    }
    return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  }

  toJSON(): AdminHostJson {
    return {
      overflowed: this.#overflowed,
      pairs: [...this.#pairs].map(([key, habit]) => {
        const [host, endpoint] = key.split('\t') as [string, string];
        return [host, endpoint, sortedDays(habit.days), perResponder(habit), sortedDays(habit.operated)];
      }),
    };
  }

  static fromJSON(json: AdminHostJson): AdminHostStats {
    const stats = new AdminHostStats();
    stats.#overflowed = json.overflowed;
    for (const [host, endpoint, days, responders, operated] of json.pairs) {
      if (stats.#pairs.size >= ADMIN_PAIRS_TRACKED) break;
      const kept = responders.slice(0, RESPONDERS_TRACKED).map(([responder, list]): [string, number[]] => [responder, list.slice(-DAYS_TRACKED)]);
      stats.#pairs.set(pairKey(host, endpoint), { days: days.slice(-DAYS_TRACKED), operated: (operated ?? []).slice(-DAYS_TRACKED), responders: new Map(kept) });
    }
    return stats;
  }
}

/** Adds `day` to `days` once, keeping the latest DAYS_TRACKED (the first ones age out of the window first). */
function addDay(days: number[], day: number): void {
  if (days.includes(day)) return;
  days.push(day);
  if (days.length > DAYS_TRACKED) days.splice(0, days.length - DAYS_TRACKED);
}

function sortedDays(days: readonly number[]): number[] {
  return [...days].sort((a, b) => a - b);
}

function perResponder(habit: Habit): [string, number[]][] {
  return [...habit.responders].map(([responder, days]): [string, number[]] => [responder, [...days].sort((a, b) => a - b)]);
}

/** The administration hosts of a model, indexed for scoring. */
export class AdminHosts {
  readonly #pairs = new Map<string, AdminHostEntry>();
  /** origHost → its pairs that qualify (every administration interface it uses as a habit). */
  readonly #byHost = new Map<string, AdminHostEntry[]>();
  readonly #minHosts: number;
  readonly #habitDays: number;

  constructor(entries: readonly AdminHostEntry[], bars: { minHosts: number; habitDays: number }) {
    this.#minHosts = bars.minHosts;
    this.#habitDays = bars.habitDays;
    for (const entry of entries) {
      this.#pairs.set(pairKey(entry[0], entry[1]), entry);
      if (!this.#qualifies(entry)) continue;
      let own = this.#byHost.get(entry[0]);
      if (own === undefined) this.#byHost.set(entry[0], (own = []));
      own.push(entry);
    }
  }

  #qualifies(entry: AdminHostEntry): boolean {
    return entry[2] >= this.#habitDays && entry[3] >= this.#minHosts;
  }

  /**
   * How an administration call from `origHost` to `respHost` through `endpoint` on `day` is
   * judged (null: `origHost` is no administration host of `respHost` there).
   *
   * It administers `respHost` when it called that interface of `minHosts` hosts on `habitDays`
   * days, and it called that interface of `respHost` on a day other than `day` (the record's), or,
   * on a day before it, another administration interface of `respHost` that it also uses as a
   * habit (an admin who has been managing a server's services and registers a task on it for the
   * first time). A new target, or one reached only on the record's own day, is no administration:
   * an intruder on an admin host moving to a host that host never manages. The other interface
   * counts only before the record: a host first reached on the task scheduler and queried on its
   * service manager days later was no managed host when the task came (the demo week's labelled
   * remote task, samples/week.log.gz, trained on itself, is that).
   *
   * The call is `admitted` only when the host also made the interface's administration call
   * itself (created a service, registered a task) on a day other than `day`. Otherwise the reason
   * says so and the call stays its technique: an intruder on an admin host gets the interface habit
   * for free (the admin's own queries of service states or keys), and when the model retrains on
   * every record its own calls are in training, so the plain-call test would admit them: `eval
   * --sweep --history-days 7` missed PsExec from it_admin footholds on 8002, 8039 and 8041 that way.
   */
  judge(origHost: string, endpoint: string, respHost: string, day: number): { admitted: boolean; reason: string } | null {
    const entry = this.#pairs.get(pairKey(origHost, endpoint.toLowerCase()));
    if (entry === undefined || !this.#qualifies(entry)) return null;
    const managed = this.#manages(entry, respHost, day);
    if (managed === null) return null;
    const practised = practisedDays(entry, day);
    if (practised === 0) return { admitted: false, reason: `${origHost} administers ${respHost} through ${endpoint} but made no such call on another day` };
    return { admitted: true, reason: `${this.#habit(entry, origHost, endpoint)}${managed}; it made such calls on ${counted(practised, 'other day')}` };
  }

  /** Why `origHost`'s administration call is admitted as its job (judge), or null. */
  administers(origHost: string, endpoint: string, respHost: string, day: number): string | null {
    const judged = this.judge(origHost, endpoint, respHost, day);
    return judged?.admitted === true ? judged.reason : null;
  }

  /** Why an administration host's call is still judged as its technique (judge), or null. */
  unpractised(origHost: string, endpoint: string, respHost: string, day: number): string | null {
    const judged = this.judge(origHost, endpoint, respHost, day);
    return judged?.admitted === false ? judged.reason : null;
  }

  #habit(entry: AdminHostEntry, origHost: string, endpoint: string): string {
    return `${origHost} called ${endpoint} of ${entry[3]}${entry[3] >= RESPONDERS_TRACKED ? '+' : ''} hosts on ${entry[2]} days`;
  }

  /** How `entry`'s host manages `respHost` (administers), as a clause, or null. */
  #manages(entry: AdminHostEntry, respHost: string, day: number): string | null {
    const before = responderDays(entry, respHost).filter((d) => d !== day).length;
    if (before > 0) return `, of ${respHost} on ${counted(before, 'other day')}`;
    for (const other of this.#byHost.get(entry[0]) ?? []) {
      if (other === entry) continue;
      const managed = responderDays(other, respHost).filter((d) => d < day).length;
      if (managed > 0) return `; it administers ${respHost} through ${other[1]} (on ${counted(managed, 'day')} before)`;
    }
    return null;
  }
}

/** The days other than `day` on which the entry's host made its interface's administration call. */
function practisedDays(entry: AdminHostEntry, day: number): number {
  let count = 0;
  for (const d of entry[5] ?? []) if (d !== day) count += 1;
  return count;
}

/** The days on which the entry's host called its interface of `respHost` (none: never). */
function responderDays(entry: AdminHostEntry, respHost: string): readonly number[] {
  return entry[4].find(([responder]) => responder === respHost)?.[1] ?? [];
}

function counted(count: number, noun: string): string {
  return count === 1 ? `1 ${noun}` : `${count} ${noun}s`;
}
