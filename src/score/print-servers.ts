/**
 * Print servers, learned from who calls the print spooler of whom. Every Windows print client
 * asks its print server for change notifications (RpcRemoteFindFirstPrinterChangeNotification(Ex)
 * on spoolss): the server then calls the client back with each job's progress. PrinterBug (T1187)
 * is the same call made to a host that is no print server (a DC, any host running the spooler),
 * so that it authenticates back to the attacker. The caller's group cannot tell them apart (every
 * department prints); the responder can:
 * - a host that serves the spooler to `minHosts` callers other than this one over `minDays` days,
 *   or to `fleetHosts` of them, is an established print server: a change-notification call to it
 *   is printing, from any group (other reasons to flag the record still apply);
 * - to any other host the call is PrinterBug, flagged as the group test says; and where the
 *   caller's group routinely makes the call (its hosts print), it is flagged too unless some host
 *   calls that responder's spooler on `habitDays` days (a small site's print server with one or
 *   two clients): a group's routine as print clients is no routine of calling a DC's spooler.
 *
 * The cost: PrinterBug against an established print server itself (coercing the print server's
 * machine account) is missed. An intruder's own spooler calls never make a DC a print server: the
 * caller is left out, one or two footholds are below `minHosts` others, and an intruder returning
 * on two days is below `habitDays`.
 *
 * Bounded: at most PRINT_SERVERS_TRACKED responders of the spooler, CALLERS_TRACKED callers each
 * (past that the responder is saturated: more callers than any fleet bar), DAYS_PER_CALLER days a
 * caller. A responder refused for the bound is no print server, so the bound can only keep alerts.
 * The model carries the responders with `minHosts` callers or one caller on `habitDays` days (the
 * only ones that can qualify). Live, the statistics are those of the last retrain: a print server
 * that appears after it is no print server until a retrain has seen its clients, and its clients'
 * notification calls alert until then (from a group that made the call before, too).
 */

/** The spooler's interfaces as Zeek names them (MS-RPRN, and MS-PAR's async one), lower case. */
const PRINT_ENDPOINTS: ReadonlySet<string> = new Set(['spoolss', 'iremotewinspool']);
/** What a print client asks its print server for, and PrinterBug asks a victim (lower case). */
const PRINT_CLIENT_OPERATIONS: ReadonlySet<string> = new Set(['rpcremotefindfirstprinterchangenotification', 'rpcremotefindfirstprinterchangenotificationex']);

export const PRINT_SERVERS_TRACKED = 4096;
const CALLERS_TRACKED = 24;
const DAYS_PER_CALLER = 8;

/** [responder, its distinct callers (CALLERS_TRACKED + 1 when more), [caller, day numbers][]] */
export type PrintServerEntry = [responder: string, callers: number, days: [caller: string, days: number[]][]];

/** Plain-JSON form (in routine-stats.json): the same entries, every responder tracked. */
export interface PrintServerJson {
  overflowed: number;
  responders: PrintServerEntry[];
}

/** Whether `lowerEndpoint` (already lower case: the caller counts every record) is the print spooler. */
export function isPrintEndpoint(lowerEndpoint: string | null): boolean {
  return lowerEndpoint !== null && PRINT_ENDPOINTS.has(lowerEndpoint);
}

/** Whether `operation` is the change-notification call print clients make to their print server. */
export function isPrintClientCall(operation: string | null): boolean {
  return operation !== null && PRINT_CLIENT_OPERATIONS.has(operation.toLowerCase());
}

interface Served {
  callers: Map<string, number[]>;
  saturated: boolean;
}

/** Who calls the spooler of whom, on which days. */
export class PrintServerStats {
  readonly #responders = new Map<string, Served>();
  #overflowed = 0;

  /** Responders refused because the table was full. */
  get overflowed(): number {
    return this.#overflowed;
  }

  observe(respHost: string, origHost: string, day: number): void {
    let served = this.#responders.get(respHost);
    if (served === undefined) {
      if (this.#responders.size >= PRINT_SERVERS_TRACKED) {
        this.#overflowed += 1;
        return;
      }
      this.#responders.set(respHost, (served = { callers: new Map(), saturated: false }));
    }
    const days = served.callers.get(origHost);
    if (days === undefined) {
      if (served.callers.size >= CALLERS_TRACKED) served.saturated = true;
      else served.callers.set(origHost, [day]);
      return;
    }
    if (days.includes(day)) return;
    days.push(day);
    // The latest days are kept: a caller's first days age out of the window first.
    if (days.length > DAYS_PER_CALLER) days.splice(0, days.length - DAYS_PER_CALLER);
  }

  /** Forgets days before `cutoffDay`, and callers and responders left with none. */
  prune(cutoffDay: number): void {
    for (const [responder, served] of this.#responders) {
      for (const [caller, days] of served.callers) {
        const kept = days.filter((d) => d >= cutoffDay);
        if (kept.length === 0) served.callers.delete(caller);
        else served.callers.set(caller, kept);
      }
      // A saturated responder's untracked callers have no days to age: it stays saturated only
      // while its tracked callers still fill the table.
      if (served.callers.size < CALLERS_TRACKED) served.saturated = false;
      if (served.callers.size === 0) this.#responders.delete(responder);
    }
  }

  /** The responders with at least `minCallers` callers or one caller on `habitDays` days, sorted: what a model carries. */
  profile(minCallers: number, habitDays: number): PrintServerEntry[] {
    const entries: PrintServerEntry[] = [];
    for (const [responder, served] of this.#responders) {
      if (served.callers.size >= minCallers || [...served.callers.values()].some((days) => days.length >= habitDays)) entries.push(entryOf(responder, served));
    }
    return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  toJSON(): PrintServerJson {
    return { overflowed: this.#overflowed, responders: [...this.#responders].map(([responder, served]) => entryOf(responder, served)) };
  }

  static fromJSON(json: PrintServerJson): PrintServerStats {
    const stats = new PrintServerStats();
    stats.#overflowed = json.overflowed;
    for (const [responder, callers, days] of json.responders) {
      if (stats.#responders.size >= PRINT_SERVERS_TRACKED) break;
      const map = new Map(days.slice(0, CALLERS_TRACKED).map(([caller, list]): [string, number[]] => [caller, list.slice(-DAYS_PER_CALLER)]));
      stats.#responders.set(responder, { callers: map, saturated: callers > CALLERS_TRACKED });
    }
    return stats;
  }
}

function entryOf(responder: string, served: Served): PrintServerEntry {
  const days = [...served.callers].map(([caller, list]): [string, number[]] => [caller, [...list].sort((a, b) => a - b)]);
  return [responder, served.saturated ? CALLERS_TRACKED + 1 : served.callers.size, days];
}

/** The print servers of a model, indexed for scoring. */
export class PrintServers {
  readonly #responders = new Map<string, PrintServerEntry>();
  readonly #minHosts: number;
  readonly #minDays: number;
  readonly #fleetHosts: number;
  readonly #habitDays: number;

  constructor(entries: readonly PrintServerEntry[], bars: { minHosts: number; minDays: number; fleetHosts: number; habitDays: number }) {
    for (const entry of entries) this.#responders.set(entry[0], entry);
    this.#minHosts = bars.minHosts;
    this.#minDays = bars.minDays;
    this.#fleetHosts = bars.fleetHosts;
    this.#habitDays = bars.habitDays;
  }

  /** Whether some host called `responder`'s spooler on `habitDays` days (the caller included). */
  habit(responder: string): boolean {
    return this.#responders.get(responder)?.[2].some(([, days]) => days.length >= this.#habitDays) ?? false;
  }

  /**
   * Why `responder` is an established print server for a call from `caller` (null: it is not):
   * callers other than `caller`, at least `minHosts` of them over `minDays` days, or `fleetHosts`.
   */
  established(responder: string, caller: string | null): string | null {
    const entry = this.#responders.get(responder);
    if (entry === undefined) return null;
    const [, callers, perCaller] = entry;
    const days = new Set<number>();
    let others = 0;
    for (const [who, list] of perCaller) {
      if (who === caller) continue;
      others += 1;
      for (const day of list) days.add(day);
    }
    // Past the tracked callers, more hosts print to it than any fleet bar asks.
    if (callers > perCaller.length) others = Math.max(others, callers);
    if (others >= this.#fleetHosts || (others >= this.#minHosts && days.size >= this.#minDays)) {
      return `${responder} serves the spooler to ${callers > perCaller.length ? `${others}+` : others} other hosts on ${days.size === 1 ? '1 day' : `${days.size} days`}`;
    }
    return null;
  }
}
