/**
 * One dce_rpc.log record as the rest of the program sees it: Zeek's field names are mapped to
 * domain names here, at the parse boundary. `null` is Zeek's unset (`-`, a missing JSON key or
 * `null`); an empty string is Zeek's `(empty)`. The two stay distinct until the feature stage.
 */
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

/** Where a record or a parse error came from. `offset` is the byte offset of the line's start. */
export interface SourceLocation {
  file: string;
  /** 1-based line number within the file. */
  line: number;
  offset: number;
}
