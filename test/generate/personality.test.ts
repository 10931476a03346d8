import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawPersonality, generatePersonalityWeek, renderPersonalityIni } from '../../src/generate/index.js';
import { DEFAULT_START_TS } from '../../src/generate/generator.js';
import { renderSweep, runSweep } from '../../src/cli/sweep.js';

void test('personalities differ by seed and repeat exactly for the same seed', () => {
  const a = generatePersonalityWeek({ seed: 5, startTs: DEFAULT_START_TS, days: 7, maxRecordsPerWeek: 20_000 });
  const b = generatePersonalityWeek({ seed: 5, startTs: DEFAULT_START_TS, days: 7, maxRecordsPerWeek: 20_000 });
  assert.deepEqual(a.records, b.records);
  const sizes = new Set<number>();
  const zones = new Set<number>();
  for (let seed = 1; seed <= 30; seed++) {
    const p = drawPersonality({ seed, startTs: DEFAULT_START_TS, days: 7 });
    sizes.add(p.groups.reduce((n, g) => n + g.hosts.length, 0));
    zones.add(p.tzOffsetHours);
  }
  assert.ok(sizes.size > 20, 'host counts vary');
  assert.ok(zones.size > 5, 'time zones vary');
  const ts = a.records.map((r) => r.ts);
  assert.deepEqual(ts, [...ts].sort((x, y) => x - y));
  // Every host is in the rendered [ip_groups] map.
  const ini = renderPersonalityIni(a.personality);
  for (const group of a.personality.groups) assert.ok(ini.includes(`${group.name} = ${group.cidr}`));
});

void test('attacks come from hosts whose group has no habit of the attack operations', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const { personality, records } = generatePersonalityWeek({ seed, startTs: DEFAULT_START_TS, days: 7, maxRecordsPerWeek: 30_000 });
    const groupOf = new Map(personality.groups.flatMap((g) => g.hosts.map((h) => [h, g.name] as const)));
    for (const r of records.filter((x) => x.scenario !== null)) {
      const group = groupOf.get(r.origHost as string);
      for (const habit of personality.habits) {
        if (habit.groups.includes(group as string)) assert.ok(!habit.operations.includes(r.operation as string), `seed ${seed}: ${r.operation} from ${group}`);
      }
    }
  }
});

void test('campaignDays: the same host comes back with every scenario on each listed day; the week is otherwise the same', () => {
  for (const seed of [3, 7]) {
    const plain = generatePersonalityWeek({ seed, startTs: DEFAULT_START_TS, days: 5, maxRecordsPerWeek: 10_000 });
    const back = generatePersonalityWeek({ seed, startTs: DEFAULT_START_TS, days: 5, maxRecordsPerWeek: 10_000, campaignDays: [1, 3, 4] });
    const normal = (records: typeof plain.records) => records.filter((r) => r.scenario === null && r.endpoint !== 'epmapper');
    assert.deepEqual(normal(back.records).slice(0, 200), normal(plain.records).slice(0, 200), 'the benign traffic before the campaign is unchanged');
    const byScenario = new Map<string, { hosts: Set<string>; days: Set<number>; endpoints: Set<string> }>();
    for (const r of back.records) {
      if (r.scenario === null) continue;
      let seen = byScenario.get(r.scenario);
      if (seen === undefined) byScenario.set(r.scenario, (seen = { hosts: new Set(), days: new Set(), endpoints: new Set() }));
      seen.hosts.add(r.origHost as string);
      // Local days: odd-hour attacks may cross the UTC midnight.
      seen.days.add(Math.floor((r.ts - DEFAULT_START_TS + back.personality.tzOffsetHours * 3600) / 86_400));
      if (r.scenario === 'unknown_interface') seen.endpoints.add(r.endpoint as string);
    }
    assert.ok(byScenario.size >= 4, `seed ${seed}: scenarios planted`);
    for (const [scenario, seen] of byScenario) {
      assert.equal(seen.hosts.size, 1, `seed ${seed} ${scenario}: one host`);
      assert.deepEqual([...seen.days].sort(), [1, 3, 4], `seed ${seed} ${scenario}: on days 1, 3 and 4`);
      if (scenario === 'unknown_interface') assert.equal(seen.endpoints.size, 1, 'the same unknown interface each time');
    }
  }
});

void test('a small sweep measures every rule on tuning, development and held-out seeds separately', async () => {
  // Development seeds stand in for the held-out ones here: a test must not look at those.
  const options = { tuning: [1, 2], development: [1001], heldOut: [1002], maxRecordsPerWeek: 20_000, days: 7 };
  const results = await runSweep(options);
  const rules = new Set(results.map((r) => r.rule));
  assert.deepEqual([...rules].sort(), ['BZAR-style', 'Sigma-style', 'default (technique)', 'notebook: distance > 5']);
  const defaults = results.filter((r) => r.rule === 'default (technique)' && r.attackUids > 0);
  assert.ok(defaults.length >= 6);
  // The learned rule beats the signature baselines on recall on every seed and situation.
  for (const run of defaults) {
    const sigma = results.find((r) => r.rule === 'Sigma-style' && r.seed === run.seed && r.mode === run.mode);
    assert.ok(run.detectedUids >= (sigma?.detectedUids ?? 0), `seed ${run.seed} ${run.mode}`);
  }
  const text = renderSweep(results, options);
  assert.match(text, /tuning seeds: 1 2/);
  assert.match(text, /development seeds \(debugged on, not judged on\): 1001\n/);
  assert.match(text, /held-out seeds: 1002\n/);
  assert.match(text, /training on all records, development seeds:/);
});
