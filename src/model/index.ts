/**
 * K-Modes model: the API the rest of the daemon uses. See docs/model.md.
 */
export { fitKModes, fitKModesDetailed, fitMatrix, fitMatrixDetailed, DEFAULT_MAX_ITER } from './fit.js';
export type { FitOptions, FitOutcome, ExplicitCentroids } from './fit.js';
export { fitKModesInWorkers, fitMatrixInWorkers } from './workers.js';
export { encodeRows, MatrixEncoder, withoutRows } from './encoding.js';
export type { EncodedMatrix } from './encoding.js';
export type { WorkerFitOptions } from './workers.js';
export {
  MODEL_FORMAT,
  MODEL_SCHEMA_VERSION,
  parseModel,
  serializeModel,
} from './model.js';
export type { KModesModel, RoutineProfileDocument, ValueCounts, TimeInput } from './model.js';
export { saveModel, loadModel } from './store.js';
export { computeModelId } from './model.js';
export { ModelIndex } from './model-index.js';
export type { Assignment } from './model-index.js';
