/**
 * What a reload (SIGHUP) changes: the new INI's settings apply now, except the sections bound when
 * the daemon started (its inputs and state directory, the output file, the metrics endpoint),
 * which keep their running values until a restart. Pure: the daemon applies the plan.
 */
import { diffConfig, type Config, type ConfigChange } from '../config/index.js';

/** Sections bound when the daemon starts: a reload defers them. */
const BOUND_AT_START: ReadonlySet<string> = new Set(['input', 'output', 'metrics']);

export interface ReloadPlan {
  /** The configuration to run with from now on. */
  config: Config;
  /** Changes that apply now. */
  applied: ConfigChange[];
  /** Changes that wait for the next restart. */
  atRestart: ConfigChange[];
  /** The retrain schedule (or its time zone) changed: the scheduler starts again. */
  scheduleChanged: boolean;
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const changes = diffConfig(running, next);
  return {
    config: { ...next, input: running.input, output: running.output, metrics: running.metrics },
    applied: changes.filter((change) => !BOUND_AT_START.has(change.section)),
    atRestart: changes.filter((change) => BOUND_AT_START.has(change.section)),
    scheduleChanged: running.model.retrainSchedule !== next.model.retrainSchedule || running.model.retrainTimeZone !== next.model.retrainTimeZone,
  };
}
