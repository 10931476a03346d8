import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffConfig, formatConfigChange, parseConfigText, renderEffectiveIni } from '../../src/config/index.js';

void test('diffConfig lists changed, added and removed keys in INI terms and ignores respellings', () => {
  const before = parseConfigText('[input]\npoll_interval = 1s\n[logging]\nstats_interval = 60s\n[ip_groups]\nhr = 10.2.0.0/16\n[allow.a]\nendpoint = samr\nreason = r\n', 'a.ini');
  const after = parseConfigText('[input]\npoll_interval = 500ms\n[logging]\nstats_interval = 1m\n[ip_groups]\nhr = 10.2.0.0/16\nfinance = 10.1.0.0/16\n[allow.b]\nendpoint = samr\nreason = r\n[model]\nseed = 3\n', 'b.ini');
  const changes = diffConfig(before, after);
  assert.deepEqual(
    changes.find((c) => c.section === 'input'),
    { section: 'input', key: 'poll_interval', kind: 'changed', before: '1s', after: '500ms' },
  );
  assert.deepEqual(changes.find((c) => c.section === 'allow.a'), { section: 'allow.a', key: null, kind: 'removed', before: null, after: null });
  assert.deepEqual(changes.map(formatConfigChange).sort(), [
    'allow.a: removed',
    'allow.b: added',
    'input.poll_interval: 1s -> 500ms',
    'ip_groups.finance: added (10.1.0.0/16)',
    'model.seed: added (3)',
  ]);
  assert.deepEqual(diffConfig(after, after), []);
});

void test('the effective INI (check-config --print) loads back to the same config', () => {
  const original = parseConfigText('[features]\ntime_zone = Europe/Berlin\nmissing_token = "-none-"\n[allow.p]\nnamed_pipe = \\pipe\\lsass\nreason = "semi; colon"\n[ip_groups]\nx = 10.0.0.0/8\n', 'p.ini', { STATE_DIRECTORY: '/s' });
  const printed = renderEffectiveIni(original);
  const reloaded = parseConfigText(printed, 'printed.ini', {});
  assert.deepEqual({ ...reloaded, sourceFile: null }, { ...original, sourceFile: null });
});
