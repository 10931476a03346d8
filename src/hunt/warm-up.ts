/**
 * A hunt worker's JIT warm-up input: a small dce_rpc.log, built in, that a `score` worker reads
 * and scores once before its first file, on a consumer of its own whose output is thrown away.
 *
 * Why: V8 compiles the read loop (split → decode → score, inlined into one function) once it is
 * hot, with the type feedback seen so far. A path first taken after that (the first anomaly, a
 * value the model has not seen, a technique, the `#close` line, the next file's header) is a
 * deopt and a recompile of the whole loop. With one worker the recompiles run on the other core
 * for free; with a worker per core they take CPU from the workers. Reading this input first
 * gives the compiler those paths before it compiles, so the loop is compiled fewer times.
 *
 * The calls are the ones Zeek's DCE-RPC analyzer names on any Windows network: logons, name
 * lookups, shares, the spooler, services, tasks, the registry, WMI, directory replication, plus
 * an operation Zeek does not know (`unknown-N`) and an IPv6 pair; whatever the model makes of
 * them (routine, rare, a technique) is a path the real files take too.
 */
import { DCE_RPC_SCHEMA, formatTsvClose, formatTsvHeader, formatTsvRecord } from '../zeek/index.js';

/** Read this many times, as so many files (the second file is itself a path: a new header block). */
export const WARM_UP_PASSES = 3;

/** The name the warm-up's records carry (never seen outside the worker). */
export const WARM_UP_NAME = '(jit warm-up)';

const CALLS: readonly (readonly [orig: string, resp: string, pipe: string, endpoint: string, operation: string])[] = [
  ['10.0.1.42', '10.0.0.10', '\\pipe\\lsass', 'lsarpc', 'LsarOpenPolicy2'],
  ['10.0.1.42', '10.0.0.10', '\\pipe\\lsass', 'lsarpc', 'LsarLookupSids'],
  ['10.0.1.42', '10.0.0.10', '\\pipe\\lsass', 'lsarpc', 'LsarClose'],
  ['10.0.1.43', '10.0.0.10', '\\PIPE\\srvsvc', 'srvsvc', 'NetrShareGetInfo'],
  ['10.0.1.44', '10.0.0.10', '\\PIPE\\NETLOGON', 'netlogon', 'NetrLogonSamLogonEx'],
  ['10.0.1.45', '10.0.2.5', '\\PIPE\\spoolss', 'spoolss', 'RpcGetPrinterData'],
  ['10.0.1.46', '10.0.0.10', '135', 'epmapper', 'ept_map'],
  ['10.0.1.47', '10.0.0.11', '\\PIPE\\NETLOGON', 'netlogon', 'NetrServerReqChallenge'],
  ['10.0.1.47', '10.0.0.11', '\\PIPE\\NETLOGON', 'netlogon', 'NetrServerAuthenticate3'],
  ['10.0.1.48', '10.0.2.5', '\\PIPE\\spoolss', 'spoolss', 'RpcOpenPrinterEx'],
  ['10.0.1.48', '10.0.2.5', '\\PIPE\\spoolss', 'spoolss', 'RpcClosePrinter'],
  ['10.0.1.49', '10.0.0.10', '\\PIPE\\samr', 'samr', 'SamrConnect5'],
  ['10.0.1.49', '10.0.0.10', '\\PIPE\\samr', 'samr', 'SamrEnumerateDomainsInSamServer'],
  ['10.0.1.49', '10.0.0.10', '\\PIPE\\samr', 'samr', 'SamrLookupNamesInDomain'],
  ['10.0.1.49', '10.0.0.10', '\\PIPE\\samr', 'samr', 'SamrOpenUser'],
  ['10.0.1.49', '10.0.0.10', '\\PIPE\\samr', 'samr', 'SamrGetGroupsForUser'],
  ['10.0.1.50', '10.0.0.12', '\\PIPE\\winreg', 'winreg', 'OpenHKLM'],
  ['10.0.1.50', '10.0.0.12', '\\PIPE\\winreg', 'winreg', 'BaseRegQueryValue'],
  ['10.0.0.10', '10.0.0.11', '49667', 'drsuapi', 'DRSBind'],
  ['10.0.0.10', '10.0.0.11', '49667', 'drsuapi', 'DRSGetNCChanges'],
  ['10.0.1.51', '10.0.0.10', '49667', 'drsuapi', 'DRSCrackNames'],
  ['10.0.1.52', '10.0.0.12', '135', 'ISystemActivator', 'RemoteCreateInstance'],
  ['10.0.1.52', '10.0.0.12', '135', 'IObjectExporter', 'ServerAlive2'],
  ['10.0.1.53', '10.0.0.12', '\\PIPE\\svcctl', 'svcctl', 'OpenSCManagerW'],
  ['10.0.1.53', '10.0.0.12', '\\PIPE\\svcctl', 'svcctl', 'OpenServiceW'],
  ['10.0.1.53', '10.0.0.12', '\\PIPE\\svcctl', 'svcctl', 'QueryServiceStatus'],
  ['10.0.1.54', '10.0.0.10', '\\PIPE\\wkssvc', 'wkssvc', 'NetrWkstaGetInfo'],
  ['10.0.1.55', '10.0.0.10', '\\PIPE\\lsarpc', 'dssetup', 'DsRolerGetPrimaryDomainInformation'],
  ['10.0.1.56', '10.0.0.12', '49154', 'IWbemLevel1Login', 'NTLMLogin'],
  ['10.0.1.56', '10.0.0.12', '49154', 'IWbemServices', 'ExecQuery'],
  ['10.0.1.57', '10.0.0.12', '\\PIPE\\atsvc', 'ITaskSchedulerService', 'SchRpcEnumTasks'],
  ['10.0.1.58', '10.0.1.60', '\\PIPE\\srvsvc', 'srvsvc', 'NetrSessionEnum'],
  ['10.0.1.58', '10.0.1.61', '\\PIPE\\srvsvc', 'srvsvc', 'NetrShareEnum'],
  ['10.0.1.58', '10.0.1.62', '\\PIPE\\wkssvc', 'wkssvc', 'NetrWkstaUserEnum'],
  ['10.0.1.59', '10.0.1.63', '\\PIPE\\svcctl', 'svcctl', 'CreateServiceW'],
  ['10.0.1.59', '10.0.1.63', '\\PIPE\\svcctl', 'svcctl', 'StartServiceW'],
  ['10.0.1.59', '10.0.1.63', '\\PIPE\\atsvc', 'ITaskSchedulerService', 'SchRpcRegisterTask'],
  ['10.0.1.59', '10.0.1.63', '\\PIPE\\winreg', 'winreg', 'BaseRegSaveKey'],
  ['10.0.1.59', '10.0.1.63', '49154', 'IWbemServices', 'ExecMethod'],
  ['10.0.1.59', '10.0.0.10', '\\PIPE\\spoolss', 'spoolss', 'RpcRemoteFindFirstPrinterChangeNotificationEx'],
  ['10.0.1.59', '10.0.0.10', '\\PIPE\\efsrpc', 'efsrpc', 'EfsRpcOpenFileRaw'],
  ['10.0.1.59', '10.0.0.10', '49667', 'drsuapi', 'DRSGetNCChanges'],
  ['10.0.1.59', '10.0.0.10', '\\PIPE\\eventlog', 'eventlog', 'ElfrClearELFW'],
  ['10.0.1.44', '10.0.0.10', '\\PIPE\\lsass', 'lsarpc', 'unknown-80'],
  ['fd00::1:42', 'fd00::10', '\\PIPE\\NETLOGON', 'netlogon', 'DsrGetDcNameEx2'],
  // Zeek's name for an interface it does not know is its UUID: a value no model has seen.
  ['10.0.1.64', '10.0.0.12', '49702', 'a4f1db00-ca47-1067-b31f-00dd010662da', 'unknown-0'],
  // No pipe name logged.
  ['10.0.1.65', '10.0.0.10', '-', 'lsarpc', 'LsarLookupSids'],
];

/** 2024-03-04 00:00 UTC; calls about 13 minutes apart, so they fall in different hours. */
const START_TS = 1_709_510_400;
const STEP_S = 787;

/**
 * The warm-up log's bytes, a Zeek TSV dce_rpc.log (header block, the calls, `#close`), in two
 * chunks cut inside a line, as a stream's chunks are: the splitter's held-line path is a path too.
 */
export function warmUpLog(): Buffer[] {
  // Local-time Dates, as the writer formats `#open`/`#close` in local time: the same bytes in any zone.
  let text = formatTsvHeader(DCE_RPC_SCHEMA, new Date(2024, 2, 4, 0, 0, 0));
  CALLS.forEach(([orig, resp, pipe, endpoint, operation], i) => {
    const ts = START_TS + i * STEP_S + (i % 7) * 0.013_117;
    const rtt = i % 5 === 4 ? null : 0.000_2 + (i % 9) * 0.000_131;
    const port = /^\d+$/.test(pipe) ? Number(pipe) : pipe === '-' ? 135 : 445;
    const namedPipe = pipe === '-' ? null : pipe;
    text += formatTsvRecord(DCE_RPC_SCHEMA, [ts, `CWarmUp${String(i).padStart(11, '0')}`, orig, 49_152 + i, resp, port, rtt, namedPipe, endpoint, operation]);
  });
  text += formatTsvClose(new Date(2024, 2, 4, 10, 0, 0));
  const bytes = Buffer.from(text, 'utf8');
  const cut = bytes.indexOf('\n', bytes.length >> 1) - 7;
  return [bytes.subarray(0, cut), bytes.subarray(cut)];
}
