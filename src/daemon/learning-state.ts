/**
 * What the daemon learns from, opened at start: the training window (persisted rows), the routine
 * statistics over every record read (persisted), and the sampler whose position is part of the
 * progress document. Each problem found on the way is logged and survived: a lost or corrupt file
 * costs what it held, never the start.
 */
import type { Config } from '../config/index.js';
import { FeatureExtractor, TrainingSampler } from '../features/index.js';
import { routineOptionsFrom, type RoutineStats } from '../score/index.js';
import { TrainingWindow } from '../state/index.js';
import { loadRoutineStats } from '../state/routine-stats-file.js';
import type { DceRpcRecord } from '../zeek/index.js';
import type { Logger } from '../log.js';
import type { Progress } from './progress.js';

export interface LearningState {
  window: TrainingWindow;
  /** Routine statistics over every record read (not only the sampled window). */
  routine: RoutineStats;
  /** Extracts `orig_ip_group` for the routine statistics while there is no model. */
  routineGroup: FeatureExtractor;
  sampler: TrainingSampler;
}

/** Opens the window and the statistics in the state directory, checked against `progress`. */
export async function openLearningState(config: Config, progress: Progress, log: Logger): Promise<LearningState> {
  const stateDirectory = config.input.stateDirectory;
  const openedWindow = await TrainingWindow.openOrReset({
    maxRows: config.training.windowMaxRows,
    maxAgeMs: config.training.windowMaxAgeMs,
    directory: stateDirectory,
    whenFull: config.training.sampleEvery === 'auto' ? 'thin' : 'drop-oldest',
  });
  const window = openedWindow.window;
  for (const warning of openedWindow.warnings) log.warn(warning.message);
  if (progress.savedAt === '' && window.size > 0) {
    // Not a first start (an operator may pin a model before one, but only a run fills the
    // window): the state of an earlier run is here, only its positions are gone.
    log.warn(
      'progress.json is missing but the state directory holds an earlier run (its training window): every followed file is read again from its start, and anomalies already in anomalies.log for those lines are written again',
      { state_directory: stateDirectory },
    );
  } else if (progress.sampled > 0 && window.size === 0) {
    log.warn('the training window files are missing: the rows sampled by earlier runs are lost; learning starts again', {
      sampled_before: progress.sampled,
    });
  }
  if (openedWindow.reset !== undefined) log.warn(`training window reset: ${openedWindow.reset.message}`);
  const routine = await loadRoutineStats(stateDirectory, routineOptionsFrom(config.scoring));
  if (routine.warning !== undefined) log.warn(routine.warning);
  const routineGroup = new FeatureExtractor({ ...config.features, features: ['orig_ip_group'] });
  // No statistics yet but a window (an upgrade): start from the rows the window kept.
  if (!routine.restored && window.size > 0) observeWindow(window, routine.stats, routineGroup);
  const sampler = new TrainingSampler({
    // With sample_every = auto the window decides (offer()); this sampler is not consulted.
    every: config.training.sampleEvery === 'auto' ? 1 : config.training.sampleEvery,
    mode: config.training.sampleMode,
    seed: config.model.seed ?? 0,
  });
  sampler.restore({ seen: progress.sampled });
  return { window, routine: routine.stats, routineGroup, sampler };
}

/** A record to read window rows into (`TrainingWindow.readRow` fills it in place). */
export function emptyRecord(): DceRpcRecord {
  return { ts: 0, uid: null, origHost: null, origPort: null, respHost: null, respPort: null, rtt: null, namedPipe: null, endpoint: null, operation: null };
}

/**
 * Counts the window's rows into the routine statistics, as the batches would have: at bootstrap,
 * and after an upgrade that found a window but no statistics.
 */
export function observeWindow(window: TrainingWindow, routine: RoutineStats, routineGroup: FeatureExtractor): void {
  const record = emptyRecord();
  const groupRow = [''];
  for (let i = 0; i < window.size; i += 1) {
    window.readRow(i, record);
    const origGroup = routineGroup.extractInto(record, groupRow)[0] as string;
    routine.observe(record.ts, record.origHost, origGroup, record.endpoint, record.operation, record.respHost);
  }
}
