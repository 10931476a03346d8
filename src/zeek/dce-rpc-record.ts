/**
 * One dce_rpc.log record as the rest of the program sees it: Zeek's field names are mapped to
 * domain names here, at the parse boundary. `null` is Zeek's unset (`-`, a missing JSON key or
 * `null`); an empty string is Zeek's `(empty)`. The two stay distinct until the feature stage.
 */
/**
 * The times a record may carry: 1970-01-01 up to, not including, the year 10000. Anything else
 * (a forged `ts = 9000000000000`, a negative epoch) has no ISO 8601 form with a four-digit year,
 * no calendar date in JavaScript beyond ±8.64e15 ms, and no meaning on a sensor: it is a parse
 * error at the boundary, never a value that reaches the formatters or the model.
 */
export const TS_MIN_SECONDS = 0;
/** Exclusive: 10000-01-01T00:00:00Z. */
export const TS_END_SECONDS = 253_402_300_800;

/** True when `ts` is a time a record may carry (see TS_MIN_SECONDS). */
export function isRecordTime(ts: number): boolean {
  return ts >= TS_MIN_SECONDS && ts < TS_END_SECONDS;
}

export interface DceRpcRecord {
  /** `ts`: epoch seconds. */
  ts: number;
  uid: string | null;
  /** `id.orig_h` */
  origHost: string | null;
  /** `id.orig_p` */
  origPort: number | null;
  /** `id.resp_h` */
  respHost: string | null;
  /** `id.resp_p` */
  respPort: number | null;
  /** `rtt`, seconds. */
  rtt: number | null;
  namedPipe: string | null;
  endpoint: string | null;
  operation: string | null;
}

/**
 * Settles, once per isolate at load, the hidden class that every DceRpcRecord literal shares
 * (the decoders build them with these keys in this order): ts as a double that also takes whole
 * seconds, ports and rtt as any number or null, the texts as a string or null. Left to the data,
 * the first whole-second ts or the first rtt after unset ones changes a field's representation,
 * which deoptimises the decoder and the scoring loop built around the old one, and TurboFan
 * compiles them again: in each hunt worker, on a core the other workers need (`--trace-deopt`).
 */
function settleRecordShape(): DceRpcRecord[] {
  const variants: [number, number | null, string | null][] = [[0.5, null, null], [1, 1, ''], [2.5, 0.5, null]];
  return variants.map(([ts, n, s]) => ({ ts, uid: s, origHost: s, origPort: n, respHost: s, respPort: n, rtt: n, namedPipe: s, endpoint: s, operation: s }));
}
settleRecordShape();

/** Where a record or a parse error came from. `offset` is the byte offset of the line's start. */
export interface SourceLocation {
  file: string;
  /** 1-based line number within the file. */
  line: number;
  offset: number;
}
