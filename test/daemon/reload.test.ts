/** What a SIGHUP applies now and what waits for a restart (pure; the daemon tests run it live). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { parseConfigText } from '../../src/config/index.js';
import { planReload } from '../../src/daemon/reload.js';

void test('planReload: [input], [output] and [metrics] keep their running values; the rest applies; a schedule change is flagged', () => {
  const running = parseConfigText('[input]\npaths = /var/log/zeek/dce_rpc.log\n[model]\nk = 8\n', 'running.ini');
  const next = parseConfigText('[input]\npaths = /other/dce_rpc.log\n[model]\nk = 12\nretrain_schedule = 0 4 * * *\n[output]\nformat = zeek\n', 'next.ini');
  const plan = planReload(running, next);
  assert.deepEqual(plan.config.input, running.input);
  assert.deepEqual(plan.config.output, running.output);
  assert.deepEqual(plan.config.metrics, running.metrics);
  assert.equal(plan.config.model.k, 12);
  assert.equal(plan.scheduleChanged, true);
  assert.deepEqual(plan.atRestart.map((change) => change.section).sort(), ['input', 'output']);
  assert.ok(plan.applied.every((change) => change.section === 'model'), JSON.stringify(plan.applied));
  assert.equal(planReload(running, running).applied.length, 0);
  assert.equal(planReload(running, running).scheduleChanged, false);
});
