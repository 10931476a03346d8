/**
 * Issue #13: session-enumeration sweeps on networks of about a dozen hosts. A sweep there reaches
 * two to six workstations, below any fixed fan-out threshold, and the default rule missed it when
 * trained on every record (the daemon's situation after a retrain): on 8b951a5 these weeks give
 * session_enum recall 0.50-0.75. Real `generate --personality` weeks through the real `eval` and
 * `train` + `score` commands. The seeds are development seeds (docs/detection.md), never judged on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(repoRoot, 'build', 'src', 'cli.js');
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

interface Week {
  log: string;
  labels: string;
  ini: string;
}

function generateWeek(seed: number): Week {
  const dir = tempDir();
  const week = { log: join(dir, 'dce_rpc.log'), labels: join(dir, 'week.labels'), ini: join(dir, 'groups.ini') };
  const result = run('generate', '--personality', '--seed', String(seed), '-o', week.log, '--labels', week.labels, '--ip-groups', week.ini);
  assert.equal(result.status, 0, result.stderr);
  return week;
}

// Development seeds whose week is a small network (10-25 hosts) with a session_enum sweep.
const SEEDS = [106, 5139, 5152, 5169, 5181];

for (const seed of SEEDS) {
  void test(`small network ${seed}: every session of the sweep is flagged when trained on every record, at most 3 false alerts`, () => {
    const week = generateWeek(seed);
    const result = run('eval', '-c', week.ini, '--labels', week.labels, '--json', week.log);
    assert.equal(result.status, 0, result.stderr);
    const configured = JSON.parse(result.stdout.split('\n')[0] as string) as {
      rule: string;
      records: number;
      recall: number;
      false_alerts: number;
      scenarios: Record<string, { detected: number; uids: number }>;
    };
    assert.equal(configured.rule, 'configured');
    assert.ok(configured.records < 50_000, `a small network (${configured.records} records a week)`);
    const sweep = configured.scenarios['session_enum'];
    assert.ok(sweep !== undefined && sweep.uids > 0, 'the week has a session_enum sweep');
    assert.equal(sweep.detected, sweep.uids, `session_enum sessions caught on seed ${seed}`);
    assert.ok(configured.recall >= 0.9, `recall ${configured.recall}`);
    assert.ok(configured.false_alerts <= 3, `${configured.false_alerts} false alerts in the week`);
  });
}

void test('small network 106: the sweep seen in training is written with a reason saying whom it reached', () => {
  const week = generateWeek(106);
  const dir = tempDir();
  const model = join(dir, 'model.json');
  const out = join(dir, 'anomalies.log');
  assert.equal(run('train', '-c', week.ini, '-o', model, week.log).status, 0);
  const result = run('score', '-c', week.ini, '-m', model, '--format', 'json', '-o', out, week.log);
  assert.equal(result.status, 0, result.stderr);
  const sweepUids = new Set(
    readFileSync(week.labels, 'utf8')
      .split('\n')
      .filter((line) => line.endsWith('\tsession_enum'))
      .map((line) => line.split('\t')[0]),
  );
  const flagged = readFileSync(out, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { uid: string; reason: string });
  const sweep = flagged.filter((a) => sweepUids.has(a.uid));
  assert.equal(new Set(sweep.map((a) => a.uid)).size, sweepUids.size, 'every sweep session written');
  const relative = sweep.filter((a) => /NetrSessionEnum from \S+ to \d+ hosts on \d{4}-\d\d-\d\d that no other host asks, a sweep on this network/.test(a.reason));
  assert.ok(relative.length > 0, `a relative reason among: ${[...new Set(sweep.map((a) => a.reason))].join(' | ')}`);
  assert.match(relative[0]?.reason ?? '', /other hosts ask \d+ hosts? in all; no other host reached more than \d+ of its own in a day/);
});
