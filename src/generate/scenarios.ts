/**
 * Labelled attack scenarios. Each writes the sessions an attacker's tooling would leave in
 * dce_rpc.log, from a host chosen to look either suspicious (odd hours: any workstation, a VPN
 * client, a rogue device) or legitimate (business hours: an admin workstation or an ordinary one).
 */
import type { NetworkHosts } from './network.js';
import type { Rng } from './rng.js';
import type { LabelledRecord, SessionEmitter, SessionSpec } from './session.js';

/** Every scenario the generator can inject (also the label written to the labels file). */
export const SCENARIOS = [
  'dcsync',
  'psexec',
  'remote_task',
  'wmi_exec',
  'petitpotam',
  'printerbug',
  'registry_dump',
  'session_enum',
  'unknown_interface',
] as const;

/** One attack scenario name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** `odd`: night or early morning; `business`: weekday working hours from legit-looking hosts. */
export type AttackStyle = 'odd' | 'business';

/** What a scenario needs to write its rows. */
export interface AttackContext {
  rng: Rng;
  emitter: SessionEmitter;
  hosts: NetworkHosts;
  out: LabelledRecord[];
  /** Most targets a sweep may touch (keeps sweeps inside the attack budget). */
  maxSweepTargets: number;
}

type Scenario = (ctx: AttackContext, ts: number, style: AttackStyle) => void;

const smb = (endpoint: string, pipe: string, ops: string): SessionSpec => ({
  endpoint,
  via: 'smb',
  pipes: [pipe],
  ops,
});

function attacker(ctx: AttackContext, style: AttackStyle, allowRogue: boolean): string {
  const { rng, hosts } = ctx;
  if (style === 'business') {
    return rng.chance(0.5) ? rng.pick(hosts.adminWorkstations) : rng.pick(hosts.workstations).host;
  }
  const roll = rng.next();
  if (allowRogue && roll < 0.3) return rng.pick(hosts.rogue);
  if (roll < 0.55) return rng.pick(hosts.vpnClients);
  return rng.pick(hosts.workstations).host;
}

const anyServer = (ctx: AttackContext): string =>
  ctx.rng.pick([...ctx.hosts.fileServers, ...ctx.hosts.appServers, ...ctx.hosts.managementServers]);

/** Writes a chain of sessions one after another; returns the end time. */
function chain(ctx: AttackContext, ts: number, from: string, to: string, specs: SessionSpec[], label: ScenarioName): number {
  let t = ts;
  for (const spec of specs) {
    t = ctx.emitter.emit(ctx.out, t, from, to, spec, spec.precursor === true ? null : label) + 0.002 + ctx.rng.next() * 0.05;
  }
  return t;
}

const SCENARIO_WRITERS: Record<ScenarioName, Scenario> = {
  // Replication requests from a host that is not a DC (T1003.006).
  dcsync: (ctx, ts, style) => {
    chain(ctx, ts, attacker(ctx, style, false), ctx.rng.pick(ctx.hosts.domainControllers), [
      { endpoint: 'epmapper', via: 'epm', ops: 'ept_map', precursor: true },
      { endpoint: 'drsuapi', via: 'dyn', ops: 'DRSBind DRSCrackNames DRSGetNCChanges* DRSUnbind' },
    ], 'dcsync');
  },
  // PsExec-style remote service creation (T1569.002).
  psexec: (ctx, ts, style) => {
    const target = ctx.rng.chance(0.5) ? ctx.rng.pick(ctx.hosts.workstations).host : anyServer(ctx);
    chain(ctx, ts, attacker(ctx, style, false), target, [
      smb('svcctl', '\\PIPE\\svcctl', 'OpenSCManagerW CreateServiceW StartServiceW QueryServiceStatus? DeleteService CloseServiceHandle'),
    ], 'psexec');
  },
  // Remote scheduled task (T1053.005), modern or legacy AT interface.
  remote_task: (ctx, ts, style) => {
    const spec = ctx.rng.chance(0.7)
      ? smb('ITaskSchedulerService', '\\PIPE\\atsvc', 'SchRpcRegisterTask SchRpcRun SchRpcGetLastRunInfo? SchRpcDelete')
      : smb('atsvc', '\\PIPE\\atsvc', 'NetrJobAdd NetrJobEnum?');
    chain(ctx, ts, attacker(ctx, style, false), anyServer(ctx), [spec], 'remote_task');
  },
  // WMI process creation over DCOM (T1047).
  wmi_exec: (ctx, ts, style) => {
    const target = ctx.rng.chance(0.5) ? ctx.rng.pick(ctx.hosts.workstations).host : anyServer(ctx);
    chain(ctx, ts, attacker(ctx, style, false), target, [
      { endpoint: 'IRemoteSCMActivator', via: 'epm', ops: 'RemoteCreateInstance' },
      { endpoint: 'IWbemLevel1Login', via: 'dyn', ops: 'NTLMLogin' },
      { endpoint: 'IWbemServices', via: 'dyn', ops: 'GetObject ExecMethod' },
    ], 'wmi_exec');
  },
  // PetitPotam authentication coercion of a DC.
  petitpotam: (ctx, ts, style) => {
    const pipe = ctx.rng.chance(0.7) ? '\\PIPE\\lsarpc' : '\\PIPE\\efsrpc';
    chain(ctx, ts, attacker(ctx, style, true), ctx.rng.pick(ctx.hosts.domainControllers), [
      smb('efsrpc', pipe, 'EfsRpcOpenFileRaw|EfsRpcEncryptFileSrv EfsRpcOpenFileRaw?'),
    ], 'petitpotam');
  },
  // PrinterBug coercion through the print spooler of a DC.
  printerbug: (ctx, ts, style) => {
    chain(ctx, ts, attacker(ctx, style, true), ctx.rng.pick(ctx.hosts.domainControllers), [
      smb('spoolss', '\\pipe\\spoolss', 'RpcOpenPrinter RpcRemoteFindFirstPrinterChangeNotificationEx RpcClosePrinter?'),
    ], 'printerbug');
  },
  // Remote registry hive dump (SAM/SYSTEM/SECURITY) (T1003.002).
  registry_dump: (ctx, ts, style) => {
    const target = ctx.rng.chance(0.5) ? ctx.rng.pick(ctx.hosts.domainControllers) : anyServer(ctx);
    chain(ctx, ts, attacker(ctx, style, false), target, [
      smb('winreg', '\\PIPE\\winreg', 'OpenHKLM BaseRegOpenKey BaseRegSaveKey BaseRegSaveKey BaseRegSaveKey BaseRegCloseKey'),
    ], 'registry_dump');
  },
  // Session/user enumeration sweep from one host to many (T1033/T1049).
  session_enum: (ctx, ts, style) => {
    const { rng, hosts } = ctx;
    const from = attacker(ctx, style, false);
    const count = Math.max(3, Math.min(ctx.maxSweepTargets, rng.range(8, 30)));
    const pool = [...hosts.workstations.map((w) => w.host), ...hosts.fileServers, ...hosts.appServers];
    let t = ts;
    for (const target of rng.shuffled(pool).slice(0, count)) {
      t = chain(ctx, t, from, target, [
        smb('srvsvc', '\\PIPE\\srvsvc', 'NetrSessionEnum'),
        smb('wkssvc', '\\PIPE\\wkssvc', 'NetrWkstaUserEnum'),
      ], 'session_enum');
      t += 0.2 + rng.next() * 2;
    }
  },
  // An interface nobody else uses, from a host in an unmapped subnet.
  unknown_interface: (ctx, ts) => {
    const { rng } = ctx;
    const hex = (n: number): string =>
      Array.from({ length: n }, () => '0123456789abcdef'[rng.int(16)]).join('');
    const uuid = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    const opnum = rng.range(3, 60);
    chain(ctx, ts, rng.pick(ctx.hosts.rogue), rng.chance(0.5) ? anyServer(ctx) : rng.pick(ctx.hosts.domainControllers), [
      { endpoint: uuid, via: 'dyn', ops: `unknown-${opnum} unknown-${opnum + 1}?` },
    ], 'unknown_interface');
  },
};

/** Writes one instance of `scenario` starting at `ts` into `ctx.out`. */
export function writeScenario(ctx: AttackContext, scenario: ScenarioName, ts: number, style: AttackStyle): void {
  SCENARIO_WRITERS[scenario](ctx, ts, style);
}
