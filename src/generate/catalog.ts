/**
 * Benign traffic of the simulated enterprise: which flows exist, who talks to whom, and how often.
 * `user` flows follow the working day; `background` flows (replication, inventory, monitoring,
 * service logons) run around the clock and make up the night.
 */
import type { SessionSpec } from './session.js';

/** Host roles a flow draws its client or server from. */
export type Role =
  | 'workstation'
  | 'dc'
  | 'file'
  | 'print'
  | 'mgmt'
  | 'app'
  | 'admin'
  | 'server'
  | 'any-client';

/** A benign flow: a client role, a server role, and the sessions between them, in order. */
export interface FlowSpec {
  name: string;
  kind: 'user' | 'background';
  /** Relative frequency among flows of the same kind. */
  weight: number;
  from: Role;
  to: Role;
  sessions: readonly SessionSpec[];
}

const LSASS = ['\\pipe\\lsass', '\\pipe\\lsass', '\\pipe\\lsass', '\\PIPE\\lsarpc'];
const EPT_MAP: SessionSpec = { endpoint: 'epmapper', via: 'epm', ops: 'ept_map' };

/** Every benign flow. */
export const FLOWS: readonly FlowSpec[] = [
  // ---- users, during the working day ----
  {
    name: 'netlogon-secure-channel',
    kind: 'user',
    weight: 10,
    from: 'workstation',
    to: 'dc',
    sessions: [
      EPT_MAP,
      {
        endpoint: 'netlogon',
        via: 'dyn',
        ops: 'NetrServerReqChallenge NetrServerAuthenticate3 NetrLogonGetDomainInfo? NetrLogonSamLogonEx*',
      },
    ],
  },
  {
    name: 'lsa-lookup',
    kind: 'user',
    weight: 14,
    from: 'any-client',
    to: 'dc',
    sessions: [
      {
        endpoint: 'lsarpc',
        via: 'smb',
        pipes: LSASS,
        ops: 'LsarOpenPolicy2 LsarQueryInformationPolicy? LsarLookupSids|LsarLookupNames3 LsarLookupSids* LsarClose',
      },
    ],
  },
  {
    name: 'samr-group-lookup',
    kind: 'user',
    weight: 6,
    from: 'workstation',
    to: 'dc',
    sessions: [
      {
        endpoint: 'samr',
        via: 'smb',
        pipes: ['\\pipe\\lsass', '\\PIPE\\samr'],
        ops: 'SamrConnect5 SamrEnumerateDomainsInSamServer SamrLookupDomainInSamServer SamrOpenDomain SamrLookupNamesInDomain SamrOpenUser? SamrGetGroupsForUser? SamrCloseHandle',
      },
    ],
  },
  {
    name: 'share-access',
    kind: 'user',
    weight: 12,
    from: 'any-client',
    to: 'file',
    sessions: [
      {
        endpoint: 'srvsvc',
        via: 'smb',
        pipes: ['\\PIPE\\srvsvc', '\\pipe\\srvsvc'],
        ops: 'NetrShareGetInfo* NetrShareEnum?',
      },
    ],
  },
  {
    name: 'printing',
    kind: 'user',
    weight: 8,
    from: 'workstation',
    to: 'print',
    sessions: [
      {
        endpoint: 'spoolss',
        via: 'smb',
        pipes: ['\\pipe\\spoolss'],
        ops: 'RpcOpenPrinterEx|RpcOpenPrinter RpcGetPrinterData* RpcEnumPrinters? RpcClosePrinter',
      },
    ],
  },
  {
    name: 'dc-locator',
    kind: 'user',
    weight: 4,
    from: 'any-client',
    to: 'dc',
    sessions: [{ endpoint: 'netlogon', via: 'smb', pipes: ['\\PIPE\\netlogon'], ops: 'DsrGetDcNameEx2' }],
  },
  {
    name: 'workstation-info',
    kind: 'user',
    weight: 3,
    from: 'workstation',
    to: 'file',
    sessions: [{ endpoint: 'wkssvc', via: 'smb', pipes: ['\\PIPE\\wkssvc'], ops: 'NetrWkstaGetInfo' }],
  },
  {
    name: 'dssetup-role',
    kind: 'user',
    weight: 2,
    from: 'workstation',
    to: 'dc',
    sessions: [
      { endpoint: 'dssetup', via: 'smb', pipes: ['\\pipe\\lsass'], ops: 'DsRolerGetPrimaryDomainInformation' },
    ],
  },
  {
    name: 'dcom-application',
    kind: 'user',
    weight: 4,
    from: 'workstation',
    to: 'app',
    sessions: [
      { endpoint: 'IObjectExporter', via: 'epm', ops: 'ServerAlive2' },
      { endpoint: 'ISystemActivator', via: 'epm', ops: 'RemoteCreateInstance' },
    ],
  },
  {
    name: 'epmapper-lookup',
    kind: 'user',
    weight: 3,
    from: 'workstation',
    to: 'app',
    sessions: [{ endpoint: 'epmapper', via: 'epm', ops: 'ept_map ept_lookup?' }],
  },
  {
    name: 'admin-service-check',
    kind: 'user',
    weight: 1.5,
    from: 'admin',
    to: 'server',
    sessions: [
      {
        endpoint: 'svcctl',
        via: 'smb',
        pipes: ['\\PIPE\\svcctl'],
        ops: 'OpenSCManagerW OpenServiceW QueryServiceStatus ControlService? CloseServiceHandle',
      },
    ],
  },
  {
    name: 'admin-registry',
    kind: 'user',
    weight: 1,
    from: 'admin',
    to: 'server',
    sessions: [
      {
        endpoint: 'winreg',
        via: 'smb',
        pipes: ['\\PIPE\\winreg'],
        ops: 'OpenHKLM BaseRegOpenKey BaseRegQueryValue* BaseRegCloseKey',
      },
    ],
  },
  {
    name: 'admin-task-review',
    kind: 'user',
    weight: 0.6,
    from: 'admin',
    to: 'server',
    sessions: [
      {
        endpoint: 'ITaskSchedulerService',
        via: 'smb',
        pipes: ['\\PIPE\\atsvc'],
        ops: 'SchRpcEnumTasks SchRpcGetTaskInfo*',
      },
    ],
  },
  {
    name: 'odd-legacy-client',
    kind: 'user',
    weight: 0.15,
    from: 'workstation',
    to: 'dc',
    sessions: [{ endpoint: 'lsarpc', via: 'smb', pipes: LSASS, ops: 'LsarOpenPolicy2 unknown-80 LsarClose' }],
  },
  // ---- around the clock ----
  {
    name: 'dc-replication',
    kind: 'background',
    weight: 10,
    from: 'dc',
    to: 'dc',
    sessions: [
      EPT_MAP,
      {
        endpoint: 'drsuapi',
        via: 'dyn',
        ops: 'DRSBind DRSCrackNames? DRSGetNCChanges* DRSReplicaSync? DRSUnbind',
      },
    ],
  },
  {
    name: 'server-logon',
    kind: 'background',
    weight: 7,
    from: 'server',
    to: 'dc',
    sessions: [
      EPT_MAP,
      { endpoint: 'netlogon', via: 'dyn', ops: 'NetrLogonSamLogonEx* NetrLogonSamLogonWithFlags?' },
    ],
  },
  {
    name: 'server-lsa-lookup',
    kind: 'background',
    weight: 5,
    from: 'server',
    to: 'dc',
    sessions: [
      { endpoint: 'lsarpc', via: 'smb', pipes: LSASS, ops: 'LsarOpenPolicy2 LsarLookupSids* LsarClose' },
    ],
  },
  {
    name: 'inventory-registry',
    kind: 'background',
    weight: 5,
    from: 'mgmt',
    to: 'workstation',
    sessions: [
      {
        endpoint: 'winreg',
        via: 'smb',
        pipes: ['\\PIPE\\winreg'],
        ops: 'OpenHKLM BaseRegOpenKey* BaseRegQueryValue* BaseRegCloseKey?',
      },
    ],
  },
  {
    name: 'monitoring-services',
    kind: 'background',
    weight: 4,
    from: 'mgmt',
    to: 'server',
    sessions: [
      {
        endpoint: 'svcctl',
        via: 'smb',
        pipes: ['\\PIPE\\svcctl'],
        ops: 'OpenSCManagerW OpenServiceW* QueryServiceStatus* CloseServiceHandle',
      },
    ],
  },
  {
    name: 'inventory-wmi',
    kind: 'background',
    weight: 3,
    from: 'mgmt',
    to: 'workstation',
    sessions: [
      { endpoint: 'ISystemActivator', via: 'epm', ops: 'RemoteCreateInstance' },
      {
        endpoint: 'IWbemLevel1Login',
        via: 'dyn',
        ops: 'NTLMLogin',
      },
      { endpoint: 'IWbemServices', via: 'dyn', ops: 'ExecQuery* GetObject?' },
    ],
  },
  {
    name: 'dcom-keepalive',
    kind: 'background',
    weight: 2,
    from: 'mgmt',
    to: 'app',
    sessions: [{ endpoint: 'IObjectExporter', via: 'epm', ops: 'SimplePing|ComplexPing ServerAlive2?' }],
  },
  {
    name: 'software-deployment',
    kind: 'background',
    weight: 0.3,
    from: 'mgmt',
    to: 'workstation',
    sessions: [
      {
        endpoint: 'svcctl',
        via: 'smb',
        pipes: ['\\PIPE\\svcctl'],
        ops: 'OpenSCManagerW OpenServiceW CreateServiceW? StartServiceW QueryServiceStatus CloseServiceHandle',
      },
    ],
  },
  {
    name: 'print-server-lookup',
    kind: 'background',
    weight: 1,
    from: 'print',
    to: 'dc',
    sessions: [{ endpoint: 'wkssvc', via: 'smb', pipes: ['\\PIPE\\wkssvc'], ops: 'NetrWkstaGetInfo unknown-32?' }],
  },
];
