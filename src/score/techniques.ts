/**
 * DCE-RPC operations that attackers use for execution, credential access, coercion and
 * discovery, with the MITRE ATT&CK technique each one serves. Rarity alone cannot tell a
 * rare-but-routine call (a netlogon challenge once a day) from a rare-and-dangerous one (a
 * printer driver installed over the network), and both are equally rare in a small capture; this
 * table is the prior that separates them, and it names the technique in the alert.
 *
 * Operation names are Zeek's (scripts/base/protocols/dce-rpc/consts.zeek); matching ignores case.
 */
export interface Technique {
  /** ATT&CK technique id. */
  id: string;
  /** Short human label for the alert. */
  label: string;
}

const TABLE: ReadonlyArray<readonly [operations: string[], technique: Technique]> = [
  [['DRSGetNCChanges', 'DRSReplicaSync'], { id: 'T1003.006', label: 'DCSync replication' }],
  [['DRSAddEntry', 'DRSReplicaAdd'], { id: 'T1207', label: 'rogue domain controller (DCShadow)' }],
  [
    ['CreateServiceW', 'CreateServiceA', 'CreateServiceWOW64W', 'ChangeServiceConfigW', 'StartServiceW', 'StartServiceA'],
    { id: 'T1569.002', label: 'remote service execution (PsExec-style)' },
  ],
  [['NetrJobAdd'], { id: 'T1053.002', label: 'remote AT job' }],
  [['SchRpcRegisterTask', 'SchRpcRun', 'SchRpcEnableTask'], { id: 'T1053.005', label: 'remote scheduled task' }],
  [['ExecMethod', 'ExecMethodAsync'], { id: 'T1047', label: 'WMI remote execution' }],
  // IWbemLevel1Login::NTLMLogin opens every remote WMI session: routine from inventory servers,
  // the first step of WMI lateral movement from anywhere else.
  [['NTLMLogin'], { id: 'T1047', label: 'WMI remote logon' }],
  [
    ['EfsRpcOpenFileRaw', 'EfsRpcEncryptFileSrv', 'EfsRpcDecryptFileSrv', 'EfsRpcQueryUsersOnFile', 'EfsRpcAddUsersToFile'],
    { id: 'T1187', label: 'authentication coercion (PetitPotam)' },
  ],
  [
    ['RpcRemoteFindFirstPrinterChangeNotification', 'RpcRemoteFindFirstPrinterChangeNotificationEx'],
    { id: 'T1187', label: 'authentication coercion (PrinterBug)' },
  ],
  [['NetrDfsAddStdRoot', 'NetrDfsRemoveStdRoot'], { id: 'T1187', label: 'authentication coercion (DFSCoerce)' }],
  [
    ['RpcAddPrinterDriver', 'RpcAddPrinterDriverEx', 'RpcEnumPrinterDrivers', 'RpcGetPrinterDriverDirectory'],
    { id: 'T1068', label: 'remote printer driver install (PrintNightmare)' },
  ],
  [['BaseRegSaveKey', 'BaseRegSaveKeyEx'], { id: 'T1003.002', label: 'remote registry hive dump' }],
  [['BaseRegCreateKey', 'BaseRegSetValue'], { id: 'T1112', label: 'remote registry change' }],
  [['NetrSessionEnum'], { id: 'T1049', label: 'session enumeration' }],
  [['NetrWkstaUserEnum'], { id: 'T1033', label: 'logged-on user enumeration' }],
  [['NetrServerPasswordSet2'], { id: 'T1210', label: 'machine password reset (Zerologon)' }],
];

const BY_OPERATION = new Map<string, Technique>();
for (const [operations, technique] of TABLE) {
  for (const operation of operations) BY_OPERATION.set(operation.toLowerCase(), technique);
}

/** The technique an operation serves, or undefined for ordinary operations. */
export function techniqueFor(operation: string | null): Technique | undefined {
  return operation === null ? undefined : BY_OPERATION.get(operation.toLowerCase());
}
