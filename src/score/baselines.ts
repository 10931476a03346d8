/**
 * Signature baselines for `eval` (never the product's rule): what MITRE BZAR's dce_rpc logic and
 * Sigma's Zeek dce_rpc rules flag, implemented from ../shared/reference/signature-anchors.md, so
 * the sweep can compare the learned rule with what a security team would otherwise run. Their
 * quirks are kept on purpose: BZAR matches `endpoint::operation` exactly and case-sensitively
 * (its `atsvc::JobAdd` and `ISecLogon` never match Zeek's spellings); its discovery notices count
 * calls per originator in 5-minute windows (here the record that reaches a notice threshold
 * carries the notice, which credits it with a uid BZAR itself does not give).
 */
import type { DceRpcRecord } from '../zeek/index.js';

/** A stateful per-record baseline: records must come in time order. */
export interface BaselineRule {
  readonly name: string;
  flags(record: DceRpcRecord): boolean;
}

const BZAR_CALLS = new Set(
  [
    'drsuapi::DRSReplicaSync', 'drsuapi::DRSGetNCChanges',
    'eventlog::ElfrClearELFW', 'eventlog::ElfrClearELFA', 'IEventService::EvtRpcClearLog',
    'svcctl::CreateServiceW', 'svcctl::CreateServiceA', 'svcctl::CreateServiceWOW64W', 'svcctl::CreateServiceWOW64A', 'svcctl::StartServiceW', 'svcctl::StartServiceA',
    'IWbemServices::ExecMethod', 'IWbemServices::ExecMethodAsync',
    'atsvc::JobAdd',
    'ITaskSchedulerService::SchRpcRegisterTask', 'ITaskSchedulerService::SchRpcRun', 'ITaskSchedulerService::SchRpcEnableTask',
    'winreg::BaseInitiateSystemShutdown', 'winreg::BaseInitiateSystemShutdownEx', 'InitShutdown::BaseInitiateShutdown', 'InitShutdown::BaseInitiateShutdownEx',
    'WindowsShutdown::WsdrInitiateShutdown', 'winstation_rpc::RpcWinStationShutdownSystem', 'samr::SamrShutdownSamServer',
    'ISecLogon::SeclCreateProcessWithLogonW', 'ISecLogon::SeclCreateProcessWithLogonExW',
    'spoolss::RpcAddMonitor', 'spoolss::RpcAddPrintProcessor', 'IRemoteWinspool::RpcAsyncAddMonitor', 'IRemoteWinspool::RpcAsyncAddPrintProcessor',
  ],
);

const BZAR_DISCOVERY = new Set(
  [
    'srvsvc::NetrServerTransportEnum', 'wkssvc::NetrWkstaTransportEnum', 'srvsvc::NetrServerGetInfo', 'srvsvc::NetrServerAliasEnum',
    'lsarpc::LsarGetUserName', 'lsarpc::LsarEnumerateTrustedDomainsEx', 'lsarpc::LsarGetSystemAccessAccount', 'lsarpc::LsarQueryDomainInformationPolicy', 'lsarpc::LsarQueryInfoTrustedDomain',
    'samr::SamrEnumerateGroupsInDomain', 'samr::SamrEnumerateDomainsInSamServer', 'samr::SamrQueryInformationDomain', 'samr::SamrQueryInformationDomain2', 'samr::SamrQueryInformationGroup',
    'srvsvc::NetrConnectionEnum', 'srvsvc::NetrSessionEnum',
    'lsarpc::LsarEnumerateAccountRights', 'lsarpc::LsarEnumerateAccountsWithUserRight', 'lsarpc::LsarEnumeratePrivileges', 'lsarpc::LsarEnumeratePrivilegesAccount', 'lsarpc::LsarLookupPrivilegeValue', 'lsarpc::LsarLookupPrivilegeName', 'lsarpc::LsarLookupPrivilegeDisplayName',
    'samr::SamrGetGroupsForUser', 'samr::SamrGetAliasMembership', 'samr::SamrGetMembersInAlias', 'samr::SamrGetMembersInGroup',
    'lsarpc::LsarQueryInformationPolicy', 'lsarpc::LsarQueryInformationPolicy2', 'lsarpc::LsarQueryTrustedDomainInfo', 'lsarpc::LsarQueryTrustedDomainInfoByName', 'samr::SamrGetUserDomainPasswordInformation',
    'srvsvc::NetrFileEnum',
    'lsarpc::LsarEnumerateAccounts', 'lsarpc::LsarLookupNames', 'lsarpc::LsarLookupNames2', 'lsarpc::LsarLookupNames3', 'lsarpc::LsarLookupNames4', 'lsarpc::LsarLookupSids', 'lsarpc::LsarLookupSids2', 'lsarpc::LsarLookupSids3',
    'samr::SamrEnumerateAliasesInDomain', 'samr::SamrEnumerateUsersInDomain', 'samr::SamrLookupNamesInDomain', 'samr::SamrLookupIdsInDomain', 'samr::SamrLookupDomainInSamServer',
    'samr::SamrQueryDisplayInformation', 'samr::SamrQueryDisplayInformation2', 'samr::SamrQueryDisplayInformation3', 'samr::SamrQueryInformationAlias', 'samr::SamrQueryInformationUser', 'samr::SamrQueryInformationUser2',
    'wkssvc::NetrWkstaUserEnum', 'srvsvc::NetrRemoteTOD', 'srvsvc::NetrShareEnum', 'srvsvc::NetrShareGetInfo',
  ],
);
const BZAR_THRESHOLDS = new Set([5, 10, 15, 20, 30, 40, 50, 100]);
const BZAR_WINDOW_S = 300;

/** BZAR: per-call notices plus discovery counters per originator in 5-minute windows. */
export class BzarBaseline implements BaselineRule {
  readonly name = 'BZAR-style';
  readonly #windows = new Map<string, { start: number; count: number }>();

  flags(record: DceRpcRecord): boolean {
    const call = `${record.endpoint ?? ''}::${record.operation ?? ''}`;
    if (BZAR_CALLS.has(call)) return true;
    if (!BZAR_DISCOVERY.has(call) || record.origHost === null) return false;
    let window = this.#windows.get(record.origHost);
    if (window === undefined || record.ts - window.start >= BZAR_WINDOW_S) {
      window = { start: record.ts, count: 0 };
      this.#windows.set(record.origHost, window);
    }
    window.count += 1;
    return BZAR_THRESHOLDS.has(window.count);
  }
}

const lower = (values: string[]): Set<string> => new Set(values.map((v) => v.toLowerCase()));
const SIGMA_CALLS = lower([
  'svcctl::CreateServiceA', 'svcctl::CreateServiceW', 'svcctl::StartServiceA', 'svcctl::StartServiceW',
  'ITaskSchedulerService::SchRpcEnableTask', 'ITaskSchedulerService::SchRpcRegisterTask', 'ITaskSchedulerService::SchRpcRun',
  'IWbemServices::ExecMethod', 'IWbemServices::ExecMethodAsync',
  'spoolss::RpcAddMonitor', 'spoolss::RpcAddPrintProcessor', 'IRemoteWinspool::RpcAsyncAddMonitor', 'IRemoteWinspool::RpcAsyncAddPrintProcessor',
  'ISecLogon::SeclCreateProcessWithLogonW', 'ISecLogon::SeclCreateProcessWithLogonExW',
]);
const SIGMA_PRINTNIGHTMARE = lower(['RpcAsyncInstallPrinterDriverFromPackage', 'RpcAsyncAddPrintProcessor', 'RpcAddPrintProcessor', 'RpcAddPrinterDriverEx', 'RpcAddPrinterDriver', 'RpcAsyncAddPrinterDriver']);
const SIGMA_RECON = lower(['LsarLookupNames3', 'LsarLookupSids3', 'SamrGetGroupsForUser', 'SamrLookupIdsInDomain', 'SamrLookupNamesInDomain', 'SamrQuerySecurityObject', 'SamrQueryInformationGroup']);
const SIGMA_RECON_WINDOW_S = 30;

/** Sigma's Zeek dce_rpc rules (case-insensitive), including the unsupported recon count. */
export class SigmaBaseline implements BaselineRule {
  readonly name = 'Sigma-style';
  readonly #recent = new Map<string, [ts: number, operation: string][]>();

  flags(record: DceRpcRecord): boolean {
    const operation = (record.operation ?? '').toLowerCase();
    if (SIGMA_CALLS.has(`${(record.endpoint ?? '').toLowerCase()}::${operation}`)) return true;
    if (operation.startsWith('efs') || SIGMA_PRINTNIGHTMARE.has(operation)) return true;
    if (!SIGMA_RECON.has(operation) || record.origHost === null) return false;
    const calls = (this.#recent.get(record.origHost) ?? []).filter(([ts]) => record.ts - ts < SIGMA_RECON_WINDOW_S);
    calls.push([record.ts, operation]);
    this.#recent.set(record.origHost, calls);
    return new Set(calls.map(([, op]) => op)).size > 4;
  }
}
