/**
 * Where to cut a file part that a free worker offers to share (pool.ts), from what the workers
 * measured: pure, so the rule is tested on its own.
 *
 * The free worker cannot enter a gzip stream mid-way: it reads the file again from its start up
 * to the cut, inflating and splitting lines without decoding them, and then processes the rest.
 * That re-read costs `skipCost` of the time a byte costs to process (decode, score, format), per
 * byte up to the cut. With the reader at `done` and the part ending at `end`, the cut `at` where
 * both finish together is where  at - done = k·at + end - at,  that is  at = (end + done) / (2 - k).
 * The split saves the wait  end - at  (in processed bytes) and costs the re-read  k·at  of work on
 * the other core; it is taken only when the saving is the larger, and hands over at least
 * `minBytes`. Near the end of a file, or late in a long run of equal files, it is declined: the
 * re-read costs more than it saves and competes with the reader for CPU (memory bandwidth, V8's
 * helpers). Early in a big file (one huge file beside small ones) it is taken.
 *
 * With `skipCost` 0 this is the plain halving of what is left (the rule before costs were known).
 */

/** The re-read's cost per byte against processing's, before any worker has measured both. */
export const DEFAULT_SKIP_COST = 0.15;

/**
 * The cut (an uncompressed offset, done <= at < end), or null when a split does not pay.
 * `skipCost` is clamped to [0, 1): a re-read as dear as processing never pays.
 */
export function splitPoint(done: number, end: number, skipCost: number, minBytes: number): number | null {
  if (!(skipCost < 1)) return null;
  const k = skipCost > 0 ? skipCost : 0;
  const at = Math.max(done, Math.floor((end + done) / (2 - k)));
  if (end - at < minBytes) return null;
  if (end - at <= k * at) return null;
  return at;
}

/**
 * The re-read's cost against processing's, from a worker's own processing rate (ns per byte,
 * undefined before it has processed enough to tell) and the skip rate the pool gathered from the
 * workers that re-read a head (ns per byte, undefined before any did): DEFAULT_SKIP_COST for
 * what is not measured yet.
 */
export function skipCostOf(processNsPerByte: number | undefined, skipNsPerByte: number | undefined): number {
  if (processNsPerByte === undefined || skipNsPerByte === undefined || !(processNsPerByte > 0)) return DEFAULT_SKIP_COST;
  return skipNsPerByte / processNsPerByte;
}
