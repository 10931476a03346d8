/**
 * DCE-RPC operations that attackers use for execution, persistence, credential access, coercion,
 * impact and discovery, with the MITRE ATT&CK technique each one serves. Rarity alone cannot tell
 * a rare-but-routine call (a netlogon challenge once a day) from a rare-and-dangerous one (a
 * printer driver installed over the network), and both are equally rare in a small capture; this
 * table is the prior that separates them, and it names the technique in the alert. It never
 * decides on its own: an operation that a group routinely performs (routine.ts) is not flagged.
 *
 * It covers every operation MITRE BZAR and Sigma's Zeek dce_rpc rules match
 * (../shared/reference/signature-anchors.md), in Zeek's spellings (scripts/base/protocols/
 * dce-rpc/consts.zeek): `NetrJobAdd` rather than BZAR's `JobAdd`, `ISeclogon` rather than
 * `ISecLogon` (matching ignores case anyway, which is also what repairs the latter).
 *
 * `danger`: `high` operations change the target (execution, persistence, credential theft,
 * coercion, shutdown, log clearing) and are flagged unless the originator's own group routinely
 * performs them; `low` operations only read (discovery) and are ordinary domain-member traffic on
 * most networks, so they are flagged only when they are new for the group after the statistics
 * were established (routine.ts explains the difference); `info` operations (lookups of one named
 * object) only name the technique: they are judged like any other documented call.
 */
export interface Technique {
  /** ATT&CK technique id. */
  id: string;
  /** Short human label for the alert. */
  label: string;
  danger: 'high' | 'low' | 'info';
}

const high = (id: string, label: string): Technique => ({ id, label, danger: 'high' });
const low = (id: string, label: string): Technique => ({ id, label, danger: 'low' });
const info = (id: string, label: string): Technique => ({ id, label, danger: 'info' });

const TABLE: ReadonlyArray<readonly [operations: string[], technique: Technique]> = [
  [['DRSGetNCChanges', 'DRSReplicaSync'], high('T1003.006', 'DCSync replication')],
  [['DRSAddEntry', 'DRSReplicaAdd'], high('T1207', 'rogue domain controller (DCShadow)')],
  [
    [
      'CreateServiceW', 'CreateServiceA', 'CreateServiceWOW64W', 'CreateServiceWOW64A', 'ChangeServiceConfigW',
      'ChangeServiceConfigA', 'StartServiceW', 'StartServiceA',
    ],
    high('T1569.002', 'remote service execution (PsExec-style)'),
  ],
  [['NetrJobAdd', 'JobAdd'], high('T1053.002', 'remote AT job')],
  [['SchRpcRegisterTask', 'SchRpcRun', 'SchRpcEnableTask'], high('T1053.005', 'remote scheduled task')],
  [['ExecMethod', 'ExecMethodAsync'], high('T1047', 'WMI remote execution')],
  // IWbemLevel1Login::NTLMLogin opens every remote WMI session: routine from inventory servers,
  // the first step of WMI lateral movement from anywhere else.
  [['NTLMLogin'], high('T1047', 'WMI remote logon')],
  [
    ['EfsRpcOpenFileRaw', 'EfsRpcEncryptFileSrv', 'EfsRpcDecryptFileSrv', 'EfsRpcQueryUsersOnFile', 'EfsRpcAddUsersToFile', 'EfsRpcQueryRecoveryAgents', 'EfsRpcRemoveUsersFromFile', 'EfsRpcFileKeyInfo', 'EfsRpcDuplicateEncryptionInfoFile', 'EfsRpcAddUsersToFileEx'],
    high('T1187', 'authentication coercion (PetitPotam)'),
  ],
  [
    ['RpcRemoteFindFirstPrinterChangeNotification', 'RpcRemoteFindFirstPrinterChangeNotificationEx'],
    high('T1187', 'authentication coercion (PrinterBug)'),
  ],
  [['NetrDfsAddStdRoot', 'NetrDfsRemoveStdRoot'], high('T1187', 'authentication coercion (DFSCoerce)')],
  [
    ['RpcAddPrinterDriver', 'RpcAddPrinterDriverEx', 'RpcAsyncAddPrinterDriver', 'RpcAsyncInstallPrinterDriverFromPackage', 'RpcEnumPrinterDrivers', 'RpcGetPrinterDriverDirectory'],
    high('T1068', 'remote printer driver install (PrintNightmare)'),
  ],
  [
    ['RpcAddMonitor', 'RpcAddPrintProcessor', 'RpcAsyncAddMonitor', 'RpcAsyncAddPrintProcessor'],
    high('T1547.010', 'port monitor / print processor (persistence)'),
  ],
  [['SeclCreateProcessWithLogonW', 'SeclCreateProcessWithLogonExW'], high('T1134.002', 'process with alternate logon (seclogon)')],
  [['BaseRegSaveKey', 'BaseRegSaveKeyEx'], high('T1003.002', 'remote registry hive dump')],
  [['BaseRegCreateKey', 'BaseRegSetValue'], high('T1112', 'remote registry change')],
  [['ElfrClearELFW', 'ElfrClearELFA', 'EvtRpcClearLog'], high('T1070.001', 'event log clearing')],
  [
    ['BaseInitiateSystemShutdown', 'BaseInitiateSystemShutdownEx', 'BaseInitiateShutdown', 'BaseInitiateShutdownEx', 'WsdrInitiateShutdown', 'RpcWinStationShutdownSystem', 'SamrShutdownSamServer'],
    high('T1529', 'remote shutdown'),
  ],
  [['NetrServerPasswordSet2'], high('T1210', 'machine password reset (Zerologon)')],
  // Discovery (BZAR's 5-minute counters): read-only, and everyday traffic for domain members.
  // Enumerations (whole lists: users, groups, sessions, shares) are `low`.
  [['NetrSessionEnum', 'NetrConnectionEnum'], low('T1049', 'session enumeration')],
  [['NetrWkstaUserEnum'], low('T1033', 'logged-on user enumeration')],
  [['NetrServerTransportEnum', 'NetrWkstaTransportEnum'], low('T1016', 'network configuration discovery')],
  [['NetrServerAliasEnum'], low('T1018', 'remote system discovery')],
  [['LsarEnumerateTrustedDomainsEx', 'SamrEnumerateGroupsInDomain', 'SamrEnumerateDomainsInSamServer'], low('T1033', 'account and domain discovery')],
  [['LsarEnumerateAccountRights', 'LsarEnumerateAccountsWithUserRight', 'LsarEnumeratePrivileges', 'LsarEnumeratePrivilegesAccount', 'SamrGetMembersInAlias', 'SamrGetMembersInGroup'], low('T1069', 'permission group discovery')],
  [['NetrFileEnum'], low('T1083', 'file discovery')],
  [['LsarEnumerateAccounts', 'SamrEnumerateAliasesInDomain', 'SamrEnumerateUsersInDomain', 'SamrQueryDisplayInformation', 'SamrQueryDisplayInformation2', 'SamrQueryDisplayInformation3'], low('T1087', 'account discovery')],
  [['NetrShareEnum'], low('T1135', 'network share discovery')],
  // Lookups of one named object (a SID to a name, one user's groups, the domain's policy, the
  // time) are `info`: what every domain member does at logon and in every ACL dialog (the
  // reference's users drop them as too noisy, Sigma needs five distinct in 30 s). Named in an
  // alert, never the reason for one.
  [['NetrServerGetInfo'], info('T1018', 'remote system discovery')],
  [['LsarGetUserName', 'LsarGetSystemAccessAccount', 'LsarQueryDomainInformationPolicy', 'LsarQueryInfoTrustedDomain', 'SamrQueryInformationDomain', 'SamrQueryInformationDomain2', 'SamrQueryInformationGroup'], info('T1033', 'account and domain discovery')],
  [['LsarLookupPrivilegeValue', 'LsarLookupPrivilegeName', 'LsarLookupPrivilegeDisplayName', 'SamrGetGroupsForUser', 'SamrGetAliasMembership'], info('T1069', 'permission group discovery')],
  [['LsarQueryInformationPolicy', 'LsarQueryInformationPolicy2', 'LsarQueryTrustedDomainInfo', 'LsarQueryTrustedDomainInfoByName', 'SamrGetUserDomainPasswordInformation'], info('T1082', 'system information discovery')],
  [
    ['LsarLookupNames', 'LsarLookupNames2', 'LsarLookupNames3', 'LsarLookupNames4', 'LsarLookupSids', 'LsarLookupSids2', 'LsarLookupSids3', 'SamrLookupNamesInDomain', 'SamrLookupIdsInDomain', 'SamrLookupDomainInSamServer', 'SamrQueryInformationAlias', 'SamrQueryInformationUser', 'SamrQueryInformationUser2', 'SamrQuerySecurityObject'],
    info('T1087', 'account discovery'),
  ],
  [['NetrRemoteTOD'], info('T1124', 'system time discovery')],
  [['NetrShareGetInfo'], info('T1135', 'network share discovery')],
];

const BY_OPERATION = new Map<string, Technique>();
for (const [operations, technique] of TABLE) {
  for (const operation of operations) BY_OPERATION.set(operation.toLowerCase(), technique);
}

/** The technique an operation serves, or undefined for ordinary operations. */
export function techniqueFor(operation: string | null): Technique | undefined {
  return operation === null ? undefined : BY_OPERATION.get(operation.toLowerCase());
}

/** Every operation of the table (lower case), for tests and docs. */
export function techniqueOperations(): string[] {
  return [...BY_OPERATION.keys()];
}
