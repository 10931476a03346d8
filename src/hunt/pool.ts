/**
 * Reads an archive's files in worker threads and hands their results to the main thread in
 * file order, whatever order the workers finish in: file i's chunks are consumed only once
 * files 0..i-1 are complete. Each file is read whole by one worker (a gzip stream cannot be
 * split), the next file going to whichever worker is free.
 *
 * Memory is bounded by the worker count, not the archive: a worker may have at most
 * `maxInflight` chunks posted and not yet consumed, after which it waits, so workers that run
 * ahead of the file being consumed stop after a few chunks.
 */
import { Worker } from 'node:worker_threads';
import { DaemonError } from '../errors.js';
import type { ArchiveFile } from './archive.js';
import type { ChunkMessage, FromWorker, HuntTask, HuntWorkerData, ToWorker } from './messages.js';
import type { TimeRange } from './archive.js';

/** Chunks per worker posted and not yet consumed. */
export const MAX_INFLIGHT = 4;
/** Records per chunk of the `records` task. */
export const CHUNK_RECORDS = 16_384;

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
  /** Each chunk, in file order then line order; awaited before the next (and before its ack). */
  onChunk: (chunk: ChunkMessage, file: ArchiveFile) => Promise<void> | void;
  /** A file that could not be opened at all; the others are still read. */
  onUnreadable: (file: ArchiveFile, message: string) => void;
  /** A file is complete (all its chunks consumed). */
  onFileDone?: (file: ArchiveFile) => void;
}

interface FileState {
  queue: (ChunkMessage | { kind: 'done' } | { kind: 'unreadable'; message: string })[];
  worker: Worker | undefined;
}

/** What a run of the pool observed. */
export interface PoolStats {
  /** Most chunks received from workers and not yet consumed, at any moment. */
  maxQueuedChunks: number;
}

/** Runs the pool until every file was consumed; rejects when a worker fails. */
export async function runPool(options: PoolOptions): Promise<PoolStats> {
  const stats: PoolStats = { maxQueuedChunks: 0 };
  const known = Array.isArray(options.files) ? (options.files as readonly ArchiveFile[]) : undefined;
  if (known?.length === 0) return stats;
  let files: readonly ArchiveFile[] = [];
  let states: FileState[] = [];
  let resolved = false;
  let queued = 0;
  const workerData: HuntWorkerData = {
    task: options.task,
    range: options.range,
    maxInflight: MAX_INFLIGHT,
    chunkRecords: options.chunkRecords ?? CHUNK_RECORDS,
  };
  const count = Math.max(1, known === undefined ? options.threads : Math.min(options.threads, known.length));
  const workers: Worker[] = [];
  /** Workers ready before the file list is known. */
  const idle: Worker[] = [];
  let nextFile = 0;
  let head = 0;
  let draining = false;
  let settled = false;

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
    const assign = (worker: Worker): void => {
      if (!resolved) {
        idle.push(worker);
        return;
      }
      if (nextFile >= files.length) {
        worker.postMessage({ kind: 'end' } satisfies ToWorker);
        return;
      }
      const index = nextFile++;
      (states[index] as FileState).worker = worker;
      worker.postMessage({ kind: 'file', index, path: (files[index] as ArchiveFile).path } satisfies ToWorker);
    };
    Promise.resolve(options.files).then(
      (list) => {
        files = list;
        states = list.map(() => ({ queue: [], worker: undefined }));
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
        while (head < files.length) {
          const state = states[head] as FileState;
          const item = state.queue.shift();
          if (item === undefined) break;
          const file = files[head] as ArchiveFile;
          if (item.kind === 'chunk') {
            await options.onChunk(item, file);
            queued -= 1;
            state.worker?.postMessage({ kind: 'ack' } satisfies ToWorker);
            continue;
          }
          if (item.kind === 'unreadable') options.onUnreadable(file, item.message);
          options.onFileDone?.(file);
          head += 1;
        }
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
        return;
      } finally {
        draining = false;
      }
      if (head >= files.length) finish();
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
      workers.push(worker);
      worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          assign(worker);
          return;
        }
        const state = states[message.index] as FileState;
        if (message.kind === 'chunk') {
          state.queue.push(message);
          queued += 1;
          stats.maxQueuedChunks = Math.max(stats.maxQueuedChunks, queued);
        } else {
          state.queue.push(message.kind === 'done' ? { kind: 'done' } : { kind: 'unreadable', message: message.message });
          assign(worker);
        }
        if (message.index === head) void drain();
      });
      worker.on('error', (error) => {
        fail(new DaemonError('ERR_INPUT_UNREADABLE', `hunt: worker failed: ${error.message}`, { cause: error }));
      });
      worker.on('exit', (code) => {
        if (!settled && code !== 0) fail(new DaemonError('ERR_INPUT_UNREADABLE', `hunt: worker exited with code ${code}`));
      });
    }
  });
}
