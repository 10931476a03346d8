/**
 * A hunt worker thread: takes whole files from the main thread one at a time, reads each (gzip
 * decompressed here, in a stream, on this thread), and posts its result back in chunks, in line
 * order: anomaly text for `score`, decoded records for `train`/`eval`. It waits before posting
 * more than `maxInflight` chunks the main thread has not consumed, so a worker that runs ahead of
 * the file being written holds a bounded amount, not a whole file.
 */
import { parentPort } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { isDaemonError } from '../errors.js';
// The stage modules themselves, not their index files: a worker loads only what it runs. (Type
// imports load nothing, so they come from the index files.)
import { ANOMALY_SCHEMA, anomalyValues } from '../score/anomaly-record.js';
import { RecordEvaluator } from '../score/evaluator.js';
import { scoringRuleFrom } from '../score/scorer.js';
import { TrainingSampler } from '../features/sampler.js';
import { techniqueFor } from '../score/techniques.js';
import { isAdminEndpointWritten } from '../score/admin-hosts.js';
import { createAnomalyFormatter, type AnomalyFormatter } from '../sink/format.js';
import type { DceRpcEventHandler, DceRpcReadEvent, DceRpcRecord, ReadRange, SourceLocation } from '../zeek/index.js';
import {
  batchTransferList,
  RecordBatchBuilder,
  type ChunkMessage,
  type FromWorker,
  type HuntWorkerData,
  type ToWorker,
  type TrainSample,
  type UnitJob,
} from './messages.js';
import { scanLogFile } from './scan.js';
import { WARM_UP_NAME, WARM_UP_PASSES, warmUpLog } from './warm-up.js';
import { skipCostOf, splitPoint } from './split-point.js';

/** Anomaly text collected before a chunk is posted. */
const TEXT_CHUNK_CHARS = 256 * 1024;
/** Records decoded before a chunk is posted even when it carries nothing else (progress). */
const RECORDS_PER_CHUNK = 65_536;

const port = parentPort;
if (port === null) throw new Error('hunt worker: not started as a worker thread');
// Set up by the first message (the worker may have been started before its task was known: see
// StartedWorkers); nothing else is sent before this worker says it is ready.
const data = await new Promise<HuntWorkerData>((resolve) => {
  port.once('message', (message: ToWorker) => {
    if (message.kind !== 'setup') throw new Error(`hunt worker: '${message.kind}' before setup`);
    resolve(message.data);
  });
});
const since = data.range.since ?? -Infinity;
const until = data.range.until ?? Infinity;

/** Per-record work of the task, and what it has collected for the next chunk. */
interface Consumer {
  /** A new file begins: `index` is its place in the archive's order. */
  startFile?(index: number): void;
  take(record: DceRpcRecord, line: number): void;
  /** Moves what was collected into `chunk` (and returns buffers to transfer). */
  drain(chunk: ChunkMessage): ArrayBuffer[];
  /** Whether enough was collected to post a chunk now. */
  readonly due: boolean;
}

type ScoreTask = Extract<HuntWorkerData['task'], { kind: 'score' }>;

/**
 * `score`: each record's verdict, and the anomaly lines for the next chunk. A class, so the
 * warm-up's consumer (`warmUp` below) and the real one share call targets.
 */
class ScoreConsumer implements Consumer {
  readonly evaluator: RecordEvaluator;
  // One array, emptied in place: a fresh `[]` per chunk let its literal's elements kind change
  // under compiled code (a deopt and a recompile of the scoring loop, `--trace-deopt`). Made
  // holding a string (emptied in the constructor) so that the warm-up's and the real consumer's
  // arrays have one map from the start.
  readonly parts: string[] = [''];
  size = 0;
  anomalies = 0;
  suppressed = 0;

  constructor(
    readonly task: ScoreTask,
    /** Stateless (a line from values): shared with the warm-up's consumer. */
    readonly formatter: AnomalyFormatter,
  ) {
    // The main thread checked that the model fits the configured features.
    const { config, model } = task;
    this.evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow });
    this.parts.length = 0;
  }

  take(record: DceRpcRecord): void {
    const evaluation = this.evaluator.evaluate(record);
    // Not `evaluation.verdict.anomalous`: see Evaluation.anomalous.
    if (!evaluation.anomalous) return;
    if (evaluation.suppressedBy !== undefined) {
      this.suppressed += 1;
      return;
    }
    this.anomalies += 1;
    const line = this.formatter.record(anomalyValues(record, evaluation.context, evaluation.verdict, this.task.model));
    this.parts.push(line);
    this.size += line.length;
  }

  drain(chunk: ChunkMessage): ArrayBuffer[] {
    chunk.text = this.parts.join('');
    chunk.anomalies = this.anomalies;
    chunk.suppressed = this.suppressed;
    this.parts.length = 0;
    this.size = 0;
    this.anomalies = 0;
    this.suppressed = 0;
    return [];
  }

  get due(): boolean {
    return this.size >= TEXT_CHUNK_CHARS;
  }
}

function scoreFormatter(task: ScoreTask): AnomalyFormatter {
  return createAnomalyFormatter({ format: task.format, schema: ANOMALY_SCHEMA, fieldNames: task.config.output.fieldNames });
}

function recordsConsumer(): Consumer {
  const builder = new RecordBatchBuilder(data.chunkRecords);
  return {
    take(record, line) {
      builder.add(record, line);
    },
    drain(chunk) {
      if (builder.count === 0) return [];
      const batch = builder.take();
      chunk.batch = batch;
      return batchTransferList(batch);
    },
    get due() {
      return builder.full;
    },
  };
}

const DAY_SECONDS = 86_400;

/**
 * `train`: the file's sample, and its routine/vetting observations with repeats folded. What
 * TrainingSetBuilder counts per record (routine.ts RoutineStats.observe, vetting.ts observe)
 * depends only on (orig host, UTC day, endpoint, operation; plus the responder for discovery
 * operations, whose fan-out it counts, and for administration interfaces, whose responders per host
 * it counts: admin-hosts.ts) and the earliest ts of each, and on which (orig host,
 * responder) pairs occur (who calls a responder at all, src/score/reach.ts), so one record per
 * distinct tuple, carrying that ts, plus any record with a pair not seen yet (its tuple already
 * counted, it changes nothing else), gives the same statistics (short of the tables'
 * overflow limits, where the order of arrivals decides what is evicted); a record without an
 * orig host counts for nothing and is left out. Tuples are folded within one chunk, whose limits
 * depend only on the file's bytes, so the observations do not depend on the thread count either.
 */
function trainConsumer(sample: TrainSample): Consumer {
  let sampler = new TrainingSampler({ ...sample, stream: 0 });
  const sampled = new RecordBatchBuilder(Math.max(64, Math.ceil(data.chunkRecords / sample.every)));
  const observed = new RecordBatchBuilder(data.chunkRecords, 'observation');
  // Tuples are found without building a key string per record: host → (day, endpoint-operation
  // pair) → place in `observed`. Endpoints and operations are interned by the decoder, so their
  // lookups reuse cached hashes.
  let byHost = new Map<string, Map<number, number>>();
  // host → the responders it called in this chunk.
  let calledBy = new Map<string, Set<string>>();
  // Discovery operations are folded per responder too: the routine statistics count their fan-out.
  let discovery = new Map<string, number>();
  let pairs = new Map<string | null, Map<string | null, number>>();
  let pairCount = 0;
  const pairOf = (endpoint: string | null, operation: string | null): number => {
    let byOperation = pairs.get(endpoint);
    if (byOperation === undefined) pairs.set(endpoint, (byOperation = new Map<string | null, number>()));
    let pair = byOperation.get(operation);
    if (pair === undefined) byOperation.set(operation, (pair = pairCount++));
    return pair;
  };
  return {
    startFile(index) {
      sampler = new TrainingSampler({ ...sample, stream: index });
    },
    take(record, line) {
      if (sampler.take()) sampled.add(record, line);
      const host = record.origHost;
      if (host === null) return;
      let seen = byHost.get(host);
      if (seen === undefined) byHost.set(host, (seen = new Map<number, number>()));
      // Exact while pairs < 2^20 and days < 2^33: far beyond one chunk and any real ts.
      const key = Math.floor(record.ts / DAY_SECONDS) * 1_048_576 + pairOf(record.endpoint, record.operation);
      // Administration interfaces too: the statistics count their responders per host (admin-hosts.ts).
      if (record.respHost !== null && (techniqueFor(record.operation)?.danger === 'low' || isAdminEndpointWritten(record.endpoint))) {
        const id = `${host}\u0000${key}\u0000${record.respHost}`;
        const seenAt = discovery.get(id);
        if (seenAt === undefined) discovery.set(id, observed.add(record, line));
        else observed.lowerTs(seenAt, record.ts);
        return;
      }
      const at = seen.get(key);
      if (at === undefined) seen.set(key, observed.add(record, line));
      else observed.lowerTs(at, record.ts);
      if (record.respHost === null) return;
      let called = calledBy.get(host);
      if (called === undefined) calledBy.set(host, (called = new Set<string>()));
      if (called.has(record.respHost)) return;
      called.add(record.respHost);
      if (at !== undefined) observed.add(record, line);
    },
    drain(chunk) {
      const transfer: ArrayBuffer[] = [];
      if (sampled.count > 0) {
        chunk.sampled = sampled.take();
        transfer.push(...batchTransferList(chunk.sampled));
      }
      if (observed.count > 0) {
        chunk.observed = observed.take();
        transfer.push(...batchTransferList(chunk.observed));
      }
      byHost = new Map();
      calledBy = new Map();
      discovery = new Map();
      pairs = new Map();
      pairCount = 0;
      return transfer;
    },
    get due() {
      return observed.full || pairCount >= 1 << 19;
    },
  };
}

/**
 * Chunks posted and not yet consumed, by unit. Units are consumed in (file, from) order, so
 * chunks of a unit after the one being read cannot be consumed before it is done: only those of
 * it and of earlier units count against `maxInflight` (a worker that finished a later file and
 * then takes over part of an earlier one would otherwise wait forever).
 */
const inflight = new Map<number, { file: number; from: number; chunks: number }>();
let creditWaiter: (() => void) | null = null;

function blocking(job: UnitJob): number {
  let count = 0;
  for (const unit of inflight.values()) {
    if (unit.file < job.file || (unit.file === job.file && unit.from <= job.from)) count += unit.chunks;
  }
  return count;
}
const jobs: ToWorker[] = [];
let jobWaiter: (() => void) | null = null;

/** The unit being read, while its lines are still being read. */
interface Reading {
  index: number;
  range: ReadRange;
  size: number;
  /**
   * TSV under a header block (or a part split from such a file): lines can be handed on;
   * undefined until the first line says.
   */
  splittable: boolean | undefined;
  /** performance.now() when its own lines began (past `from`), once they did. */
  reachedAt: number | undefined;
  /** Milliseconds since then spent waiting for the main thread to consume chunks. */
  waitedMs: number;
}
let reading: Reading | null = null;

/** What this worker's finished units cost to process: their own lines' bytes and ns (waits left out). */
const processed = { bytes: 0, ns: 0 };
/** Processed bytes below which a rate is not trusted (a few chunks: JIT warm-up, cold caches). */
const MIN_MEASURED_BYTES = 1 << 20;

/** Bytes the unit has processed of its own lines, and the ns it took. */
function processedIn(unit: Reading): { bytes: number; ns: number } {
  if (unit.reachedAt === undefined) return { bytes: 0, ns: 0 };
  const { from, to, committed } = unit.range;
  return { bytes: Math.max(0, Math.min(committed, to, unit.size > 0 ? unit.size : Infinity) - from), ns: (performance.now() - unit.reachedAt - unit.waitedMs) * 1e6 };
}

/** This worker's processing cost per byte, finished units and the current one together, once measured. */
function processNsPerByte(unit: Reading): number | undefined {
  const current = processedIn(unit);
  const bytes = processed.bytes + current.bytes;
  return bytes >= MIN_MEASURED_BYTES ? (processed.ns + current.ns) / bytes : undefined;
}

/**
 * Answers a split request at once (between two chunks of the reader, so `committed` is exact):
 * this unit now ends where split-point.ts says both workers finish together, never before a line
 * already handled, or is not split when the re-read would cost more than it saves.
 */
function split(index: number, skipNsPerByte: number | undefined): void {
  const unit = reading;
  let at: number | null = null;
  // Not final: this unit's head is not read yet, ask again later.
  const final = unit === null || unit.index !== index || unit.splittable !== undefined;
  if (unit !== null && unit.index === index && unit.splittable === true) {
    const { committed, to } = unit.range;
    const end = Math.min(to, unit.size);
    // Lines before `from` are skipped, not read: the earliest place to cut is the later of the two.
    const done = Math.max(committed, unit.range.from);
    const cut = splitPoint(done, end, data.skipCost ?? skipCostOf(processNsPerByte(unit), skipNsPerByte), data.minSplitBytes);
    if (cut !== null && cut < to) {
      unit.range.to = cut;
      at = cut;
    }
  }
  post({ kind: 'split', index, at, final });
}

port.on('message', (message: ToWorker) => {
  if (message.kind === 'split') {
    split(message.index, message.skipNsPerByte);
    return;
  }
  if (message.kind === 'ack') {
    const unit = inflight.get(message.index);
    if (unit !== undefined && --unit.chunks === 0) inflight.delete(message.index);
    const wake = creditWaiter;
    creditWaiter = null;
    wake?.();
    return;
  }
  jobs.push(message);
  const wake = jobWaiter;
  jobWaiter = null;
  wake?.();
});

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function nextJob(): Promise<ToWorker> {
  while (jobs.length === 0) await new Promise<void>((resolve) => (jobWaiter = resolve));
  return jobs.shift() as ToWorker;
}

/**
 * One unit's reading: its events (as DceRpcEventHandler, so the read loop compiled for the first
 * file keeps its call target for every later one), its counts since the last chunk, and posting
 * them in chunks.
 */
class UnitScan implements DceRpcEventHandler {
  records = 0;
  outside = 0;
  errors: string[] = [];
  readonly range: ReadRange;
  readonly unit: Reading;
  readonly startedAt = performance.now();
  readonly format = { json: false };
  /** For a part past the head: what reading past the head cost, posted with the next chunk. */
  skipped: ChunkMessage['skipped'];

  constructor(
    readonly consumer: Consumer,
    readonly job: UnitJob,
  ) {
    this.range = { from: job.from, to: job.to, committed: job.from };
    this.unit = {
      index: job.index,
      range: this.range,
      size: job.size,
      // A part split off another was judged splittable by the worker that read the file's head.
      splittable: !data.splittable ? false : job.from > 0 ? true : undefined,
      reachedAt: job.from > 0 ? undefined : this.startedAt,
      waitedMs: 0,
    };
  }

  onEvent(event: DceRpcReadEvent, where: SourceLocation): void {
    const unit = this.unit;
    if ('kind' in event) {
      if (event.kind === 'header') {
        unit.splittable ??= !this.format.json;
        return;
      }
      unit.splittable ??= false;
      this.errors.push(`${event.file}:${event.line}: ${event.reason}\n`);
      return;
    }
    unit.splittable ??= false;
    if (event.ts < since || event.ts >= until) {
      this.outside += 1;
      return;
    }
    this.records += 1;
    this.consumer.take(event, where.line);
  }

  afterChunk(): Promise<void> | undefined {
    const { unit, range } = this;
    if (unit.reachedAt === undefined && range.committed >= range.from) {
      unit.reachedAt = performance.now();
      this.skipped = { bytes: range.from, ns: (unit.reachedAt - this.startedAt) * 1e6 };
    }
    return this.consumer.due || this.errors.length > 0 || this.records >= RECORDS_PER_CHUNK ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    const { job, unit } = this;
    const index = job.index;
    const chunk: ChunkMessage = { kind: 'chunk', index, records: this.records, outside: this.outside, errors: this.errors, position: this.range.committed };
    if (this.skipped !== undefined) {
      chunk.skipped = this.skipped;
      this.skipped = undefined;
    }
    const transfer = this.consumer.drain(chunk);
    this.records = 0;
    this.outside = 0;
    this.errors = [];
    if (blocking(job) >= data.maxInflight) {
      const waitFrom = performance.now();
      while (blocking(job) >= data.maxInflight) await new Promise<void>((resolve) => (creditWaiter = resolve));
      if (unit.reachedAt !== undefined) unit.waitedMs += performance.now() - waitFrom;
    }
    const posted = inflight.get(index);
    if (posted === undefined) inflight.set(index, { file: job.file, from: job.from, chunks: 1 });
    else posted.chunks += 1;
    post(chunk, transfer);
  }
}

async function scoreFile(consumer: Consumer, job: UnitJob): Promise<void> {
  const scan = new UnitScan(consumer, job);
  const { unit, range, format } = scan;
  reading = unit;
  try {
    // Inflated here, not in the thread pool: each worker then carries its own files' gzip CPU.
    await scanLogFile(job.path, scan, () => scan.afterChunk(), data.splittable ? range : undefined, { format, inflateOnThisThread: true });
  } finally {
    // Before any other await: a split answered now would hand on lines already read.
    reading = null;
  }
  const cost = processedIn(unit);
  processed.bytes += cost.bytes;
  processed.ns += cost.ns;
  await scan.flush();
}

/**
 * The JIT warm-up (warm-up.ts): the built-in log read through the same scan and consumer classes
 * as a real file, on `consumer`, which is then dropped. Nothing is posted, and neither the
 * split-rate figures nor `reading` are touched.
 */
async function warmUp(consumer: Consumer): Promise<void> {
  const plain = warmUpLog();
  const size = plain.reduce((sum, chunk) => sum + chunk.length, 0);
  // After the first pass, gzip, inflated on this thread as the real files are: the inflater's
  // and the stream's code is then compiled before the first file too (its first chunk took
  // several times as long as the next ones).
  const whole = gzipSync(Buffer.concat(plain));
  const gzipped = [whole.subarray(0, whole.length >> 1), whole.subarray(whole.length >> 1)];
  try {
    for (let pass = 0; pass < WARM_UP_PASSES; pass++) {
      const scan = new UnitScan(consumer, { kind: 'file', index: -1, file: -1, path: WARM_UP_NAME, from: 0, to: Infinity, size });
      const source = pass === 0 ? plain : gzipped;
      await scanLogFile(WARM_UP_NAME, scan, undefined, data.splittable ? scan.range : undefined, { format: scan.format, source, inflateOnThisThread: true });
    }
    // Once more as a part of a split file (from the second quarter to the middle), where the
    // run's last file is split between workers: lines before the part (skipped, meta lines
    // decoded), a line past its end (stop, close the inflater early). First taken at the run's
    // end otherwise, after the read loop was compiled: a deopt and a recompile of it in each
    // worker, both at once (`--trace-deopt`, -j 2).
    if (data.splittable) {
      const scan = new UnitScan(consumer, { kind: 'file', index: -1, file: -1, path: WARM_UP_NAME, from: size >> 2, to: size >> 1, size });
      await scanLogFile(WARM_UP_NAME, scan, undefined, scan.range, { format: scan.format, source: gzipped, inflateOnThisThread: true });
    }
  } catch {
    // Only for speed: nothing it meets may fail a run that would succeed without it (the real
    // files go through the same code and report their own problems).
  }
}

async function main(): Promise<void> {
  const task = data.task;
  let consumer: Consumer;
  if (task.kind === 'score') {
    const formatter = scoreFormatter(task);
    // On a consumer of its own, thrown away after: the real one starts as fresh as without it.
    if (data.warmUp) await warmUp(new ScoreConsumer(task, formatter));
    consumer = new ScoreConsumer(task, formatter);
  } else {
    consumer = task.kind === 'train' ? trainConsumer(task.sample) : recordsConsumer();
  }
  post({ kind: 'ready' });
  for (;;) {
    const job = await nextJob();
    if (job.kind !== 'file') break;
    try {
      consumer.startFile?.(job.file);
      await scoreFile(consumer, job);
      post({ kind: 'done', index: job.index });
    } catch (error) {
      if (!isDaemonError(error) || error.code !== 'ERR_INPUT_UNREADABLE') throw error;
      post({ kind: 'unreadable', index: job.index, message: error.message });
    }
  }
  port?.close();
}

await main();
