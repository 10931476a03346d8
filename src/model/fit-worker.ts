/**
 * Worker-thread entry of `fitKModesInWorkers`: runs the given runs of a plan on the shared,
 * already encoded matrix and posts each result back as it finishes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedMatrix } from './encoding.js';
import { runOne, type RunPlan, type RunResult } from './kmodes.js';

/** What the parent passes as `workerData`. */
export interface FitWorkerInput {
  matrix: EncodedMatrix;
  plan: RunPlan;
  runIndices: number[];
}

/** What the worker posts: one message per finished run. */
export interface FitWorkerMessage {
  result: RunResult;
}

const input = workerData as FitWorkerInput;
for (const runIndex of input.runIndices) {
  const result = runOne(input.matrix, input.plan, runIndex);
  const message: FitWorkerMessage = { result };
  parentPort?.postMessage(message, [
    result.centroids.buffer as ArrayBuffer,
    result.distinctLabels.buffer as ArrayBuffer,
  ]);
}
