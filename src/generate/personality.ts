/**
 * Networks with their own character. Per seed, a personality is drawn: how many groups and how
 * big (one host to thousands), which server roles exist, weekly volume (hundreds to millions of
 * records), time zone, working hours and weekend, how the benign flows are weighted, which
 * technique operations are routine for whom (habits), rare-but-benign events, and one intrusion
 * campaign whose behaviour the acting host's group does not routinely show on that network.
 * docs/generator.md describes the space; personality-week.ts turns a personality into a week of
 * records. Pure and seeded: same seed and options, same personality.
 */
import { FLOWS, type Role } from './catalog.js';
import { Rng } from './rng.js';
import type { SessionSpec } from './session.js';

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
  /**
   * First day index of the span that is scored: the campaign and the rare benign events are drawn
   * within days `eventsFromDay`.. instead of the whole span (habits and base traffic still cover
   * every day). The sweep's networks with history use it so every seed has its attack and its rare
   * events in the scored week. The RNG draws are the same in number and order, so the rest of the
   * network is the one drawn without it. It also paces the base traffic to the end of the span
   * (personality-week.ts says why), so the scored days carry their share of the volume. @default 0
   */
  eventsFromDay?: number;
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
  const eventsFrom = Math.min(Math.max(0, Math.floor(options.eventsFromDay ?? 0)), Math.max(0, Math.floor(options.days) - 1));
  personality.events = drawEvents(rng, personality, options.days - eventsFrom).map((event) => ({ ...event, day: event.day + eventsFrom }));
  personality.campaign = drawCampaign(rng, personality, options.days, eventsFrom);
  return personality;
}

export function byRole(p: Personality, ...roles: PersonalityGroup['role'][]): PersonalityGroup[] {
  return p.groups.filter((g) => roles.includes(g.role));
}

export function hostsOf(groups: readonly PersonalityGroup[]): string[] {
  return groups.flatMap((g) => g.hosts);
}

export function sample<T>(rng: Rng, items: readonly T[], share: number, atLeast = 1): T[] {
  const count = Math.min(items.length, Math.max(atLeast, Math.round(items.length * share)));
  return rng.shuffled(items).slice(0, count);
}

export const smb = (endpoint: string, pipe: string, ops: string): SessionSpec => ({ endpoint, via: 'smb', pipes: [pipe], ops });

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
export const ATTACKS: Record<string, { operations: string[]; target: Role; sessions: (rng: Rng) => SessionSpec[] }> = {
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

function drawCampaign(rng: Rng, p: Personality, days: number, fromDay: number): Personality['campaign'] {
  const whole = Math.max(1, Math.floor(days));
  const scored = whole - fromDay;
  // The two-day draw depends on the whole span only, so the draws stay the same in number.
  const length = whole >= 4 && rng.chance(0.4) && scored >= 2 ? 2 : 1;
  const day = fromDay + rng.int(Math.max(1, scored - length + 1));
  const candidates = hostsOf(byRole(p, 'workstation', 'vpn', 'admin', 'app'));
  const footholds = sample(rng, candidates, 0, rng.chance(0.3) ? 2 : 1);
  const scenarios = rng.shuffled(PERSONALITY_SCENARIOS).slice(0, rng.range(4, Math.min(10, PERSONALITY_SCENARIOS.length)));
  return { day, days: length, footholds, scenarios };
}

/** Group of a host (hosts are unique to their group). */
/** The `[ip_groups]` INI fragment of a personality. */
export function renderPersonalityIni(p: Personality): string {
  const lines = [`; IP groups of generated network personality ${p.seed}`, '[ip_groups]'];
  for (const group of p.groups) lines.push(`${group.name} = ${group.cidr}`);
  return `${lines.join('\n')}\n`;
}
