/**
 * The state directory: atomic writes, the single-instance lock, the tail checkpoints and the
 * persisted training window. Other stages import from here only.
 */
export { syncDirectory, tempPathNextTo, writeFileAtomic, writeFileSynced } from './atomic-write.js';
export { CHECKPOINT_FILE, CHECKPOINT_FORMAT_VERSION, loadCheckpoints, parseCheckpointDocument, saveCheckpoints } from './checkpoint-store.js';
export type { LoadedCheckpoints } from './checkpoint-store.js';
export { acquireStateLock, isProcessAlive, LOCK_FILE } from './state-lock.js';
export type { StateLock } from './state-lock.js';
export { TrainingWindow, WINDOW_STRING_COLUMNS } from './training-window.js';
export type { LoadedWindow, OpenedWindow, TimeSpan, TrainingWindowOptions, WindowRow, WindowStringColumn } from './training-window.js';
