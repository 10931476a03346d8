/**
 * Discovery sweeps measured against what the network offers (the relative half of the fan-out
 * test; fanout.ts has the absolute one). On a network of a dozen hosts a sweep reaches two or
 * three workstations, far below any fixed count that routine enumeration on a large network
 * stays under. What still tells it apart is whom it reaches: hosts that no other host ever asks
 * that operation of. Per discovery operation and originating host-day, its OWN responders are the
 * non-service responders whose only caller is that host (or that nobody asked before). A host-day
 * is a sweep when its own responders number at least REACH_MIN_OWN, more than any OTHER host's
 * own responders on any day, and at least as many as all the responders the other hosts ask it of
 * together: it enumerates more of the network than the rest of the network's use of the call.
 *
 * A server is never anybody's own: a responder that, leaving the originator out, `minHosts` hosts
 * and `minShare` of the network's active hosts (or `broadHosts` hosts) call for anything, a DC or
 * a file server. Asking the domain's two DCs is no sweep, however few else do; a workstation the
 * three management servers query is still a workstation.
 * Nor is a responder its only caller asks on `habitDays` days, or on two days when that caller
 * asks the operation on `habitDays` days: that is its routine partner (a script asking its file
 * servers most mornings); a sweep's targets are asked on the sweep's day or two.
 *
 * Contamination-robust: a host's own days never raise the bar it is judged against (another host
 * must have reached that level), and its own responders are its own whether its sweep sits in
 * the statistics (every record trained on) or not (attack-free days). A level is routine when
 * another host reached it, or when the same host reached it on `habitDays` days (an inventory
 * script); the returning intruder of two days is still flagged.
 *
 * Only operations whose non-service responders number at most REACH_TRACKED get a reach entry:
 * on a network where the call reaches more hosts, a sweep large enough to matter crosses the
 * absolute threshold, and the model stays small. The test needs the responders' identities, so a
 * live pair at FANOUT_TARGETS_TRACKED responders (restored as a count) is judged by the absolute
 * test only.
 */

/** Fewest own responders in a day that can make a sweep on any network. */
export const REACH_MIN_OWN = 2;
/** Operations reaching more non-service responders than this get no reach entry. */
export const REACH_TRACKED = 64;
/** Servers (responders many hosts call) a model carries for the test; past this it is off. */
export const REACH_SERVERS_TRACKED = 4096;

/** A host-day as the fan-out statistics keep it: [op, host, day, responders, group]. */
export type HostDay = readonly [op: string, host: string, day: number, targets: readonly string[], group: string];

/**
 * [operation (lower case), its non-service responders with their only caller ('' when several
 * hosts ask it), the hosts with most own responders in one day (at most two, most first)]
 */
export type ReachEntry = [op: string, responders: [responder: string, soleCaller: string][], most: [host: string, own: number][]];

/** [operation, originating host, day number, own responders, responders other hosts ask it of, most own responders of another host in a day] */
export type ReachSweepEntry = [op: string, host: string, day: number, own: number, othersReach: number, othersMost: number];

/** [responder, its first callers of any call (up to serverCallers + 1)]: the network's servers. */
export type ServerEntry = [responder: string, callers: string[]];

/** Callers (other than the originator) that make a responder a server on a network of `networkHosts` active hosts. */
export function serverCallers(options: { minHosts: number; minShare: number; broadHosts: number }, networkHosts: number): number {
  return Math.min(options.broadHosts, Math.max(options.minHosts, Math.ceil(options.minShare * networkHosts)));
}

/** Responders many hosts call: responder → its first callers. */
export class Servers {
  readonly #callers: ReadonlyMap<string, readonly string[]>;
  readonly #minCallers: number;

  constructor(callers: ReadonlyMap<string, readonly string[]>, minCallers: number) {
    this.#callers = callers;
    this.#minCallers = minCallers;
  }

  /** Whether `minCallers` hosts other than `host` call `responder`. */
  serves(responder: string, host: string): boolean {
    const callers = this.#callers.get(responder);
    if (callers === undefined || callers.length < this.#minCallers) return false;
    let others = 0;
    for (const caller of callers) if (caller !== host) others += 1;
    return others >= this.#minCallers;
  }
}

/** What a host-day is judged against, for one operation. */
export interface ReachOf {
  /** responder → its only caller, '' when several hosts ask it. */
  soleCaller: Map<string, string>;
  /** host → responders whose only caller it is. */
  soleCount: Map<string, number>;
  most: [string, number][];
  servers: Servers;
}

export function reachOf(entry: ReachEntry, servers: Servers): ReachOf {
  const soleCaller = new Map<string, string>();
  const soleCount = new Map<string, number>();
  for (const [responder, caller] of entry[1]) {
    soleCaller.set(responder, caller);
    if (caller !== '') soleCount.set(caller, (soleCount.get(caller) ?? 0) + 1);
  }
  return { soleCaller, soleCount, most: entry[2], servers };
}

/** Responders of `host` no other host asks (unknown ones included: nobody asked them before), servers left out. */
export function ownResponders(reach: ReachOf, host: string, targets: Iterable<string>): number {
  let own = 0;
  for (const target of targets) {
    const caller = reach.soleCaller.get(target);
    if ((caller === undefined || caller === host) && !reach.servers.serves(target, host)) own += 1;
  }
  return own;
}

/** The bar for `host`: what the other hosts ask in all, and the most own responders another host reached in a day. */
export function barFor(reach: ReachOf, host: string): { othersReach: number; othersMost: number } {
  const othersReach = reach.soleCaller.size - (reach.soleCount.get(host) ?? 0);
  const othersMost = reach.most.find(([who]) => who !== host)?.[1] ?? 0;
  return { othersReach, othersMost };
}

/** Whether `own` responders of a host-day make it a sweep against that bar. */
export function reachesSweep(own: number, bar: { othersReach: number; othersMost: number }): boolean {
  return own >= REACH_MIN_OWN && own > bar.othersMost && own >= bar.othersReach;
}

/**
 * Reach entries and the sweeps among `hostDays` (every host-day of 2 responders or more).
 * `callers`: op → responder → its first callers; `services`: op → responders many hosts ask;
 * `callersOfAny`: responder → its first callers of any call; `callerDays(op, responder, caller)`:
 * on how many days its first caller asked it and asked the operation at all (each up to
 * habitDays); `exempt(op, host, group)`: sweeping is already routine for the host or its group.
 */
export function reachProfile(
  callers: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>,
  services: ReadonlyMap<string, ReadonlySet<string>>,
  callersOfAny: ReadonlyMap<string, readonly string[]>,
  callerDays: (op: string, responder: string, caller: string) => [asked: number, used: number],
  hostDays: readonly HostDay[],
  options: { minHosts: number; minShare: number; broadHosts: number; habitDays: number; networkHosts: number },
  exempt: (op: string, host: string, group: string) => boolean,
): { entries: ReachEntry[]; sweeps: ReachSweepEntry[]; habitual: [op: string, host: string][]; servers: ServerEntry[] } {
  const { habitDays } = options;
  const off = { entries: [], sweeps: [], habitual: [], servers: [] };
  const serverList: ServerEntry[] = [];
  const minCallers = serverCallers(options, options.networkHosts);
  for (const [responder, who] of callersOfAny) if (who.length >= minCallers) serverList.push([responder, who.slice(0, minCallers + 1)]);
  if (serverList.length > REACH_SERVERS_TRACKED) return off;
  serverList.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const servers = new Servers(new Map(serverList), minCallers);
  const entries: ReachEntry[] = [];
  const reaches = new Map<string, ReachOf>();
  const byOp = new Map<string, HostDay[]>();
  for (const hostDay of hostDays) {
    let list = byOp.get(hostDay[0]);
    if (list === undefined) byOp.set(hostDay[0], (list = []));
    list.push(hostDay);
  }
  for (const [op, responders] of callers) {
    const popular = services.get(op);
    const plain = [...responders].filter(([responder]) => popular?.has(responder) !== true);
    if (plain.length === 0 || plain.length > REACH_TRACKED) continue;
    const sole = (responder: string, who: readonly string[]): string => {
      const caller = who[0] as string;
      if (who.length !== 1) return '';
      const [asked, used] = callerDays(op, responder, caller);
      return asked >= habitDays || (asked >= 2 && used >= habitDays) ? '' : caller;
    };
    const list: [string, string][] = plain.map(([responder, who]) => [responder, sole(responder, who)]);
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const draft: ReachEntry = [op, list, []];
    const reach = reachOf(draft, servers);
    const best = new Map<string, number>();
    for (const [, host, , targets] of byOp.get(op) ?? []) best.set(host, Math.max(best.get(host) ?? 0, ownResponders(reach, host, targets)));
    draft[2] = [...best]
      .filter(([, own]) => own > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, 2);
    reach.most = draft[2];
    entries.push(draft);
    reaches.set(op, reach);
  }
  const qualifying: [HostDay, number, { othersReach: number; othersMost: number }][] = [];
  const daysPerHost = new Map<string, number>();
  for (const hostDay of hostDays) {
    const reach = reaches.get(hostDay[0]);
    if (reach === undefined) continue;
    const own = ownResponders(reach, hostDay[1], hostDay[3]);
    const bar = barFor(reach, hostDay[1]);
    if (!reachesSweep(own, bar)) continue;
    qualifying.push([hostDay, own, bar]);
    const id = `${hostDay[0]}\u0000${hostDay[1]}`;
    daysPerHost.set(id, (daysPerHost.get(id) ?? 0) + 1);
  }
  const habitual: [string, string][] = [];
  for (const [id, days] of daysPerHost) if (days >= habitDays) habitual.push(id.split('\u0000') as [string, string]);
  const sweeps = qualifying
    .filter(([[op, host, , , group]]) => (daysPerHost.get(`${op}\u0000${host}`) as number) < habitDays && !exempt(op, host, group))
    .map(([[op, host, day], own, bar]): ReachSweepEntry => [op, host, day, own, bar.othersReach, bar.othersMost])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  if (entries.length === 0) return off;
  return { entries, sweeps, habitual, servers: serverList };
}
