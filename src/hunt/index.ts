/** The hunt stage: archive trees in record-time order, read and scored in worker threads. */
export { discoverArchive, listLogFiles, outsideRange, parseTimeBound, probeFile } from './archive.js';
export type { Archive, ArchiveFile, TimeRange } from './archive.js';
export { readArchive, scoreArchive, trainArchive } from './hunt.js';
export type { ArchiveInput, HuntRunOptions, HuntTotals, ScoreTotals, TrainingFeed } from './hunt.js';
export type { TrainSample } from './messages.js';
export { HuntProgress, progressLine } from './progress.js';
export type { ProgressSnapshot } from './progress.js';
export { scanLogFile } from './scan.js';
export { MAX_INFLIGHT, runPool, StartedWorkers } from './pool.js';
export type { PoolOptions, PoolStats } from './pool.js';
