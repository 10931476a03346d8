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

/** Where the bytes a restart replay holds came from: anomalies.log as progress.json saw it. */
export interface ReplayMark {
  dev: number;
  ino: number;
  size: number;
}

/**
 * After a restart, the anomaly bytes re-scored for lines past the saved position are matched
 * against the bytes anomalies.log already holds past the saved size (`present`), so that nothing
 * is written twice:
 * - In order first: while the re-scored bytes are a prefix of `present`, nothing is written;
 *   when they run past its end, only the rest is (it completes a torn last line, if any).
 * - Out of order after a divergence: the restart read other lines than the run before it (a file
 *   lost or overwritten between the two, files read in another order). From the first
 *   difference on, `present` is a multiset of whole lines: a re-scored line that equals one of
 *   them is skipped (once per copy), any other is written. The on-disk lines nothing re-produced
 *   stay where they are: their input was read once, by the run that wrote them.
 *
 * Pure: the daemon feeds it the re-scored bytes batch by batch and writes what it returns.
 */
export class OutputReplay {
  readonly mark: ReplayMark;
  readonly #present: Buffer;
  /** In-order phase: bytes of `present` matched so far (always at a line boundary between batches). */
  #position = 0;
  #done: boolean;
  /** Out-of-order phase: the unmatched lines from the divergence on, by content. */
  #lines: LineSet | null = null;
  /** Set when the re-scored output did not match what was on disk in order. */
  diverged = false;

  constructor(present: Buffer, mark: ReplayMark) {
    this.#present = present;
    this.mark = { ...mark };
    this.#done = present.length === 0;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Bytes already on disk that re-scoring has not (yet) accounted for. */
  get unmatched(): number {
    if (this.#done) return 0;
    return this.#lines === null ? this.#present.length - this.#position : this.#lines.unmatchedBytes;
  }

  /**
   * Bytes of `present`, from its start, that re-scoring has accounted for: everything before the
   * first line still unmatched. A checkpoint saves `mark.size + accounted` as the output size, so
   * that the next restart sees every unmatched line (and every line written after them) again.
   */
  get accounted(): number {
    if (this.#done) return this.#present.length;
    return this.#lines === null ? this.#position : this.#lines.firstUnmatchedAt;
  }

  /** Returns the part of `expected` (whole lines, re-scored) that still has to be written. */
  admit(expected: Buffer): Buffer {
    if (this.#done) return expected;
    if (this.#lines !== null) return this.#admitOutOfOrder(expected);
    const remaining = this.#present.length - this.#position;
    const n = Math.min(remaining, expected.length);
    if (this.#present.compare(expected, 0, n, this.#position, this.#position + n) !== 0) {
      this.diverged = true;
      this.#lines = new LineSet(this.#present, this.#position);
      return this.#admitOutOfOrder(expected);
    }
    this.#position += n;
    if (this.#position === this.#present.length) this.#done = true;
    return expected.subarray(n);
  }

  #admitOutOfOrder(expected: Buffer): Buffer {
    const lines = this.#lines as LineSet;
    const kept: Buffer[] = [];
    let start = 0;
    while (start < expected.length) {
      const newline = expected.indexOf(NEWLINE, start);
      const end = newline === -1 ? expected.length : newline + 1;
      const line = expected.subarray(start, end);
      if (newline === -1 || !lines.take(line)) kept.push(line);
      start = end;
    }
    if (lines.complete) this.#done = true;
    return kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept);
  }

  /**
   * Ends the replay. What is on disk but was not re-produced stays; a torn last line is not
   * ended with a newline here (that would turn a fragment into a line a parser may accept): the
   * writer cuts it off before `next` is appended (AnomalyLogWriter.appendBatch).
   */
  finish(next: Buffer = Buffer.alloc(0)): Buffer {
    this.#done = true;
    this.#lines = null;
    return next;
  }
}

/**
 * The whole lines of `present` from `from` on, as a multiset keyed by content, remembering where
 * each sits so that the first unmatched one is known. A torn last line (no newline) is never
 * matched: the writer cuts it off before the next append, and its record is written whole.
 */
class LineSet {
  readonly #byContent = new Map<string, number[]>();
  readonly #starts: number[] = [];
  readonly #matched: boolean[] = [];
  readonly #end: number;
  #firstUnmatched = 0;
  #left = 0;
  #leftBytes: number;
  #torn = false;

  constructor(present: Buffer, from: number) {
    this.#end = present.length;
    this.#leftBytes = present.length - from;
    let start = from;
    while (start < present.length) {
      const newline = present.indexOf(NEWLINE, start);
      this.#starts.push(start);
      this.#matched.push(false);
      if (newline === -1) {
        this.#torn = true;
        break;
      }
      const key = present.toString('latin1', start, newline + 1);
      const indexes = this.#byContent.get(key);
      if (indexes === undefined) this.#byContent.set(key, [this.#starts.length - 1]);
      else indexes.push(this.#starts.length - 1);
      this.#left += 1;
      start = newline + 1;
    }
  }

  /** Marks one unmatched copy of `line` as re-produced; false when there is none. */
  take(line: Buffer): boolean {
    const key = line.toString('latin1');
    const indexes = this.#byContent.get(key);
    if (indexes === undefined) return false;
    const index = indexes.shift() as number;
    if (indexes.length === 0) this.#byContent.delete(key);
    this.#matched[index] = true;
    this.#left -= 1;
    this.#leftBytes -= line.length;
    while (this.#firstUnmatched < this.#matched.length && this.#matched[this.#firstUnmatched] === true) this.#firstUnmatched += 1;
    return true;
  }

  /** Every whole line re-produced, and no torn fragment left to account for. */
  get complete(): boolean {
    return this.#left === 0 && !this.#torn;
  }

  get unmatchedBytes(): number {
    return this.#leftBytes;
  }

  get firstUnmatchedAt(): number {
    return this.#starts[this.#firstUnmatched] ?? this.#end;
  }
}
