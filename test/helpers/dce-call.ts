import type { DceRpcRecord } from '../../src/zeek/index.js';

/**
 * One DCE-RPC call as the score tests write their weeks: an ephemeral client port, a 1 ms round
 * trip, and the transport (`respPort`, `namedPipe`) the test's interface is reached over.
 */
export function dceCall(
  ts: number,
  orig: string,
  resp: string,
  endpoint: string,
  operation: string,
  uid: string,
  transport: Pick<DceRpcRecord, 'respPort' | 'namedPipe'> = { respPort: 49_667, namedPipe: null },
): DceRpcRecord {
  return { ts, uid, origHost: orig, origPort: 49_000, respHost: resp, respPort: transport.respPort, rtt: 0.001, namedPipe: transport.namedPipe, endpoint, operation };
}
