/**
 * The fit for a daemon: nothing in it blocks the caller's event loop for long. Rows are encoded
 * in slices with a yield between slices, then the nInit runs go to worker threads (in parallel
 * up to the core count) and the small result is turned into the model document here.
 */
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { DaemonError } from '../errors.js';
import { MatrixEncoder, type EncodedMatrix } from './encoding.js';
import { finishFit, planFit, type FitOptions } from './fit.js';
import type { FitWorkerInput, FitWorkerMessage } from './fit-worker.js';
import type { RunPlan, RunResult } from './kmodes.js';
import type { KModesModel } from './model.js';

/** Options of the off-thread fit. */
export interface WorkerFitOptions {
  /** Most worker threads to use. @default os.availableParallelism() */
  maxWorkers?: number;
  /** Rows encoded between two yields to the event loop. @default 20000 */
  rowsPerSlice?: number;
}

/** Encodes rows in slices, yielding to the event loop between slices. */
export async function encodeRowsYielding(
  rows: readonly (readonly string[])[],
  featureCount: number,
  rowsPerSlice = 20_000,
): Promise<EncodedMatrix> {
  const encoder = new MatrixEncoder(featureCount, rows.length);
  for (let from = 0; from < rows.length; from += rowsPerSlice) {
    encoder.add(rows, from, Math.min(rows.length, from + rowsPerSlice));
    await yieldToEventLoop();
  }
  return encoder.finish();
}

function shareMatrix(matrix: EncodedMatrix): EncodedMatrix {
  // Every worker reads the per-row index; share it instead of copying it into each worker.
  if (matrix.rowToDistinct.buffer instanceof SharedArrayBuffer) return matrix;
  const shared = new Uint32Array(new SharedArrayBuffer(matrix.rowToDistinct.byteLength));
  shared.set(matrix.rowToDistinct);
  return { ...matrix, rowToDistinct: shared };
}

function runInWorker(input: FitWorkerInput): Promise<RunResult[]> {
  return new Promise((resolve, reject) => {
    const results: RunResult[] = [];
    const worker = new Worker(new URL('./fit-worker.js', import.meta.url), { workerData: input });
    worker.on('message', (message: FitWorkerMessage) => results.push(message.result));
    worker.on('error', (error) => {
      reject(new DaemonError('ERR_TRAIN', `model: fit worker failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', (code) => {
      if (results.length === input.runIndices.length) resolve(results);
      else reject(new DaemonError('ERR_TRAIN', `model: fit worker exited with code ${code} before finishing`));
    });
  });
}

/** Runs every run of the plan in worker threads (round-robin over at most `maxWorkers`). */
export async function runInWorkers(
  matrix: EncodedMatrix,
  plan: RunPlan,
  maxWorkers = availableParallelism(),
): Promise<RunResult[]> {
  const runs = plan.runSeeds.length;
  const workers = Math.max(1, Math.min(runs, maxWorkers));
  const shared = shareMatrix(matrix);
  const batches: number[][] = Array.from({ length: workers }, () => []);
  for (let i = 0; i < runs; i++) (batches[i % workers] as number[]).push(i);
  const settled = await Promise.all(
    batches.map((runIndices) => runInWorker({ matrix: shared, plan, runIndices })),
  );
  return settled.flat();
}

/**
 * Same model as `fitKModes(rows, options)` (byte for byte, given `createdAt`), computed without
 * blocking the caller's event loop: encoding yields every slice, the runs execute in parallel
 * worker threads.
 */
export async function fitKModesInWorkers(
  rows: readonly (readonly string[])[],
  options: FitOptions,
  workerOptions: WorkerFitOptions = {},
): Promise<KModesModel> {
  const matrix = await encodeRowsYielding(rows, options.featureNames.length, workerOptions.rowsPerSlice);
  return fitMatrixInWorkers(matrix, options, workerOptions);
}

/** As `fitKModesInWorkers`, on rows already encoded (see `MatrixEncoder`). */
export async function fitMatrixInWorkers(
  matrix: EncodedMatrix,
  options: FitOptions,
  workerOptions: WorkerFitOptions = {},
): Promise<KModesModel> {
  const plan = planFit(matrix, options);
  const results = await runInWorkers(matrix, plan, workerOptions.maxWorkers);
  return finishFit(matrix, plan, results, options).model;
}
