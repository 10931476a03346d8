import type { Config } from '../../src/config/index.js';
import type { KModesModel } from '../../src/model/index.js';
import { FanoutTracker, RecordEvaluator, scoringRuleFrom } from '../../src/score/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

/**
 * What the score tests assert on: each flagged uid with the reason of its first flagged record,
 * from an evaluator that follows fan-out as the daemon does, scoring `records` in order.
 */
export function flaggedUids(model: KModesModel, config: Config, records: readonly DceRpcRecord[]): Map<string, string> {
  const evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: [], fanout: new FanoutTracker() });
  const out = new Map<string, string>();
  for (const r of records) {
    const { verdict } = evaluator.evaluate(r);
    if (verdict.anomalous && !out.has(r.uid as string)) out.set(r.uid as string, verdict.reason);
  }
  return out;
}
