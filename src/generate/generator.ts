/**
 * The labelled dce_rpc generator (pure and seeded): a week (by default) of enterprise traffic with
 * a working-day rhythm, plus rare attack scenarios. Same options → same rows, byte for byte.
 */
import { FLOWS, type FlowSpec, type Role } from './catalog.js';
import { networkHosts, type NetworkHosts } from './network.js';
import { Rng } from './rng.js';
import { SCENARIOS, writeScenario, type AttackContext, type AttackStyle } from './scenarios.js';
import { SessionEmitter, type LabelledRecord } from './session.js';

/** Generator settings. */
export interface GenerateOptions {
  /** Exact number of rows to produce. */
  rows: number;
  seed: number;
  /** First instant, epoch seconds. @default 2024-03-04T00:00:00Z (a Monday) */
  startTs?: number;
  /** Span in days (may be fractional). @default 7 */
  days?: number;
  /** Upper bound on the share of attack rows. @default 0.004 */
  attackShare?: number;
}

/** 2024-03-04T00:00:00Z, a Monday: a fixed default keeps output reproducible. */
export const DEFAULT_START_TS = Date.UTC(2024, 2, 4) / 1000;

/** Relative user activity per UTC hour on a working day. */
const WORKDAY_PROFILE = [
  0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.12, 0.35, 0.8, 1.0, 1.0, 0.95, 0.7, 0.9, 1.0, 0.95, 0.85,
  0.6, 0.3, 0.15, 0.1, 0.07, 0.05, 0.04,
];
/** Weekend user activity relative to a working day. */
const WEEKEND_FACTOR = 0.07;
/** Share of benign rows from around-the-clock flows. */
const BACKGROUND_SHARE = 0.15;
/** Attack rounds per week: each round tries every scenario once, in a seeded order. */
const ATTACK_ROUNDS = 4;

/** Weighted picker over flows of one kind. */
function flowPicker(kind: FlowSpec['kind']): (rng: Rng) => FlowSpec {
  const flows = FLOWS.filter((f) => f.kind === kind);
  const cumulative: number[] = [];
  let total = 0;
  for (const flow of flows) cumulative.push((total += flow.weight));
  return (rng) => {
    const x = rng.next() * total;
    let i = 0;
    while ((cumulative[i] ?? total) <= x) i++;
    return flows[i] ?? (flows[flows.length - 1] as FlowSpec);
  };
}

/** Picks hosts for roles; a skew makes some clients much busier than others, as in real networks. */
class HostPicker {
  readonly #rng: Rng;
  readonly #hosts: NetworkHosts;
  readonly #workstations: string[];
  /** The hosts a server role (every role but the client ones) draws from, evenly. */
  readonly #serverPools: Readonly<Record<Exclude<Role, 'workstation' | 'any-client'>, readonly string[]>>;

  constructor(rng: Rng, hosts: NetworkHosts) {
    this.#rng = rng;
    this.#hosts = hosts;
    this.#workstations = hosts.workstations.map((w) => w.host);
    const servers = [...hosts.fileServers, ...hosts.printServers, ...hosts.appServers, ...hosts.managementServers];
    this.#serverPools = {
      dc: hosts.domainControllers, file: hosts.fileServers, print: hosts.printServers, mgmt: hosts.managementServers,
      app: hosts.appServers, admin: hosts.adminWorkstations, server: servers,
    };
  }

  #skewed(items: readonly string[]): string {
    return items[Math.floor(items.length * this.#rng.next() ** 1.6)] as string;
  }

  /** Client and server for a flow; IPv6 clients only talk to the dual-stack DCs. */
  pair(flow: FlowSpec): [string, string] {
    const rng = this.#rng;
    const hosts = this.#hosts;
    let from: string;
    let v6 = false;
    if ((flow.from === 'workstation' || flow.from === 'any-client') && flow.to === 'dc' && rng.chance(0.05)) {
      from = rng.pick(hosts.workstationsV6);
      v6 = true;
    } else if (flow.from === 'any-client' && rng.chance(0.15)) {
      from = this.#skewed(hosts.vpnClients);
    } else {
      from = this.#role(flow.from);
    }
    let to = v6 ? rng.pick(hosts.domainControllersV6) : this.#role(flow.to);
    for (let tries = 0; to === from && tries < 8; tries++) to = this.#role(flow.to);
    return [from, to];
  }

  #role(role: Role): string {
    if (role === 'workstation' || role === 'any-client') return this.#skewed(this.#workstations);
    return this.#rng.pick(this.#serverPools[role]);
  }
}

/** User activity weight of the hour starting at `ts` (UTC). */
function userActivity(ts: number): number {
  const date = new Date(ts * 1000);
  const weekday = date.getUTCDay();
  const base = WORKDAY_PROFILE[date.getUTCHours()] ?? 0;
  return weekday === 0 || weekday === 6 ? base * WEEKEND_FACTOR + 0.01 : base;
}

/** Plans attack rows for the whole span, bucketed by hour index. */
function planAttacks(
  rng: Rng,
  emitter: SessionEmitter,
  hosts: NetworkHosts,
  startTs: number,
  hours: number,
  budget: number,
): Map<number, LabelledRecord[]> {
  const buckets = new Map<number, LabelledRecord[]>();
  const weeks = Math.ceil(hours / 168);
  let remaining = budget;
  for (let week = 0; week < weeks; week++) {
    const weekHours = Math.min(168, hours - week * 168);
    let weekBudget = Math.min(remaining, Math.floor((budget * weekHours) / hours));
    for (let round = 0; round < ATTACK_ROUNDS && weekBudget > 0; round++) {
      for (const scenario of rng.shuffled(SCENARIOS)) {
        const style: AttackStyle = rng.chance(0.45) ? 'odd' : 'business';
        const hour = week * 168 + pickAttackHour(rng, style, startTs + week * 168 * 3600, weekHours);
        const ts = startTs + hour * 3600 + rng.next() * 3540;
        const ctx: AttackContext = {
          rng,
          emitter,
          hosts,
          out: [],
          maxSweepTargets: Math.floor(weekBudget / 6),
        };
        writeScenario(ctx, scenario, ts, style);
        if (ctx.out.length === 0 || ctx.out.length > weekBudget) continue;
        weekBudget -= ctx.out.length;
        remaining -= ctx.out.length;
        for (const row of ctx.out) {
          const bucket = Math.min(hours - 1, Math.max(0, Math.floor((row.ts - startTs) / 3600)));
          let list = buckets.get(bucket);
          if (list === undefined) buckets.set(bucket, (list = []));
          list.push(row);
        }
      }
    }
  }
  return buckets;
}

/** An hour offset within a week: night/early morning for `odd`, weekday 9-17 for `business`. */
function pickAttackHour(rng: Rng, style: AttackStyle, weekStartTs: number, weekHours: number): number {
  for (let tries = 0; tries < 64; tries++) {
    const hour = rng.int(weekHours);
    const date = new Date((weekStartTs + hour * 3600) * 1000);
    const h = date.getUTCHours();
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    if (style === 'odd' ? h <= 4 || h >= 22 : !weekend && h >= 9 && h <= 17) return hour;
  }
  return rng.int(weekHours);
}

/**
 * Yields exactly `options.rows` labelled rows in time order (ts ascending), hour by hour, so a
 * million rows never sit in memory at once.
 */
export function* generateDceRpc(options: GenerateOptions): Generator<LabelledRecord, void, undefined> {
  const rows = Math.max(0, Math.floor(options.rows));
  const startTs = options.startTs ?? DEFAULT_START_TS;
  const hours = Math.max(1, Math.round((options.days ?? 7) * 24));
  const rng = new Rng(options.seed);
  const hosts = networkHosts();
  const emitter = new SessionEmitter(rng);
  const picker = new HostPicker(rng, hosts);
  const pickUser = flowPicker('user');
  const pickBackground = flowPicker('background');

  const attacks = planAttacks(rng, emitter, hosts, startTs, hours, Math.floor(rows * (options.attackShare ?? 0.004)));
  let attackRows = 0;
  for (const list of attacks.values()) attackRows += list.length;
  const benign = rows - attackRows;

  const user = Array.from({ length: hours }, (_, h) => userActivity(startTs + h * 3600));
  const userTotal = user.reduce((a, b) => a + b, 0);
  const backgroundPerHour = BACKGROUND_SHARE / hours;
  let cumulative = 0;
  let emitted = 0;
  for (let h = 0; h < hours; h++) {
    const userWeight = ((1 - BACKGROUND_SHARE) * (user[h] ?? 0)) / userTotal;
    cumulative += backgroundPerHour + userWeight;
    const target = h === hours - 1 ? benign : Math.round(cumulative * benign);
    const quota = target - emitted;
    emitted = target;
    const backgroundChance = backgroundPerHour / (backgroundPerHour + userWeight);
    const hourStart = startTs + h * 3600;
    const out: LabelledRecord[] = [];
    while (out.length < quota) {
      const flow = rng.chance(backgroundChance) ? pickBackground(rng) : pickUser(rng);
      const [from, to] = picker.pair(flow);
      let t = hourStart + rng.next() * 3595;
      for (const session of flow.sessions) {
        if (out.length >= quota) break;
        t = emitter.emit(out, t, from, to, session, null, quota - out.length) + 0.001 + rng.next() * 0.04;
      }
    }
    const attackList = attacks.get(h);
    if (attackList !== undefined) out.push(...attackList);
    out.sort((a, b) => a.ts - b.ts);
    yield* out;
  }
}
