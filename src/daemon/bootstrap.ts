/**
 * Bootstrap: with no model yet, fill the training window from archived logs (rotated `.log` and
 * `.log.gz` files named by `[input] archives`, or its older name `bootstrap`) so the daemon scores from its first live record
 * instead of learning for days.
 */
import type { Config } from '../config/index.js';
import { TrainingSampler } from '../features/index.js';
import type { TrainingWindow } from '../state/index.js';
import { expandPatterns } from '../tail/index.js';
import { scanDceRpcLog } from '../zeek/index.js';
import type { Logger } from '../log.js';
import { messageOf } from '../errors.js';

/** Offers every archived record to `window` (or adds a 1-in-N sample); returns how many were added. */
export async function bootstrapWindow(config: Config, window: TrainingWindow, log: Logger): Promise<number> {
  const files: string[] = [];
  for (const file of await expandPatterns(config.input.archives)) files.push(file);
  if (files.length === 0) {
    log.warn('bootstrap: no archive matches', { patterns: config.input.archives.join(',') });
    return 0;
  }
  const every = config.training.sampleEvery;
  const sampler = every === 'auto' ? null : new TrainingSampler({ every, mode: config.training.sampleMode, seed: config.model.seed ?? 0 });
  let added = 0;
  let errors = 0;
  for (const file of files) {
    try {
      await scanDceRpcLog(file, (record) => {
        if ('kind' in record) {
          if (record.kind === 'error') errors += 1;
          return;
        }
        if (sampler === null) {
          if (window.offer(record)) added += 1;
          return;
        }
        if (!sampler.take()) return;
        window.add(record);
        added += 1;
      });
    } catch (error) {
      log.warn(`bootstrap: skipping ${file}: ${messageOf(error)}`);
    }
  }
  // Age is measured from the newest record, not the wall clock, so replayed or delayed logs
  // are not thrown away on arrival.
  window.evict(window.timeSpan()?.newest ?? Date.now() / 1000);
  log.info('bootstrap: training window filled from archives', { files: files.length, rows: added, bad_lines: errors, window: window.size });
  return added;
}
