/**
 * Small networks, end to end: generate a personality week, train the default rule on it the way
 * `eval --sweep` does, score the whole week. Development seeds only (docs/detection.md "Seeds"):
 * 101 (29,563 records, one it_admin host changing registry values and scheduling tasks on most
 * days) and 112 (2,687 records, one management server creating services on three days), both
 * trained on the days without attacks, so each one-host group is seen doing its work on two days.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSweep } from '../../src/cli/sweep.js';

void test('a one-host admin or management group doing its work on two days raises no alerts; every attack is still found', async () => {
  const results = await runSweep({ tuning: [], development: [101, 112], heldOut: [], maxRecordsPerWeek: 1_000_000, days: 7 });
  for (const seed of [101, 112]) {
    for (const mode of ['all records', 'attack-free days']) {
      const run = results.find((r) => r.seed === seed && r.mode === mode && r.rule === 'default (technique)');
      assert.ok(run !== undefined, `seed ${seed} ${mode}: measured`);
      assert.ok(run.recordsPerWeek < 50_000, `seed ${seed}: a small network`);
      assert.ok(run.falseAlerts <= 3, `seed ${seed} ${mode}: ${run.falseAlerts} false alerts in the week (at most 3)`);
      if (mode === 'attack-free days') assert.equal(run.detectedUids, run.attackUids, `seed ${seed}: ${JSON.stringify(run.missed)} missed`);
    }
  }
});
