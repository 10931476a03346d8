/**
 * The routine statistics frozen in a model (RoutineProfile, src/score/routine.ts), indexed for
 * scoring: the verdict for one record, with the reason in words an operator can act on, and the
 * discovery-sweep verdict from the fan-out part of the profile (src/score/fanout.ts).
 */
import { ANY_GROUP, type ProfileEntry, type RoutineProfile } from './routine.js';
import { FANOUT_TARGETS_TRACKED, SWEEP_MIN_TARGETS } from './fanout.js';
import { PrintServers } from './print-servers.js';
import { AdminHosts } from './admin-hosts.js';
import { barFor, ownResponders, reachesSweep, reachOf, serverCallers, Servers, type ReachOf } from './reach.js';
import type { Technique } from './techniques.js';

const DAY = 86_400;
/** The technique of DRSGetNCChanges and DRSReplicaSync (techniques.ts). */
const DCSYNC = 'T1003.006';

/** What the routine test says about one record. */
export interface RoutineVerdict {
  flagged: boolean;
  /** Why, in words an operator can act on ('' when not flagged). */
  reason: string;
  /**
   * Not flagged only because the statistics know the originator's group on too few days to call
   * a harmless documented call or a discovery operation new: what it would have said.
   */
  heldBack?: string;
  /**
   * Flagged only because this value (its key, see fleet.ts) is not established: live
   * evidence that a fleet of hosts calls them (fleetHosts) overrules it.
   */
  newValue?: string;
}

const NOT_FLAGGED: RoutineVerdict = { flagged: false, reason: '' };

/** How Zeek writes an interface it has no name for (its UUID) and an operation it cannot name. */
const UNNAMED_ENDPOINT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNNAMED_OPERATION = /^unknown-\d+$/i;

/**
 * The endpoint mapper (MS-RPCE, port 135) and its port lookup: an RPC client runtime asks it
 * which port an interface listens on before every bind to a dynamic endpoint (drsuapi, netlogon
 * over TCP, DCOM, WMI), so `ept_map` is in every real capture we have (9 of 9, corelight 828 of its
 * records). It names no operation of its own; the call it resolves is judged when it comes (a
 * DCSync's drsuapi, a backdoor's unknown interface). Walking the whole map (`ept_lookup`,
 * rpcdump's discovery) and changing it stay judged as values.
 */
const ENDPOINT_MAPPER = 'epmapper';
const PORT_LOOKUP = 'ept_map';

/** How far the routine statistics of a model reach: what `status` shows. */
export interface BaselineSummary {
  observedDays: number;
  habitDays: number;
  groups: number;
  /** Groups active on fewer than `habitDays` days: their never-seen documented calls are held back. */
  thinGroups: string[];
}

/** The baseline of a model's routine profile; null for a model without group days. */
export function baselineOf(profile: Pick<RoutineProfile, 'observedDays' | 'habitDays' | 'groupDays'> | null | undefined): BaselineSummary | null {
  if (profile === null || profile === undefined || profile.groupDays === undefined) return null;
  const thinGroups = profile.groupDays.filter(([, days]) => days < profile.habitDays).map(([group]) => group);
  return { observedDays: profile.observedDays, habitDays: profile.habitDays, groups: profile.groupDays.length, thinGroups };
}

/** A profile indexed for scoring. */
export class RoutineIndex {
  readonly profile: RoutineProfile;
  readonly #values = new Map<string, ProfileEntry>();
  readonly #techniques = new Map<string, ProfileEntry>();
  readonly #groups = new Map<string, [string, number, number]>();
  /** group → distinct days it was active; null for models written before it was recorded. */
  readonly #groupDays: Map<string, number> | null;
  /** operation → groups for which it is routine, busiest first. */
  readonly #routineFor = new Map<string, ProfileEntry[]>();
  /** operation → every group whose hosts did it (routine or not). */
  readonly #doneBy = new Map<string, ProfileEntry[]>();
  readonly #lateAfter: number;
  readonly #minDays: number;
  readonly #population: number;
  /**
   * Distinct hosts calling a value that make it a fleet change, not an intrusion's: `broadHosts`,
   * or on a network of fewer hosts a `minShare` of them (at least `minHosts`). An intrusion acts
   * from a few footholds; a new server role is called by many hosts at once.
   */
  readonly fleetHosts: number;
  /** `op\0host\0day` → responders, for the sweeps seen in training. */
  readonly #sweeps = new Map<string, number>();
  readonly #fanoutThresholds = new Map<string, number>();
  /** `op\0host` and `op\0group` for which sweeping is routine. */
  readonly #sweepRoutine = new Set<string>();
  /** `op\0responder` of services (many hosts ask them): not counted as sweep targets. */
  readonly #services = new Set<string>();
  /** Per operation of small reach, whom it reaches (reach.ts). */
  readonly #reach = new Map<string, ReachOf>();
  /** Hosts other hosts called on drsuapi or netlogon in the statistics: the directory's servers (DCs). */
  readonly #directoryServers: ReadonlySet<string>;
  /** `op\0host\0day` → [own, othersReach, othersMost], for the relative sweeps seen in training. */
  readonly #reachSweeps = new Map<string, [number, number, number]>();
  /** Hosts that serve the print spooler to many others (print-servers.ts); none in older models. */
  readonly #printServers: PrintServers;
  /** Hosts that use other hosts' administration interfaces as a habit (admin-hosts.ts); none in older models. */
  readonly #adminHosts: AdminHosts;

  constructor(profile: RoutineProfile) {
    this.profile = profile;
    for (const [op, host, day, targets] of profile.sweeps ?? []) this.#sweeps.set(`${op}\u0000${host}\u0000${day}`, targets);
    for (const [op, threshold, hosts, groups, services] of profile.fanout ?? []) {
      this.#fanoutThresholds.set(op, threshold);
      for (const who of [...hosts, ...groups]) this.#sweepRoutine.add(`${op}\u0000${who}`);
      for (const responder of services) this.#services.add(`${op}\u0000${responder}`);
    }
    this.#population = this.#networkHosts();
    this.fleetHosts = Math.max(profile.minHosts, Math.min(profile.broadHosts, Math.ceil(profile.minShare * this.#population)));
    const servers = new Servers(new Map(profile.reachServers ?? []), serverCallers(profile, this.#population));
    for (const entry of profile.reach ?? []) this.#reach.set(entry[0], reachOf(entry, servers));
    for (const [op, host, day, own, othersReach, othersMost] of profile.reachSweeps ?? []) this.#reachSweeps.set(`${op}\u0000${host}\u0000${day}`, [own, othersReach, othersMost]);
    for (const entry of profile.values) this.#values.set(`${entry[0]}`, entry);
    for (const entry of profile.techniques) this.#techniques.set(`${entry[0]}\u0000${entry[1]}`, entry);
    for (const group of profile.groups) this.#groups.set(group[0], group);
    this.#groupDays = profile.groupDays === undefined ? null : new Map(profile.groupDays);
    this.#directoryServers = new Set(profile.directoryServers ?? []);
    this.#lateAfter = profile.start === null ? Infinity : profile.start + profile.warmupSeconds;
    this.#minDays = Math.max(1, Math.min(profile.minDays, profile.observedDays));
    this.#adminHosts = new AdminHosts(profile.adminHosts ?? [], { minHosts: profile.minHosts, habitDays: profile.habitDays });
    this.#printServers = new PrintServers(profile.printServers ?? [], { minHosts: profile.minHosts, minDays: this.#minDays, fleetHosts: this.fleetHosts, habitDays: profile.habitDays });
    for (const entry of profile.techniques) {
      if (entry[1] === ANY_GROUP) continue;
      let doers = this.#doneBy.get(entry[0]);
      if (doers === undefined) this.#doneBy.set(entry[0], (doers = []));
      doers.push(entry);
      if (!this.#groupRoutine(entry)) continue;
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
    // `broadHosts` hosts on one day (a new server role going live) are evidence no intruder has.
    return (entry[6] >= p.minHosts && entry[3] >= this.#minDays) || entry[4] >= p.habitDays || entry[2] >= p.broadHosts;
  }

  /**
   * For a group: as for values, and a share of the group's hosts unless broadly done. Every host
   * of a group of two or more (two DCs replicating) is enough on any day. A group of one
   * active host (a management server or the one admin the ip_groups map names on its own) is that
   * host: its habit on `minDays` days is the group's routine. One host of a bigger group on two
   * days stays an intruder returning.
   */
  #groupRoutine(entry: ProfileEntry): boolean {
    const p = this.profile;
    if (entry[4] >= p.habitDays) return true;
    // A host's habit already there on the statistics' first day and kept up on a later day: an
    // intruder would have had to be in before the daemon started (no baseline can see that).
    if (entry[4] >= 2 && !this.#late(entry)) return true;
    const groupHosts = this.#groups.get(entry[1])?.[1] ?? entry[2];
    // Every host of a group of two or more (two DCs replicating on the one day a tiny site's
    // statistics saw it): an intruder would have to act from each of them, and on `minDays`
    // days unless the group's own baseline is thin (seen on fewer than `habitDays` days).
    if (entry[2] >= 2 && entry[2] >= groupHosts && (entry[3] >= this.#minDays || (this.#groupDays?.get(entry[1]) ?? 0) < p.habitDays)) return true;
    if (this.#mostOfSmallGroup(entry, groupHosts)) return true;
    if (entry[2] < Math.min(p.minHosts, groupHosts) || entry[3] < this.#minDays) return false;
    return entry[2] >= p.broadHosts || entry[2] >= p.minShare * groupHosts;
  }

  /**
   * Two or more hosts, at least half of a group too small for `minHosts` of them to be expected
   * (two admins of three), each doing it on `minDays` days, on `habitDays` days between them:
   * more than the evidence already accepted from one host (its habit on `habitDays` days) or
   * from every host of a 2-host group (on `minDays` days). An intruder would need footholds on
   * half the group, each returning. The other hosts' days are counted from the entry's host-days
   * (exact for two hosts, the case `minHosts` = 3 leaves).
   */
  #mostOfSmallGroup(entry: ProfileEntry, groupHosts: number): boolean {
    const p = this.profile;
    const doers = entry[2];
    if (doers < 2 || doers >= p.minHosts || 2 * doers < groupHosts || entry[3] < p.habitDays) return false;
    return entry[4] >= this.#minDays && entry[6] - entry[4] >= (doers - 1) * this.#minDays;
  }

  /**
   * Routine for at least `minHosts` groups other than `origGroup`: everyday software on this
   * network, which one more group's hosts taking up is no news (no foothold supplies other
   * groups' habits). Only a sweep (fan-out) then tells an intruder's enumeration apart.
   */
  #pervasive(op: string, origGroup: string): boolean {
    const groups = this.#routineFor.get(op);
    if (groups === undefined) return false;
    let others = 0;
    for (const entry of groups) if (entry[1] !== origGroup && ++others >= this.profile.minHosts) return true;
    return false;
  }

  /**
   * Done by hosts of at least `minHosts` groups other than `origGroup` on at least `minDays`
   * days, none of them need make it routine: everyday software used sparsely across the network
   * (a share browser, a domain picker). One or two footholds supply at most two groups' worth;
   * a further group's hosts doing it is no news. Only a sweep (fan-out, reach) then tells an
   * intruder's enumeration apart. The other groups' days are at least the network's days less
   * the caller group's own (one group cannot add more days than it has).
   */
  #sparselyCommon(op: string, origGroup: string, own: ProfileEntry, network: ProfileEntry): boolean {
    const doers = this.#doneBy.get(op);
    if (doers === undefined) return false;
    let others = 0;
    let days = network[3] - own[3];
    for (const entry of doers) {
      if (entry[1] === origGroup) continue;
      others += 1;
      if (entry[3] > days) days = entry[3];
    }
    return others >= this.profile.minHosts && days >= this.#minDays;
  }

  /**
   * Whether live evidence establishes a value the statistics do not (fleet.ts): `fleetHosts`
   * distinct hosts, or `minHosts` distinct hosts over `minDays` days, what the statistics ask of
   * a value less the one-host habit (an intruder returning supplies that alone).
   */
  fleetEstablished(hosts: number, days: number): boolean {
    return hosts >= this.fleetHosts || (hosts >= this.profile.minHosts && days >= this.profile.minDays);
  }

  /** Introduced after the warm-up (the first day, when nothing is established yet). */
  #late(entry: ProfileEntry | undefined): boolean {
    return entry === undefined || entry[5] >= this.#lateAfter;
  }

  /**
   * Late, or a one-off of the first day: a few hosts on one day, and the statistics have run more
   * than `habitDays` days since, so it had every chance to recur and did not.
   */
  #lateOrStale(entry: ProfileEntry | undefined): boolean {
    if (this.#late(entry)) return true;
    const e = entry as ProfileEntry;
    return this.profile.observedDays > this.profile.habitDays && e[3] < this.#minDays && e[2] < this.profile.minHosts;
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

  /**
   * Why the statistics are too thin to call anything `origGroup` does new (null: they are not):
   * its hosts were active on fewer than `habitDays` days, so even its daily habits can have gone
   * unseen. A site of a few hundred records a week shows most calls on one or two days.
   */
  thinBaseline(origGroup: string): string | null {
    if (this.#groupDays === null) return null;
    const days = this.#groupDays.get(origGroup) ?? 0;
    if (days >= this.profile.habitDays) return null;
    return `baseline thin: ${origGroup} active on ${days === 1 ? '1 day' : `${days} days`} of the statistics' ${this.profile.observedDays} (a habit needs ${this.profile.habitDays})`;
  }

  /**
   * null when fine, else the reason, whether the value is a documented call (Zeek names it), and
   * the key of the value that is not established (what live fleet evidence would have to cover).
   */
  #valueVerdict(endpoint: string | null, operation: string | null): { reason: string; documented: boolean; key: string } | null {
    const ep = (endpoint ?? '-').toLowerCase();
    if (ep === ENDPOINT_MAPPER && operation !== null && operation.toLowerCase() === PORT_LOOKUP) return null;
    const namedEndpoint = endpoint !== null && !UNNAMED_ENDPOINT.test(endpoint);
    const checks: [string, string, boolean][] = [
      [ep, `endpoint ${endpoint ?? '-'}`, namedEndpoint],
      [`${ep}\t${(operation ?? '-').toLowerCase()}`, `operation ${endpoint ?? '-'}::${operation ?? '-'}`, namedEndpoint && operation !== null && !UNNAMED_OPERATION.test(operation)],
    ];
    for (const [key, label, documented] of checks) {
      const entry = this.#values.get(key);
      let reason: string | null = null;
      if (entry === undefined) reason = `${label} never seen`;
      // A documented Windows call (Zeek names it) that is no technique carries no danger of its
      // own: seen before, its rarity on a small network says nothing. Techniques are judged above.
      else if (!documented && !this.#valueRoutine(entry) && entry[2] < this.fleetHosts && (this.#lateOrStale(entry) || this.#weak(entry, this.#population))) {
        reason = `${label} ${this.#late(entry) ? 'new since' : 'rare, first seen'} ${isoDay(entry[5])}: ${describe(entry)} (known needs ${this.profile.minHosts} hosts on ${this.#minDays} days, one host on ${this.profile.habitDays} or ${this.fleetHosts} hosts)`;
      }
      // The first value not established is the one live evidence has to establish: a new
      // interface that a fleet of hosts calls brings its operations with it.
      if (reason !== null) return { reason, documented, key };
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

  /**
   * The verdict for one record; `technique` from the table (undefined: not a technique operation).
   * Where the originator's group has a thin baseline (thinBaseline), a discovery operation or a
   * documented call is only "new" for want of days: held back, not flagged. A high-danger
   * operation and an undocumented interface or operation are flagged all the same, saying so.
   */
  judge(endpoint: string | null, operation: string | null, origGroup: string, technique: Technique | undefined): RoutineVerdict {
    if (technique !== undefined && technique.danger !== 'info' && operation !== null) {
      const op = operation.toLowerCase();
      const own = this.#techniques.get(`${op}\u0000${origGroup}`);
      let flagged: boolean;
      if (technique.danger === 'high') {
        flagged = own === undefined || !this.#groupRoutine(own);
      } else {
        // Discovery: everyday traffic wherever the network shows it routinely; then only a group
        // newly taking it up with a few of its hosts is flagged. Where the network does not show
        // it routinely, it is flagged once established statistics see it appear, when it comes
        // from few hosts of a big network, or when it never recurred after the first day.
        const network = this.#techniques.get(`${op}\u0000${ANY_GROUP}`);
        const groupHosts = this.#groups.get(origGroup)?.[1] ?? 0;
        if (network !== undefined && this.#valueRoutine(network)) {
          // A group never seen doing it stays flagged even where it is common elsewhere: an
          // intruder's first enumeration from a foothold's group looks exactly so (sparing it
          // lost session_enum uids on 9 development seeds trained on attack-free days).
          flagged =
            own === undefined ||
            (!this.#groupRoutine(own) && this.#late(own) && this.#weak(own, groupHosts) && !this.#pervasive(op, origGroup) && !this.#sparselyCommon(op, origGroup, own, network));
        } else {
          // The group's own evidence that vets a high-danger operation for it vets a discovery
          // one too (a lone directory-sync server's daily SAM enumeration); sweeps are judged apart.
          flagged =
            (own === undefined || !this.#groupRoutine(own)) && (network === undefined || this.#lateOrStale(network) || this.#weak(network, this.#population));
        }
      }
      if (flagged) return { flagged, reason: this.#withBaseline(this.#techniqueReason(operation, origGroup, technique, own), this.thinBaseline(origGroup)) };
    }
    const value = this.#valueVerdict(endpoint, operation);
    if (value === null) return NOT_FLAGGED;
    // Only a record that would be flagged asks about the baseline: most records stop above.
    const thin = this.thinBaseline(origGroup);
    if (thin !== null && value.documented) return { flagged: false, reason: '', heldBack: `${value.reason}; ${thin}` };
    return { flagged: true, reason: this.#withBaseline(value.reason, thin), newValue: value.key };
  }

  /** `reason`, saying so when the baseline it was judged on is thin. */
  #withBaseline(reason: string, thin: string | null): string {
    return thin === null ? reason : `${reason}; ${thin}`;
  }

  /** Whether the model carries the print-server statistic (models before it do not). */
  get knowsPrintServers(): boolean {
    return this.profile.printServers !== undefined;
  }

  /**
   * Why `responder` is an established print server for a call from `caller` (null: it is not, or
   * the model predates the statistic): a print client's change-notification call to it is printing.
   */
  printServer(responder: string, caller: string | null): string | null {
    return this.#printServers.established(responder, caller);
  }

  /** How an administration call on `day` is judged: admitted as the host's job, or still its technique, with why (admin-hosts.ts). */
  administration(origHost: string, endpoint: string, respHost: string, day: number): { admitted: boolean; reason: string } | null {
    return this.#adminHosts.judge(origHost, endpoint, respHost, day);
  }

  /** Whether some host called `responder`'s spooler on `habitDays` days: a print server of its own clients. */
  spoolerHabit(responder: string): boolean {
    return this.#printServers.habit(responder);
  }

  /**
   * Whether a replication request (T1003.006) is one directory server replicating from another:
   * both caller and responder answered drsuapi or netlogon for other hosts in the statistics.
   * DCSync is replication requested by a host that is no DC (Sigma's DCSync rules exclude DC
   * machine accounts); a workstation is not called on drsuapi nor used as a logon server,
   * whatever group the ip_groups map puts it in, and an intruder on one would need a second
   * foothold calling it so to look so. A DC that no host called on either in the statistics (a
   * site whose second DC never asks back and serves no client's logon) is not recognised, and its
   * replication stays judged by its group's routine.
   */
  replicationBetweenDirectoryServers(technique: Technique | undefined, origHost: string | null, respHost: string | null): boolean {
    return (
      technique?.id === DCSYNC &&
      origHost !== null &&
      respHost !== null &&
      origHost !== respHost &&
      this.#directoryServers.has(origHost) &&
      this.#directoryServers.has(respHost)
    );
  }

  /**
   * Why a discovery call of `operation` to `respHost` is a client asking a server what its
   * clients routinely ask it (null: it is not): the operation is routine on this network, and
   * `minHosts` distinct hosts asked `respHost` this very operation in the statistics (a service
   * for it, fanout.ts: a DC asked for the domain list, a file server asked for its shares). The
   * group test flags a group never seen doing an operation common elsewhere because an
   * intruder's first enumeration from a foothold looks so; but an intruder asking the server
   * everybody asks learns what every client learns, and no foothold supplies the other hosts'
   * questions. Enumeration beyond the usual servers stays judged by the sweep tests (fan-out,
   * reach), which do not count services as targets.
   */
  askedOfService(operation: string, respHost: string): string | null {
    const op = operation.toLowerCase();
    if (!this.#services.has(`${op}\u0000${respHost}`)) return null;
    const network = this.#techniques.get(`${op}\u0000${ANY_GROUP}`);
    if (network === undefined || !this.#valueRoutine(network)) return null;
    return `${operation} to ${respHost}, which ${this.profile.minHosts} or more hosts routinely ask it`;
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
   * `liveTargets` (distinct responders so far that day, FanoutTracker) reaches the threshold, or
   * `liveResponders` (those responders, when known) reach more of the network than its other
   * hosts do (reach.ts).
   */
  sweep(operation: string, origHost: string, origGroup: string, ts: number, technique: Technique, liveTargets = 0, liveResponders?: ReadonlySet<string>): RoutineVerdict {
    const op = operation.toLowerCase();
    const day = Math.floor(ts / DAY);
    const id = `${op}\u0000${origHost}\u0000${day}`;
    const trained = this.#sweeps.get(id) ?? 0;
    const threshold = this.fanoutThreshold(op);
    const routine = this.#sweepRoutine.has(`${op}\u0000${origHost}`) || this.#sweepRoutine.has(`${op}\u0000${origGroup}`);
    const targets = Math.max(trained, liveTargets >= threshold && !routine ? liveTargets : 0);
    if (targets > 0) {
      return {
        flagged: true,
        reason: `${technique.id} ${technique.label}: ${operation} from ${origHost} to ${targets}${targets >= FANOUT_TARGETS_TRACKED ? '+' : ''} distinct hosts on ${isoDay(day * DAY).slice(0, 10)}, a sweep (from ${threshold} on this network; routine enumeration reaches a few)`,
      };
    }
    let relative = this.#reachSweeps.get(id);
    const reach = this.#reach.get(op);
    if (relative === undefined && !routine && reach !== undefined && liveResponders !== undefined && liveResponders.size < FANOUT_TARGETS_TRACKED) {
      const own = ownResponders(reach, origHost, liveResponders);
      const bar = barFor(reach, origHost);
      if (reachesSweep(own, bar)) relative = [own, bar.othersReach, bar.othersMost];
    }
    if (relative === undefined) return NOT_FLAGGED;
    const [own, othersReach, othersMost] = relative;
    return {
      flagged: true,
      reason:
        `${technique.id} ${technique.label}: ${operation} from ${origHost} to ${own} hosts on ${isoDay(day * DAY).slice(0, 10)} that no other host asks, a sweep on this network ` +
        `(other hosts ask ${othersReach} ${othersReach === 1 ? 'host' : 'hosts'} in all; no other host reached more than ${othersMost} of its own in a day)`,
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

function describe(entry: ProfileEntry): string {
  const hosts = entry[2] === 1 ? '1 host' : `${entry[2]} hosts`;
  const days = entry[3] === 1 ? '1 day' : `${entry[3]} days`;
  return `${hosts} on ${days}`;
}

function isoDay(ts: number): string {
  return new Date(ts * 1000).toISOString().slice(0, 16).replace('T', ' ');
}
