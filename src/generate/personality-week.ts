/**
 * A week of labelled records from a drawn network personality (personality.ts draws it): the
 * benign flows on the network's own rhythm and time zone, its habits, its rare-but-benign events
 * and the intrusion campaign. Pure and seeded: same options, same rows.
 */
import { FLOWS, type FlowSpec, type Role } from './catalog.js';
import { ATTACKS, byRole, drawPersonality, hostsOf, sample, smb, type Habit, type Personality, type PersonalityGroup, type PersonalityOptions, type RareEvent } from './personality.js';
import { Rng } from './rng.js';
import type { LabelledRecord, SessionEmitter, SessionSpec } from './session.js';
import { SessionEmitter as Emitter } from './session.js';

function groupIndex(p: Personality): Map<string, PersonalityGroup> {
  const index = new Map<string, PersonalityGroup>();
  for (const group of p.groups) for (const host of group.hosts) index.set(host, group);
  return index;
}

/** User activity of the hour starting at `ts` on this network. */
function activity(p: Personality, ts: number): number {
  const local = new Date((ts + p.tzOffsetHours * 3600) * 1000);
  const hour = local.getUTCHours();
  if (p.weekend.includes(local.getUTCDay())) return 0.05;
  const into = hour - p.workStartHour;
  if (into < 0 || into >= p.workHours) return into === -1 || into === p.workHours ? 0.3 : 0.03;
  return into === 0 ? 0.6 : 1;
}

function isWorkday(p: Personality, dayStartTs: number): boolean {
  const local = new Date((dayStartTs + 12 * 3600 + p.tzOffsetHours * 3600) * 1000);
  return !p.weekend.includes(local.getUTCDay());
}

/** A working-hours instant on day `day` (local working hours of the network). */
function workInstant(rng: Rng, p: Personality, startTs: number, day: number): number {
  const localMidnight = startTs + day * 86_400 - p.tzOffsetHours * 3600;
  return localMidnight + (p.workStartHour + rng.next() * p.workHours) * 3600;
}

class Pools {
  readonly #p: Personality;
  readonly #rng: Rng;
  readonly byRole = new Map<Role, string[]>();

  constructor(rng: Rng, p: Personality) {
    this.#p = p;
    this.#rng = rng;
    const hosts = (...roles: PersonalityGroup['role'][]): string[] => hostsOf(byRole(p, ...roles));
    this.byRole.set('workstation', hosts('workstation'));
    this.byRole.set('any-client', hosts('workstation', 'vpn'));
    this.byRole.set('dc', hosts('dc'));
    this.byRole.set('file', hosts('file'));
    this.byRole.set('print', hosts('print'));
    this.byRole.set('mgmt', hosts('mgmt', 'backup'));
    this.byRole.set('app', hosts('app'));
    this.byRole.set('admin', hosts('admin'));
    this.byRole.set('server', hosts('file', 'print', 'app', 'mgmt', 'backup'));
  }

  has(role: Role): boolean {
    return (this.byRole.get(role)?.length ?? 0) > 0;
  }

  /** Clients are skewed (a few busy, many quiet), servers uniform. */
  pick(role: Role): string {
    const items = this.byRole.get(role) ?? [];
    const skewed = role === 'workstation' || role === 'any-client';
    return items[Math.floor(items.length * (skewed ? this.#rng.next() ** 1.5 : this.#rng.next()))] as string;
  }

  /** A target of `role` other than `from`, else any server, else a DC. */
  target(role: Role, from: string): string {
    for (const r of [role, 'server', 'dc', 'workstation'] as Role[]) {
      if (!this.has(r)) continue;
      for (let tries = 0; tries < 6; tries++) {
        const host = this.pick(r);
        if (host !== from) return host;
      }
    }
    return this.#p.groups[0]?.hosts[0] ?? '10.1.0.1';
  }
}

/**
 * The labelled records of a personality week, in time order. Exactly reproducible from options.
 * Returns the personality too, for the labels and the INI.
 */
export function generatePersonalityWeek(options: PersonalityOptions): { personality: Personality; records: LabelledRecord[] } {
  const personality = drawPersonality(options);
  const p = personality;
  const rng = new Rng(options.seed * 104_729 + 7);
  const emitter: SessionEmitter = new Emitter(rng);
  const pools = new Pools(rng, p);
  const out: LabelledRecord[] = [];
  const days = Math.max(1, options.days);
  const hours = Math.max(1, Math.round(days * 24));
  const total = Math.round((p.recordsPerWeek * days) / 7);
  const flows = FLOWS.filter((f) => (p.flowWeights.get(f.name) ?? 0) > 0 && pools.has(f.from) && pools.has(f.to) && !(f.from === 'dc' && f.to === 'dc' && (pools.byRole.get('dc')?.length ?? 0) < 2));
  const picker = (kind: FlowSpec['kind']): ((r: Rng) => FlowSpec | undefined) => {
    const list = flows.filter((f) => f.kind === kind);
    const weights = list.map((f) => p.flowWeights.get(f.name) ?? 0);
    const sum = weights.reduce((a, b) => a + b, 0);
    return (r) => {
      let x = r.next() * sum;
      for (let i = 0; i < list.length; i++) if ((x -= weights[i] as number) < 0) return list[i];
      return list[list.length - 1];
    };
  };
  const pickUser = picker('user');
  const pickBackground = picker('background');
  const weights = Array.from({ length: hours }, (_, h) => activity(p, options.startTs + h * 3600));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  // Habits and events first; the benign base traffic fills the rest of the volume.
  for (let day = 0; day < Math.ceil(days); day++) {
    const dayStart = options.startTs + day * 86_400;
    const workday = isWorkday(p, dayStart);
    for (const habit of p.habits) {
      if (!pools.has(habit.to)) continue;
      for (const doer of habit.doers) {
        if (!rng.chance(workday ? habit.dayChance : habit.dayChance * 0.15)) continue;
        const sessions = Math.floor(habit.perDay * (0.5 + rng.next()) + rng.next());
        for (let s = 0; s < sessions; s++) {
          let t = workInstant(rng, p, options.startTs, day);
          const to = pools.target(habit.to, doer);
          for (const spec of habit.sessions) t = emitter.emit(out, t, doer, to, spec, null) + 0.01;
        }
      }
    }
    for (const event of p.events) writeEvent(rng, p, pools, emitter, out, event, day, options.startTs);
  }
  const budget = Math.max(0, total - out.length);
  // Each hour writes whole flows and so overshoots its quota; on a small network the budget runs out
  // days before the end of the span (a 14-day network of 1,500 records may leave its last week
  // nearly empty). With scored days at the end (eventsFromDay) each hour's quota is what is due by
  // then minus what was written, so the overshoot is paid back; without it the old pacing stays,
  // so that earlier networks and their documented figures are unchanged.
  const paced = (options.eventsFromDay ?? 0) > 0;
  let due = 0;
  let written = 0;
  for (let h = 0; h < hours && written < budget; h++) {
    const hourStart = options.startTs + h * 3600;
    const share = p.backgroundShare / hours + ((1 - p.backgroundShare) * (weights[h] as number)) / weightSum;
    due += share;
    const quota = paced ? Math.round(budget * due) - written : Math.round(budget * share);
    const before = out.length;
    while (out.length - before < quota) {
      const background = rng.chance(p.backgroundShare * 0.5 / (p.backgroundShare * 0.5 + (weights[h] as number)));
      const flow = (background ? pickBackground : pickUser)(rng) ?? pickUser(rng);
      if (flow === undefined) break;
      const from = pools.pick(flow.from);
      const to = pools.target(flow.to, from);
      let t = hourStart + rng.next() * 3590;
      for (const session of flow.sessions) t = emitter.emit(out, t, from, to, session, null) + 0.001 + rng.next() * 0.04;
    }
    written += out.length - before;
  }
  if (options.noAttacks !== true) writeCampaign(rng, p, pools, emitter, out, options.startTs, options.campaignDays);
  out.sort((a, b) => a.ts - b.ts);
  return { personality, records: out };
}

function writeEvent(rng: Rng, p: Personality, pools: Pools, emitter: SessionEmitter, out: LabelledRecord[], event: RareEvent, day: number, startTs: number): void {
  const habit = (name: string): Habit | undefined => p.habits.find((h) => h.name === name);
  switch (event.name) {
    case 'monthly-patch': {
      if (day !== event.day) return;
      const deploy = habit('service-deployment') as Habit;
      for (const target of sample(rng, pools.byRole.get('workstation') ?? [], 0.3 + rng.next() * 0.6)) {
        emitter.emit(out, workInstant(rng, p, startTs, day), rng.pick(deploy.doers), target, deploy.sessions[0] as SessionSpec, null);
      }
      return;
    }
    case 'weekly-full-backup': {
      if (day !== event.day) return;
      const backup = habit('registry-backup') as Habit;
      for (const target of [...(pools.byRole.get('server') ?? []), ...(pools.byRole.get('dc') ?? [])]) {
        const from = rng.pick(backup.doers);
        if (target !== from) emitter.emit(out, workInstant(rng, p, startTs, day) - 6 * 3600, from, target, backup.sessions[0] as SessionSpec, null);
      }
      return;
    }
    case 'new-server-role': {
      if (day < event.day) return;
      const server = (pools.byRole.get('app') ?? [])[0] as string;
      const uuid = `4d9f4ab8-7d1c-11cf-861e-0020af6e7c${String(p.seed % 100).padStart(2, '0')}`;
      const users = sample(rng, pools.byRole.get('workstation') ?? [], 0.3, 3);
      for (const user of users) {
        if (!rng.chance(0.7)) continue;
        emitter.emit(out, workInstant(rng, p, startTs, day), user, server, { endpoint: uuid, via: 'dyn', ops: 'unknown-3 unknown-4* unknown-7?' }, null);
      }
      return;
    }
    case 'admin-occasional-task': {
      const admins = pools.byRole.get('admin') ?? [];
      const admin = admins[p.seed % admins.length] as string;
      const offset = day - event.day;
      if (offset < 0 || offset > 5 || offset % 2 === 1) return;
      emitter.emit(out, workInstant(rng, p, startTs, day), admin, pools.target('server', admin), smb('ITaskSchedulerService', '\\PIPE\\atsvc', 'SchRpcRegisterTask SchRpcRun SchRpcDelete'), null);
      return;
    }
  }
}

/** Plants the campaign: each scenario from a foothold whose group does not routinely do it. */
function writeCampaign(rng: Rng, p: Personality, pools: Pools, emitter: SessionEmitter, out: LabelledRecord[], startTs: number, campaignDays?: readonly number[]): void {
  const groups = groupIndex(p);
  const routineFor = (host: string, operations: string[]): boolean => {
    const group = groups.get(host)?.name;
    return p.habits.some((h) => group !== undefined && h.groups.includes(group) && h.operations.some((op) => operations.includes(op)));
  };
  const { campaign } = p;
  if (campaign.footholds.length === 0) return;
  for (const scenario of campaign.scenarios) {
    const attack = ATTACKS[scenario];
    if (attack === undefined) continue;
    // The draws stay in their original order, so a week without campaignDays is unchanged.
    const days = campaignDays ?? [campaign.day + rng.int(campaign.days)];
    let from: string | undefined;
    let unknown: SessionSpec | undefined;
    for (const day of days) {
      const oddHours = rng.chance(0.4);
      const ts = oddHours ? startTs + day * 86_400 - p.tzOffsetHours * 3600 + rng.next() * 5 * 3600 : workInstant(rng, p, startTs, day);
      if (from === undefined) {
        // The foothold acts unless its group routinely does this; then the attacker moves to a host whose group does not.
        from = rng.pick(campaign.footholds);
        if (routineFor(from, attack.operations)) {
          const others = hostsOf(byRole(p, 'workstation', 'vpn', 'app', 'admin')).filter((h) => !routineFor(h, attack.operations));
          if (others.length === 0) break;
          from = rng.pick(others);
        }
      }
      let t = ts;
      if (scenario === 'unknown_interface') {
        const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[rng.int(16)]).join('');
        const opnum = unknown === undefined ? rng.range(3, 60) : 0;
        const to = pools.target('server', from);
        // The same interface every time: a backdoor that comes back.
        unknown ??= { endpoint: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`, via: 'dyn', ops: `unknown-${opnum} unknown-${opnum + 1}?` };
        emitter.emit(out, t, from, to, unknown, scenario);
        continue;
      }
      const sweep = scenario === 'session_enum' ? rng.range(4, 25) : scenario === 'psexec' || scenario === 'wmi_exec' ? rng.range(1, 3) : 1;
      for (let k = 0; k < sweep; k++) {
        const to = pools.target(attack.target, from);
        if (attack.target === 'dc' || scenario === 'dcsync') emitter.emit(out, t, from, to, { endpoint: 'epmapper', via: 'epm', ops: 'ept_map' }, null);
        for (const spec of attack.sessions(rng)) t = emitter.emit(out, t + 0.01, from, to, spec, scenario) + 0.01;
        t += 0.5 + rng.next() * 20;
      }
    }
  }
}
