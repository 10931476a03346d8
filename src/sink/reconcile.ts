/**
 * Exactly-once repair of anomalies.log after a crash, as pure logic. Before writing a batch the
 * daemon records "pending: input F offsets a→b, anomalies.log identity + size S, model id". After a
 * crash it re-scores that input range with the same model, which yields the exact bytes E the
 * batch would have written, and reads the bytes P that are in anomalies.log after offset S. A
 * write is one `write(2)` of E, so P can only be a prefix of E (possibly ending mid-line): the
 * missing suffix is appended and nothing is written twice. Anything else means our assumptions
 * broke (another writer, a different model, a replaced file) and the daemon must decide.
 */

/** What to do with anomalies.log after a crash during the batch whose expected bytes are known. */
export type ReconcileResult = ReconcileAppend | ReconcileMismatch;

/** The present bytes are a prefix of the expected ones: append `bytes` (possibly empty) and go on. */
export interface ReconcileAppend {
  kind: 'append';
  /** The missing suffix of the batch; empty when the whole batch reached the file. */
  bytes: Buffer;
  /** How many bytes of the batch were already in the file. */
  alreadyPresent: number;
}

/** The present bytes are not a prefix of the expected ones. */
export interface ReconcileMismatch {
  kind: 'mismatch';
  /**
   * `diverged`: the bytes differ at `firstDifferenceAt`; `present-longer`: the whole batch is there
   * but more bytes follow it (something else wrote to the file after it).
   */
  reason: 'diverged' | 'present-longer';
  /** Index (into both buffers) of the first byte that differs, or `expected.length` for present-longer. */
  firstDifferenceAt: number;
  expectedLength: number;
  presentLength: number;
  /**
   * An at-least-once fallback the daemon may write instead of failing: a `\n` that terminates a
   * torn last line (when the present bytes do not end with one) followed by the whole expected
   * batch. It never loses an anomaly but may duplicate some.
   */
  fallback: Buffer;
}

const NEWLINE = 0x0a;

/** Index of the first byte where `a` and `b` differ, or the shorter length when one is a prefix. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  // Buffer.compare on equal-length views is native and fast; narrow down only when it fails.
  if (Buffer.compare(a.subarray(0, n), b.subarray(0, n)) === 0) return n;
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Compares the bytes the batch should have written (`expected`) with those now in the file (`present`). */
export function reconcile(expected: Buffer, present: Buffer): ReconcileResult {
  const diff = firstDifference(expected, present);
  if (diff === present.length) {
    return { kind: 'append', bytes: expected.subarray(present.length), alreadyPresent: present.length };
  }
  const torn = present.length > 0 && present[present.length - 1] !== NEWLINE;
  return {
    kind: 'mismatch',
    reason: diff === expected.length ? 'present-longer' : 'diverged',
    firstDifferenceAt: diff,
    expectedLength: expected.length,
    presentLength: present.length,
    fallback: torn ? Buffer.concat([Buffer.from('\n'), expected]) : expected,
  };
}
