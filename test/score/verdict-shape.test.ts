/**
 * Every Verdict the scorer and the evaluator hand on has one hidden class, the #compute literal's
 * (scorer.ts verdictWith): a verdict of another class, first met by a hunt worker's compiled
 * scoring loop, is a deopt and a recompile of it in every worker. Spreads (`{ ...verdict,
 * anomalous }`) made such verdicts. Hidden classes are visible only to V8's natives syntax, so the
 * check runs in a child process with `--allow-natives-syntax`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/shared.js';

const built = (path: string): string => new URL(`../../${path}`, import.meta.url).href;

const CHILD = `
const { loadConfigFile } = await import(${JSON.stringify(built('src/config/index.js'))});
const { scanDceRpcLog } = await import(${JSON.stringify(built('src/zeek/index.js'))});
const { RecordEvaluator } = await import(${JSON.stringify(built('src/score/evaluator.js'))});
const { scoringRuleFrom, verdictWith } = await import(${JSON.stringify(built('src/score/scorer.js'))});
const { WARM_UP_NAME, warmUpLog } = await import(${JSON.stringify(built('src/hunt/warm-up.js'))});
const { trainedModel } = await import(${JSON.stringify(built('test/helpers/trained-model.js'))});
const config = await loadConfigFile(${JSON.stringify(join(repoRoot, 'samples', 'sample.ini'))});
const week = [];
await scanDceRpcLog(${JSON.stringify(join(repoRoot, 'samples', 'week.log.gz'))}, (event) => { if (!('kind' in event)) week.push(event); });
const model = await trainedModel(config, week);
const evaluator = new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow });
const scorer = evaluator.scorer;
const seen = { computed: 0, evaluated: 0, plain: 0, changed: 0, other: {} };
let first;
const check = (verdict, what) => {
  first ??= verdict;
  if (!%HaveSameMap(first, verdict)) seen.other[what] = (seen.other[what] ?? 0) + 1;
};
for (const record of [...week.slice(0, 2000), ...await (async () => { const r = []; await scanDceRpcLog(WARM_UP_NAME, (e) => { if (!('kind' in e)) r.push(e); }, { source: warmUpLog() }); return r; })()]) {
  const row = evaluator.extractor.extract(record);
  const group = row[evaluator.extractor.names.indexOf('orig_ip_group')] ?? '';
  const computed = scorer.score(row, record.operation, group, record.endpoint);
  check(computed, 'computed'); seen.computed += 1;
  const plain = scorer.asPlainCall(computed, record.endpoint, record.operation, group);
  check(plain, 'asPlainCall'); if (plain !== computed) seen.plain += 1;
  check(verdictWith(computed, !computed.anomalous, 'changed'), 'verdictWith'); seen.changed += 1;
  check(evaluator.evaluate(record).verdict, 'evaluate'); seen.evaluated += 1;
}
console.log(JSON.stringify(seen));
`;

void test("verdicts made by the scorer's and the evaluator's paths share the #compute literal's hidden class", () => {
  const result = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', CHILD], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const seen = JSON.parse(result.stdout) as { computed: number; evaluated: number; plain: number; changed: number; other: Record<string, number> };
  assert.ok(seen.computed > 2000 && seen.evaluated === seen.computed, result.stdout);
  assert.ok(seen.plain > 0, `asPlainCall made new verdicts: ${result.stdout}`);
  assert.deepEqual(seen.other, {}, `verdicts of another hidden class, by the path that made them: ${result.stdout}`);
});
