/**
 * Networks with their own character. Per seed, a personality is drawn: how many groups and how
 * big (one host to thousands), which server roles exist, weekly volume (hundreds to millions of
 * records), time zone, working hours and weekend, how the benign flows are weighted, which
 * technique operations are routine for whom (habits), rare-but-benign events, and one intrusion
 * campaign whose behaviour the acting host's group does not routinely show on that network.
 * docs/generator.md describes the space. Pure and seeded: same seed and options, same rows.
 */
import { FLOWS, type FlowSpec, type Role } from './catalog.js';
import { Rng } from './rng.js';
import type { LabelledRecord, SessionEmitter, SessionSpec } from './session.js';
import { SessionEmitter as Emitter } from './session.js';

/** One IP group of the drawn network. */
export interface PersonalityGroup {
  name: string;
  cidr: string;
  role: 'dc' | 'file' | 'print' | 'mgmt' | 'backup' | 'app' | 'admin' | 'workstation' | 'vpn';
  hosts: string[];
}

/** A routine technique behaviour: who does it, to whom, how often. */
export interface Habit {
  name: string;
  /** Groups whose hosts do it. */
  groups: string[];
  /** The hosts that do it (a share of those groups). */
  doers: string[];
  to: Role;
  sessions: SessionSpec[];
  /** Sessions per doer per active day. */
  perDay: number;
  /** Probability a doer does it on a given working day. */
  dayChance: number;
  /** Technique operations it makes routine. */
  operations: string[];
}

/** A rare benign event (documented in docs/generator.md). */
export interface RareEvent {
  name: string;
  day: number;
  description: string;
}

/** Everything drawn for one seed. */
export interface Personality {
  seed: number;
  /** Hours east of UTC. */
  tzOffsetHours: number;
  workStartHour: number;
  workHours: number;
  /** Local weekdays off (0 = Sunday). */
  weekend: number[];
  recordsPerWeek: number;
  groups: PersonalityGroup[];
  /** Relative weight of each catalogue flow on this network (0 = absent). */
  flowWeights: Map<string, number>;
  backgroundShare: number;
  habits: Habit[];
  events: RareEvent[];
  /** Attack campaign: first day index and length in days. */
  campaign: { day: number; days: number; footholds: string[]; scenarios: string[] };
  oneHost: boolean;
}

/** Options of a personality week. */
export interface PersonalityOptions {
  seed: number;
  startTs: number;
  days: number;
  /** Override the drawn weekly volume (the sweep caps it for time). */
  recordsPerWeek?: number;
  /** Most records per week when drawn. @default 3_000_000 */
  maxRecordsPerWeek?: number;
  /** No attack campaign (the clean twin of the same network). */
  noAttacks?: boolean;
  /**
   * Day indexes on which the campaign acts, each scenario from the same host every time (an
   * intruder returning), instead of its drawn day(s): the daemon's case of an attack whose
   * earlier records sit in the training window when it retrains.
   */
  campaignDays?: readonly number[];
}

const SPORADIC_TECHNIQUE_FLOWS = new Set(['software-deployment', 'inventory-wmi']);

const DEPARTMENT_NAMES = ['finance', 'hr', 'engineering', 'sales', 'marketing', 'support', 'legal', 'operations', 'research', 'logistics', 'clinic', 'lab', 'warehouse', 'design', 'branch_north', 'branch_south'];

const logUniform = (rng: Rng, min: number, max: number): number => Math.exp(Math.log(min) + rng.next() * (Math.log(max) - Math.log(min)));

/** Draws the personality of `seed`. */
export function drawPersonality(options: PersonalityOptions): Personality {
  const rng = new Rng(options.seed * 7919 + 13);
  const oneHost = rng.chance(0.12);
  const recordsPerWeek = Math.round(options.recordsPerWeek ?? (oneHost ? logUniform(rng, 200, 5000) : logUniform(rng, 300, options.maxRecordsPerWeek ?? 3_000_000)));
  const groups: PersonalityGroup[] = [];
  let subnet = 1;
  const addGroup = (name: string, role: PersonalityGroup['role'], count: number): void => {
    if (count <= 0) return;
    const second = subnet++;
    const hosts = Array.from({ length: count }, (_, i) => `10.${second}.${Math.floor((i + 10) / 250)}.${((i + 10) % 250) + 1}`);
    groups.push({ name, cidr: `10.${second}.0.0/16`, role, hosts });
  };
  if (oneHost) {
    addGroup('domain_controllers', 'dc', 1);
    addGroup('clients', 'workstation', 1);
  } else {
    const perHost = logUniform(rng, 15, 400);
    const workstations = Math.max(2, Math.min(12_000, Math.round(recordsPerWeek / perHost)));
    const departments = Math.max(1, Math.min(DEPARTMENT_NAMES.length, Math.round(logUniform(rng, 1, 14))));
    const shares = Array.from({ length: departments }, () => logUniform(rng, 1, 30));
    const total = shares.reduce((a, b) => a + b, 0);
    const scale = Math.max(1, Math.sqrt(workstations / 50));
    addGroup('domain_controllers', 'dc', Math.max(1, Math.min(8, Math.round(logUniform(rng, 1, 3 * scale)))));
    if (rng.chance(0.85)) addGroup('file_servers', 'file', Math.max(1, Math.min(12, Math.round(logUniform(rng, 1, 2 * scale)))));
    if (rng.chance(0.65)) addGroup('print_servers', 'print', Math.max(1, Math.min(6, Math.round(logUniform(rng, 1, scale)))));
    if (rng.chance(0.7)) addGroup('management_servers', 'mgmt', Math.max(1, Math.min(8, Math.round(logUniform(rng, 1, 2 * scale)))));
    if (rng.chance(0.4)) addGroup('backup', 'backup', rng.range(1, 2));
    if (rng.chance(0.8)) addGroup('servers', 'app', Math.max(1, Math.min(60, Math.round(logUniform(rng, 1, 6 * scale)))));
    if (rng.chance(0.7)) addGroup('it_admin', 'admin', Math.max(1, Math.min(30, Math.round(logUniform(rng, 1, 3 * scale)))));
    const names = rng.shuffled(DEPARTMENT_NAMES);
    for (let d = 0; d < departments; d++) {
      addGroup(names[d] as string, 'workstation', Math.max(1, Math.round((workstations * (shares[d] as number)) / total)));
    }
    if (rng.chance(0.35)) addGroup('vpn', 'vpn', Math.max(2, Math.round(workstations * logUniform(rng, 0.02, 0.3))));
  }
  const flowWeights = new Map<string, number>();
  // Technique operations are drawn as habits (regular, with their own frequency), so the two
  // catalogue flows that carry them sporadically are off here.
  for (const flow of FLOWS) flowWeights.set(flow.name, rng.chance(0.12) || SPORADIC_TECHNIQUE_FLOWS.has(flow.name) ? 0 : flow.weight * logUniform(rng, 0.3, 3));
  const personality: Personality = {
    seed: options.seed,
    tzOffsetHours: rng.range(-8, 10),
    workStartHour: rng.range(6, 10),
    workHours: rng.range(8, 11),
    weekend: rng.chance(0.8) ? [0, 6] : rng.chance(0.5) ? [5, 6] : [0],
    recordsPerWeek,
    groups,
    flowWeights,
    backgroundShare: 0.08 + rng.next() * 0.25,
    habits: [],
    events: [],
    campaign: { day: 0, days: 1, footholds: [], scenarios: [] },
    oneHost,
  };
  personality.habits = drawHabits(rng, personality);
  // Habits are part of the volume: at most about a third of it, so small networks stay small.
  const habitRecords = personality.habits.reduce((sum, h) => sum + h.doers.length * h.perDay * h.dayChance * 5 * 5, 0);
  const room = (recordsPerWeek * 0.35) / Math.max(1, habitRecords);
  if (room < 1) for (const habit of personality.habits) habit.perDay *= room;
  // A habit is regular by definition: too little volume for that, and the network has none.
  personality.habits = personality.habits.filter((h) => h.perDay * h.dayChance >= 0.5);
  personality.events = drawEvents(rng, personality, options.days);
  personality.campaign = drawCampaign(rng, personality, options.days);
  return personality;
}

function byRole(p: Personality, ...roles: PersonalityGroup['role'][]): PersonalityGroup[] {
  return p.groups.filter((g) => roles.includes(g.role));
}

function hostsOf(groups: readonly PersonalityGroup[]): string[] {
  return groups.flatMap((g) => g.hosts);
}

function sample<T>(rng: Rng, items: readonly T[], share: number, atLeast = 1): T[] {
  const count = Math.min(items.length, Math.max(atLeast, Math.round(items.length * share)));
  return rng.shuffled(items).slice(0, count);
}

const smb = (endpoint: string, pipe: string, ops: string): SessionSpec => ({ endpoint, via: 'smb', pipes: [pipe], ops });

/** The technique habits a network may have: routine for some, attack for others. */
function drawHabits(rng: Rng, p: Personality): Habit[] {
  const habits: Habit[] = [];
  const add = (name: string, chance: number, from: PersonalityGroup[], share: number, to: Role, sessions: SessionSpec[], perDay: number, dayChance: number, operations: string[]): void => {
    if (from.length === 0 || !rng.chance(chance)) return;
    const doers = sample(rng, hostsOf(from), share);
    habits.push({ name, groups: from.map((g) => g.name), doers, to, sessions, perDay, dayChance, operations });
  };
  const mgmt = byRole(p, 'mgmt');
  const admins = byRole(p, 'admin');
  const departments = byRole(p, 'workstation');
  const someDepartments = (): PersonalityGroup[] => sample(rng, departments, rng.next(), 1);
  add('service-deployment', 0.55, mgmt, 0.5 + rng.next() * 0.5, 'workstation', [smb('svcctl', '\\PIPE\\svcctl', 'OpenSCManagerW CreateServiceW StartServiceW QueryServiceStatus CloseServiceHandle')], logUniform(rng, 1, 30), 0.9, ['CreateServiceW', 'StartServiceW']);
  add('admin-wmi', 0.5, admins, 0.3 + rng.next() * 0.7, 'server', [
    { endpoint: 'IRemoteSCMActivator', via: 'epm', ops: 'RemoteCreateInstance' },
    { endpoint: 'IWbemLevel1Login', via: 'dyn', ops: 'NTLMLogin' },
    { endpoint: 'IWbemServices', via: 'dyn', ops: 'ExecQuery GetObject? ExecMethod' },
  ], logUniform(rng, 1, 8), 0.7, ['NTLMLogin', 'ExecMethod']);
  add('admin-remote-task', 0.4, admins, 0.3 + rng.next() * 0.7, 'server', [smb('ITaskSchedulerService', '\\PIPE\\atsvc', 'SchRpcRegisterTask SchRpcRun SchRpcGetLastRunInfo? SchRpcDelete')], logUniform(rng, 1, 5), 0.6, ['SchRpcRegisterTask', 'SchRpcRun']);
  add('user-enum-agent', 0.45, someDepartments(), 0.05 + rng.next() * 0.6, 'file', [smb('wkssvc', '\\PIPE\\wkssvc', 'NetrWkstaGetInfo? NetrWkstaUserEnum')], logUniform(rng, 0.3, 4), 0.8, ['NetrWkstaUserEnum']);
  add('session-enum-script', 0.35, someDepartments(), 0.05 + rng.next() * 0.5, 'file', [smb('srvsvc', '\\PIPE\\srvsvc', 'NetrSessionEnum NetrShareGetInfo?')], logUniform(rng, 0.3, 3), 0.8, ['NetrSessionEnum']);
  const backupFrom = byRole(p, 'backup').length > 0 ? byRole(p, 'backup') : mgmt.slice(0, 1);
  add('registry-backup', 0.45, backupFrom, 1, 'server', [smb('winreg', '\\PIPE\\winreg', 'OpenHKLM BaseRegOpenKey BaseRegSaveKey BaseRegSaveKey BaseRegCloseKey')], logUniform(rng, 1, 10), 0.95, ['BaseRegSaveKey']);
  add('print-notifications', byRole(p, 'print').length > 0 ? 0.6 : 0, departments, 0.2 + rng.next() * 0.7, 'print', [smb('spoolss', '\\pipe\\spoolss', 'RpcOpenPrinterEx RpcRemoteFindFirstPrinterChangeNotificationEx RpcRouterRefreshPrinterChangeNotification? RpcClosePrinter')], logUniform(rng, 0.5, 4), 0.8, ['RpcRemoteFindFirstPrinterChangeNotificationEx']);
  add('directory-sync', 0.35, mgmt.length > 0 ? mgmt : byRole(p, 'app'), 1, 'dc', [smb('samr', '\\PIPE\\samr', 'SamrConnect5 SamrOpenDomain SamrEnumerateUsersInDomain SamrQueryDisplayInformation2* SamrGetMembersInAlias? SamrCloseHandle')], logUniform(rng, 1, 6), 0.95, ['SamrEnumerateUsersInDomain', 'SamrQueryDisplayInformation2']);
  add('eventlog-collection', 0.4, mgmt, 1, 'server', [smb('eventlog', '\\PIPE\\eventlog', 'ElfrOpenELW ElfrReadELW* ElfrCloseEL')], logUniform(rng, 2, 20), 0.95, []);
  add('admin-registry-change', 0.3, admins, 0.5, 'server', [smb('winreg', '\\PIPE\\winreg', 'OpenHKLM BaseRegOpenKey BaseRegCreateKey? BaseRegSetValue BaseRegCloseKey')], logUniform(rng, 0.5, 3), 0.5, ['BaseRegSetValue']);
  if (p.oneHost) add('one-host-habit', 0.5, departments, 1, 'dc', [smb('srvsvc', '\\PIPE\\srvsvc', 'NetrServerGetInfo NetrShareEnum?')], logUniform(rng, 1, 6), 0.9, ['NetrServerGetInfo']);
  return habits;
}

/** Rare benign events: each tied to a routine that makes it explainable on that network. */
function drawEvents(rng: Rng, p: Personality, days: number): RareEvent[] {
  const events: RareEvent[] = [];
  const lastDay = Math.max(0, Math.floor(days) - 1);
  const day = (): number => rng.range(Math.min(1, lastDay), Math.max(Math.min(1, lastDay), lastDay - 2));
  if (p.habits.some((h) => h.name === 'service-deployment') && rng.chance(0.5)) {
    events.push({ name: 'monthly-patch', day: day(), description: 'the deploying management servers push a patch to most workstations in one day' });
  }
  if (p.habits.some((h) => h.name === 'registry-backup') && rng.chance(0.6)) {
    events.push({ name: 'weekly-full-backup', day: day(), description: 'the nightly registry backup saves hives of every server and DC once' });
  }
  if (byRole(p, 'app').length > 0 && !p.oneHost && rng.chance(0.5)) {
    events.push({ name: 'new-server-role', day: day(), description: 'an application server starts serving a new DCOM interface that many workstations use from then on' });
  }
  const admins = byRole(p, 'admin');
  if (admins.length > 0 && rng.chance(0.5)) {
    events.push({ name: 'admin-occasional-task', day: day(), description: 'one administrator registers a remote scheduled task on three or four days of the week' });
  }
  return events;
}

/** Attack scenarios by the technique operations they use (attack only where not routine). */
const ATTACKS: Record<string, { operations: string[]; target: Role; sessions: (rng: Rng) => SessionSpec[] }> = {
  dcsync: { operations: ['DRSGetNCChanges'], target: 'dc', sessions: () => [{ endpoint: 'drsuapi', via: 'dyn', ops: 'DRSBind DRSCrackNames DRSGetNCChanges* DRSUnbind' }] },
  psexec: { operations: ['CreateServiceW', 'StartServiceW'], target: 'server', sessions: () => [smb('svcctl', '\\PIPE\\svcctl', 'OpenSCManagerW CreateServiceW StartServiceW QueryServiceStatus? DeleteService CloseServiceHandle')] },
  remote_task: {
    operations: ['SchRpcRegisterTask', 'NetrJobAdd'],
    target: 'server',
    sessions: (rng) => [rng.chance(0.75) ? smb('ITaskSchedulerService', '\\PIPE\\atsvc', 'SchRpcRegisterTask SchRpcRun SchRpcDelete?') : smb('atsvc', '\\PIPE\\atsvc', 'NetrJobAdd NetrJobEnum?')],
  },
  wmi_exec: {
    operations: ['NTLMLogin', 'ExecMethod'],
    target: 'workstation',
    sessions: () => [{ endpoint: 'IWbemLevel1Login', via: 'dyn', ops: 'NTLMLogin' }, { endpoint: 'IWbemServices', via: 'dyn', ops: 'GetObject ExecMethod' }],
  },
  petitpotam: { operations: ['EfsRpcOpenFileRaw'], target: 'dc', sessions: () => [smb('efsrpc', '\\PIPE\\lsarpc', 'EfsRpcOpenFileRaw|EfsRpcEncryptFileSrv EfsRpcOpenFileRaw?')] },
  printerbug: { operations: ['RpcRemoteFindFirstPrinterChangeNotificationEx'], target: 'dc', sessions: () => [smb('spoolss', '\\pipe\\spoolss', 'RpcOpenPrinter RpcRemoteFindFirstPrinterChangeNotificationEx RpcClosePrinter?')] },
  printnightmare: { operations: ['RpcAddPrinterDriverEx'], target: 'dc', sessions: () => [smb('spoolss', '\\pipe\\spoolss', 'RpcEnumPrinterDrivers RpcGetPrinterDriverDirectory? RpcAddPrinterDriverEx RpcAddPrinterDriverEx?')] },
  registry_dump: { operations: ['BaseRegSaveKey'], target: 'dc', sessions: () => [smb('winreg', '\\PIPE\\winreg', 'OpenHKLM BaseRegOpenKey BaseRegSaveKey BaseRegSaveKey BaseRegSaveKey BaseRegCloseKey')] },
  eventlog_clear: { operations: ['ElfrClearELFW'], target: 'server', sessions: () => [smb('eventlog', '\\PIPE\\eventlog', 'ElfrOpenELW ElfrClearELFW ElfrCloseEL')] },
  shutdown: {
    operations: ['BaseInitiateSystemShutdownEx', 'WsdrInitiateShutdown'],
    target: 'server',
    sessions: (rng) => [rng.chance(0.5) ? smb('winreg', '\\PIPE\\winreg', 'OpenHKLM BaseInitiateSystemShutdownEx') : { endpoint: 'WindowsShutdown', via: 'dyn', ops: 'WsdrInitiateShutdown' }],
  },
  port_monitor: { operations: ['RpcAddMonitor'], target: 'server', sessions: () => [smb('spoolss', '\\pipe\\spoolss', 'RpcOpenPrinterEx RpcAddMonitor|RpcAddPrintProcessor RpcClosePrinter')] },
  seclogon: { operations: ['SeclCreateProcessWithLogonExW'], target: 'workstation', sessions: () => [smb('ISeclogon', '\\PIPE\\seclogon', 'SeclCreateProcessWithLogonExW')] },
  session_enum: { operations: ['NetrSessionEnum', 'NetrWkstaUserEnum'], target: 'workstation', sessions: () => [smb('srvsvc', '\\PIPE\\srvsvc', 'NetrSessionEnum'), smb('wkssvc', '\\PIPE\\wkssvc', 'NetrWkstaUserEnum')] },
  account_discovery: {
    operations: ['SamrEnumerateUsersInDomain', 'LsarEnumerateTrustedDomainsEx'],
    target: 'dc',
    sessions: () => [smb('samr', '\\PIPE\\samr', 'SamrConnect5 SamrOpenDomain SamrEnumerateUsersInDomain SamrEnumerateGroupsInDomain SamrGetMembersInGroup* SamrCloseHandle'), smb('lsarpc', '\\PIPE\\lsarpc', 'LsarOpenPolicy2 LsarEnumerateTrustedDomainsEx LsarClose')],
  },
  unknown_interface: { operations: [], target: 'server', sessions: () => [] },
};

/** Scenario names the personality generator plants. */
export const PERSONALITY_SCENARIOS = Object.keys(ATTACKS);

function drawCampaign(rng: Rng, p: Personality, days: number): Personality['campaign'] {
  const whole = Math.max(1, Math.floor(days));
  const length = whole >= 4 && rng.chance(0.4) ? 2 : 1;
  const day = rng.int(Math.max(1, whole - length + 1));
  const candidates = hostsOf(byRole(p, 'workstation', 'vpn', 'admin', 'app'));
  const footholds = sample(rng, candidates, 0, rng.chance(0.3) ? 2 : 1);
  const scenarios = rng.shuffled(PERSONALITY_SCENARIOS).slice(0, rng.range(4, Math.min(10, PERSONALITY_SCENARIOS.length)));
  return { day, days: length, footholds, scenarios };
}

/** Group of a host (hosts are unique to their group). */
function groupIndex(p: Personality): Map<string, PersonalityGroup> {
  const index = new Map<string, PersonalityGroup>();
  for (const group of p.groups) for (const host of group.hosts) index.set(host, group);
  return index;
}

/** The `[ip_groups]` INI fragment of a personality. */
export function renderPersonalityIni(p: Personality): string {
  const lines = [`; IP groups of generated network personality ${p.seed}`, '[ip_groups]'];
  for (const group of p.groups) lines.push(`${group.name} = ${group.cidr}`);
  return `${lines.join('\n')}\n`;
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
  let written = 0;
  for (let h = 0; h < hours && written < budget; h++) {
    const hourStart = options.startTs + h * 3600;
    const quota = Math.round(budget * (p.backgroundShare / hours + ((1 - p.backgroundShare) * (weights[h] as number)) / weightSum));
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
