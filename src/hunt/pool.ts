/**
 * Reads an archive's files in worker threads and hands their results to the main thread in
 * file order, whatever order the workers finish in: file i's chunks are consumed only once
 * files 0..i-1 are complete. Each file goes whole to whichever worker is free.
 *
 * At the end of a `score` run, when a worker is free and no file is left, it takes over about
 * half of what is left of the file with the most left to read (by uncompressed offset; see
 * ReadRange): that file's worker stops at a line boundary past the middle, the free one reads
 * the file from its start (a gzip stream cannot be entered mid-way; inflating is a small part
 * of the work), skips to that line and scores the rest. Parts are consumed in order, so the
 * output is the same bytes; so no core idles while the last file is read by one. `train` does
 * not split (its sample and folded observations are per file, see worker.ts).
 *
 * Memory is bounded by the worker count, not the archive: a worker may have at most
 * `maxInflight` chunks of the unit it reads and of earlier units posted and not yet consumed,
 * after which it waits, so workers that run ahead of the file being consumed stop after a few
 * chunks. (Chunks of a later unit it finished do not count while it reads a part of an earlier
 * file, which would otherwise wait for them forever: at most `maxInflight` more per part.)
 */
import { Worker } from 'node:worker_threads';
import { DaemonError } from '../errors.js';
import type { ArchiveFile } from './archive.js';
import type { ChunkMessage, FromWorker, HuntTask, HuntWorkerData, ToWorker } from './messages.js';
import type { TimeRange } from './archive.js';

/** Chunks per worker posted and not yet consumed (records: a chunk holds decoded records). */
export const MAX_INFLIGHT = 4;
/**
 * The same for `score`, whose chunks hold only anomaly text (at most 256 Ki characters) and
 * counts, one per 65,536 records read: 4 of them are one file, so a worker that finished a short
 * file stalled on the next until the long one before it was done (days differ in size); 16 lets it
 * run a few files ahead for at most a few MB.
 */
export const MAX_INFLIGHT_SCORE = 16;
/** Records per chunk of the `records` task. */
export const CHUNK_RECORDS = 16_384;
/**
 * Least uncompressed bytes handed to a free worker: below this (about 10,000 records) re-reading
 * the file's head costs more than the wait it saves.
 */
export const MIN_SPLIT_BYTES = 1 << 20;

const WORKER_URL = new URL('./worker.js', import.meta.url);

/**
 * Hunt workers started before their task is known: each loads its modules (tens of ms, on its own
 * thread) while the caller reads its configuration and model and discovers the archive, instead
 * of after; runPool sets them up (`setup`, their first message). Workers not handed to a pool are
 * stopped by `close`.
 */
export class StartedWorkers {
  readonly #workers: Worker[];
  /** The first failure of a worker not yet handed on (a worker that could not load). */
  #failure: Error | undefined;

  constructor(count: number) {
    this.#workers = Array.from({ length: Math.max(1, count) }, () => {
      const worker = new Worker(WORKER_URL);
      worker.once('error', (error) => (this.#failure ??= error));
      return worker;
    });
  }

  /** Up to `count` of the workers for a pool (the others are stopped), and any earlier failure. */
  take(count: number): { workers: Worker[]; failure: Error | undefined } {
    const workers = this.#workers.splice(0, count);
    this.close();
    return { workers, failure: this.#failure };
  }

  /** Stops the workers no pool took (the caller failed before scoring). */
  close(): void {
    for (const worker of this.#workers.splice(0)) void worker.terminate();
  }
}

export interface PoolOptions {
  /**
   * The files, or a promise of them: the workers then start (load modules, build the scorer)
   * while the archive is still being discovered, and `threads` are started whatever the count.
   */
  files: readonly ArchiveFile[] | Promise<readonly ArchiveFile[]>;
  task: HuntTask;
  range: TimeRange;
  /** Worker threads, at least 1 (capped at the file count). */
  threads: number;
  /** Records per chunk of the `records` task (a chunk may hold one input read more). @default CHUNK_RECORDS */
  chunkRecords?: number;
  /** Least bytes a split hands over (tests make it small). @default MIN_SPLIT_BYTES */
  minSplitBytes?: number;
  /** Whether files may be split between workers (with 2 threads or more). @default true for `score` */
  split?: boolean;
  /**
   * The re-read's cost against processing's for the split rule (split-point.ts), fixed: 0 always
   * halves what is left (tests of the splitting itself). @default measured by the workers
   */
  skipCost?: number;
  /**
   * Whether a `score` worker warms its JIT on a built-in log before its first file (warm-up.ts).
   * It changes no output; false is for the test that checks that. @default true
   */
  warmUp?: boolean;
  /** Workers started ahead (StartedWorkers): used first, before any new one is started. */
  started?: StartedWorkers;
  /** Each chunk, in file order then line order; awaited before the next (and before its ack). */
  onChunk: (chunk: ChunkMessage, file: ArchiveFile) => Promise<void> | void;
  /** A file that could not be opened at all; the others are still read. */
  onUnreadable: (file: ArchiveFile, message: string) => void;
  /** A file is complete (all its chunks consumed). */
  onFileDone?: (file: ArchiveFile) => void;
}

/** A file, or a part of one; parts of a file are consecutive in the consuming order. */
interface Unit {
  index: number;
  file: number;
  from: number;
  to: number;
  queue: (ChunkMessage | { kind: 'done' } | { kind: 'unreadable'; message: string })[];
  worker: Worker | undefined;
  /** Uncompressed offset its worker last reported. */
  position: number;
  /** A split was asked for and not answered yet. */
  splitting: boolean;
  /** Its worker declined a split (JSON, no header, too little left): not asked again. */
  whole: boolean;
  /** Its worker has finished it. */
  finished: boolean;
}

/** What a run of the pool observed. */
export interface PoolStats {
  /** Most chunks received from workers and not yet consumed, at any moment. */
  maxQueuedChunks: number;
  /** Files parts handed to a free worker. */
  splits: number;
}

/** Runs the pool until every file was consumed; rejects when a worker fails. */
export async function runPool(options: PoolOptions): Promise<PoolStats> {
  const stats: PoolStats = { maxQueuedChunks: 0, splits: 0 };
  const known = Array.isArray(options.files) ? (options.files as readonly ArchiveFile[]) : undefined;
  if (known?.length === 0) {
    options.started?.close();
    return stats;
  }
  let files: readonly ArchiveFile[] = [];
  /** By unit index. */
  const units: Unit[] = [];
  /** In consuming order. */
  const order: Unit[] = [];
  let resolved = false;
  let queued = 0;
  const splittable = (options.split ?? options.task.kind === 'score') && options.task.kind !== 'train' && options.threads > 1;
  const workerData: HuntWorkerData = {
    task: options.task,
    range: options.range,
    maxInflight: options.task.kind === 'score' ? MAX_INFLIGHT_SCORE : MAX_INFLIGHT,
    chunkRecords: options.chunkRecords ?? CHUNK_RECORDS,
    splittable,
    minSplitBytes: options.minSplitBytes ?? MIN_SPLIT_BYTES,
    warmUp: options.warmUp ?? true,
    ...(options.skipCost === undefined ? {} : { skipCost: options.skipCost }),
  };
  /** What re-reading heads cost the workers that did (parts past a file's head), for the split rule. */
  const skipped = { bytes: 0, ns: 0 };
  const fewest = (n: number): number => (splittable ? options.threads : Math.min(options.threads, n));
  const count = Math.max(1, known === undefined ? options.threads : fewest(known.length));
  const workers: Worker[] = [];
  /** Workers ready before the file list is known. */
  const idle: Worker[] = [];
  /** Free workers waiting for the answer to a split, by the unit asked. */
  const waiting = new Map<number, Worker>();
  /** Free workers to try again at the next progress report (a split was not possible yet). */
  let spare: Worker[] = [];
  let nextFile = 0;
  let head = 0;
  let draining = false;
  let settled = false;
  /** Files already reported unreadable (once per file, whatever its parts). */
  const unreadable = new Set<number>();

  return new Promise<PoolStats>((resolve, reject) => {
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      for (const worker of workers) void worker.terminate();
      reject(error);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const worker of workers) worker.postMessage({ kind: 'end' } satisfies ToWorker);
      resolve(stats);
    };
    const start = (worker: Worker, unit: Unit): void => {
      unit.worker = worker;
      const file = files[unit.file] as ArchiveFile;
      worker.postMessage({
        kind: 'file',
        index: unit.index,
        file: unit.file,
        path: file.path,
        from: unit.from,
        to: unit.to,
        size: file.uncompressedBytes ?? 0,
      } satisfies ToWorker);
    };
    /** The unit being read with the most left, worth splitting, or undefined. */
    const largestLeft = (): Unit | undefined => {
      let best: Unit | undefined;
      let bestLeft = workerData.minSplitBytes * 2;
      for (let i = head; i < order.length; i++) {
        const unit = order[i] as Unit;
        if (unit.worker === undefined || unit.whole || unit.splitting || unit.finished) continue;
        const left = Math.min(unit.to, (files[unit.file] as ArchiveFile).uncompressedBytes ?? 0) - unit.position;
        if (left >= bestLeft) {
          best = unit;
          bestLeft = left;
        }
      }
      return best;
    };
    const assign = (worker: Worker): void => {
      if (settled) return;
      if (!resolved) {
        idle.push(worker);
        return;
      }
      if (nextFile < files.length) {
        start(worker, units[nextFile++] as Unit);
        return;
      }
      const victim = splittable ? largestLeft() : undefined;
      if (victim === undefined) {
        // Nothing to take over now; a part being read may still be split later.
        if (order.slice(head).some((unit) => unit.worker !== undefined && !unit.finished && !unit.whole)) spare.push(worker);
        else worker.postMessage({ kind: 'end' } satisfies ToWorker);
        return;
      }
      victim.splitting = true;
      waiting.set(victim.index, worker);
      const skipNsPerByte = skipped.bytes > 0 ? skipped.ns / skipped.bytes : undefined;
      victim.worker?.postMessage({ kind: 'split', index: victim.index, ...(skipNsPerByte === undefined ? {} : { skipNsPerByte }) } satisfies ToWorker);
    };
    const onSplit = (index: number, at: number | null, final: boolean): void => {
      const unit = units[index] as Unit;
      const free = waiting.get(index) as Worker;
      waiting.delete(index);
      unit.splitting = false;
      if (at === null && !final) {
        spare.push(free);
        return;
      }
      if (at === null) {
        unit.whole = true;
        assign(free);
        return;
      }
      const part: Unit = { index: units.length, file: unit.file, from: at, to: unit.to, queue: [], worker: undefined, position: at, splitting: false, whole: false, finished: false };
      unit.to = at;
      units.push(part);
      order.splice(order.indexOf(unit) + 1, 0, part);
      stats.splits += 1;
      start(free, part);
    };
    Promise.resolve(options.files).then(
      (list) => {
        files = list;
        for (let i = 0; i < list.length; i++) {
          const unit: Unit = { index: i, file: i, from: 0, to: Infinity, queue: [], worker: undefined, position: 0, splitting: false, whole: false, finished: false };
          units.push(unit);
          order.push(unit);
        }
        resolved = true;
        if (list.length === 0) {
          finish();
          return;
        }
        for (const worker of idle.splice(0)) assign(worker);
      },
      (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
    );
    const drain = async (): Promise<void> => {
      if (draining || settled) return;
      draining = true;
      try {
        while (head < order.length) {
          const unit = order[head] as Unit;
          const item = unit.queue.shift();
          if (item === undefined) break;
          const file = files[unit.file] as ArchiveFile;
          if (item.kind === 'chunk') {
            await options.onChunk(item, file);
            queued -= 1;
            unit.worker?.postMessage({ kind: 'ack', index: unit.index } satisfies ToWorker);
            continue;
          }
          if (item.kind === 'unreadable' && !unreadable.has(unit.file)) {
            unreadable.add(unit.file);
            options.onUnreadable(file, item.message);
          }
          head += 1;
          if (order[head]?.file !== unit.file) options.onFileDone?.(file);
        }
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
        return;
      } finally {
        draining = false;
      }
      if (head >= order.length) finish();
    };
    const early = options.started?.take(count);
    const pooled = early?.workers ?? [];
    while (pooled.length < count) pooled.push(new Worker(WORKER_URL));
    for (const worker of pooled) {
      workers.push(worker);
      worker.postMessage({ kind: 'setup', data: workerData } satisfies ToWorker);
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          assign(worker);
          return;
        }
        if (message.kind === 'split') {
          onSplit(message.index, message.at, message.final);
          return;
        }
        const unit = units[message.index] as Unit;
        if (message.kind === 'chunk') {
          if (message.position !== undefined) unit.position = message.position;
          if (message.skipped !== undefined) {
            skipped.bytes += message.skipped.bytes;
            skipped.ns += message.skipped.ns;
          }
          if (spare.length > 0) {
            const retry = spare;
            spare = [];
            for (const free of retry) assign(free);
          }
          unit.queue.push(message);
          queued += 1;
          stats.maxQueuedChunks = Math.max(stats.maxQueuedChunks, queued);
        } else {
          unit.finished = true;
          unit.queue.push(message.kind === 'done' ? { kind: 'done' } : { kind: 'unreadable', message: message.message });
          assign(worker);
        }
        if (unit === order[head]) void drain();
      });
      worker.on('error', (error) => {
        fail(new DaemonError('ERR_INPUT_UNREADABLE', `hunt: worker failed: ${error.message}`, { cause: error }));
      });
      worker.on('exit', (code) => {
        if (!settled && code !== 0) fail(new DaemonError('ERR_INPUT_UNREADABLE', `hunt: worker exited with code ${code}`));
      });
    }
    if (early?.failure !== undefined) {
      fail(new DaemonError('ERR_INPUT_UNREADABLE', `hunt: worker failed: ${early.failure.message}`, { cause: early.failure }));
    }
  });
}
