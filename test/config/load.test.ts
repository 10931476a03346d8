import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decode } from 'ini';
import { DaemonError } from '../../src/errors.js';
import { defaultConfig, loadConfigFile, parseConfigText, type ConfigProblem } from '../../src/config/index.js';
import { scanIni } from '../../src/config/ini-scan.js';
import { DEFAULT_TIME_BINS } from '../../src/config/schema.js';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = Date.UTC(2026, 0, 15);

/** The problems parseConfigText reports for `text` (it must throw ERR_CONFIG_INVALID). */
function problemsOf(text: string, env = {}): ConfigProblem[] {
  try {
    parseConfigText(text, 'test.ini', env, { nowMs: NOW });
  } catch (error) {
    assert.ok(error instanceof DaemonError, 'throws a DaemonError');
    assert.equal(error.code, 'ERR_CONFIG_INVALID');
    return error.meta?.problems as ConfigProblem[];
  }
  assert.fail(`expected the config to be refused:\n${text}`);
}

/** Builds a file whose line marked with `>>` is the culprit; returns text and that line's number. */
function withCulprit(lines: string[]): { text: string; line: number } {
  const index = lines.findIndex((line) => line.startsWith('>>'));
  assert.ok(index >= 0, 'test file has a >> line');
  return { text: lines.map((line) => line.replace(/^>>/, '')).join('\n'), line: index + 1 };
}

void describe('every kind of problem is reported with its line number', () => {
  const cases: { name: string; lines: string[]; key: string; mentions: RegExp }[] = [
    { name: 'unknown section', lines: ['[input]', 'poll_interval = 1s', '', '>>[inptu]', 'x = 1'], key: 'inptu', mentions: /did you mean \[input\]/ },
    { name: 'unknown key with suggestion', lines: ['[model]', 'k = 10', '>>n_inti = 3'], key: 'model.n_inti', mentions: /did you mean n_init/ },
    { name: 'key in the wrong section', lines: ['[output]', '>>poll_interval = 1s'], key: 'output.poll_interval', mentions: /belongs in \[input\]/ },
    { name: 'wrong type (integer)', lines: ['[training]', '; comment', '>>min_rows = twenty'], key: 'training.min_rows', mentions: /not an integer, expected an integer >= 1/ },
    { name: 'wrong type (auto or integer)', lines: ['[training]', '>>sample_every = twenty'], key: 'training.sample_every', mentions: /'twenty' is neither auto nor an integer, expected auto or an integer >= 1/ },
    { name: 'auto or integer out of range', lines: ['[training]', '>>sample_every = 0'], key: 'training.sample_every', mentions: /0 is out of range, expected auto or an integer >= 1/ },
    { name: 'wrong type (boolean)', lines: ['[metrics]', '>>enabled = maybe'], key: 'metrics.enabled', mentions: /expected true or false/ },
    { name: 'wrong enum with suggestion', lines: ['[model]', '>>init = hunag'], key: 'model.init', mentions: /did you mean huang/ },
    { name: 'out of range', lines: ['[model]', '', '', '>>k = 1'], key: 'model.k', mentions: /out of range, expected an integer from 2 to 1000/ },
    { name: 'duration above its maximum', lines: ['[input]', '>>poll_interval = 2s'], key: 'input.poll_interval', mentions: /out of range/ },
    { name: 'duration without unit', lines: ['[training]', '>>window_max_age = 14'], key: 'training.window_max_age', mentions: /no unit/ },
    { name: 'bad duration', lines: ['[logging]', '>>stats_interval = 1 minute'], key: 'logging.stats_interval', mentions: /not a duration/ },
    { name: 'bad byte size', lines: ['[input]', '>>max_line_bytes = 1 megabyte'], key: 'input.max_line_bytes', mentions: /not a byte size/ },
    { name: 'ambiguous byte size', lines: ['[input]', '>>max_line_bytes = 1M'], key: 'input.max_line_bytes', mentions: /ambiguous/ },
    { name: 'bad CIDR address', lines: ['[ip_groups]', 'a = 10.0.0.0/8', '>>b = 10.0.0.256/32'], key: 'ip_groups.b', mentions: /not an IPv4 or IPv6 address/ },
    { name: 'CIDR prefix out of range', lines: ['[ip_groups]', '>>b = 2001:db8::/129'], key: 'ip_groups.b', mentions: /\/0 to \/128/ },
    { name: 'CIDR with host bits set', lines: ['[ip_groups]', '>>b = 10.1.2.3/16'], key: 'ip_groups.b', mentions: /did you mean 10\.1\.0\.0\/16/ },
    { name: 'CIDR in two groups', lines: ['[ip_groups]', 'a = 10.1.0.0/16', '>>b = 10.1.0.0/16'], key: 'ip_groups.b', mentions: /already in group a/ },
    { name: 'bad IANA time zone', lines: ['[features]', '>>time_zone = Mars/Olympus'], key: 'features.time_zone', mentions: /not a known time zone/ },
    { name: 'bad cron expression', lines: ['[model]', '>>retrain_schedule = 17 25 * * *'], key: 'model.retrain_schedule', mentions: /not a valid cron expression/ },
    { name: 'cron with too few fields', lines: ['[model]', '>>retrain_schedule = 17 3'], key: 'model.retrain_schedule', mentions: /fields/ },
    { name: 'duplicate key', lines: ['[model]', 'k = 10', '>>k = 12'], key: 'model.k', mentions: /duplicate key \(first set at line 2\)/ },
    { name: 'time bins with a gap', lines: ['[features]', `>>time_bins = 0-5:a, 7-23:b`], key: 'features.time_bins', mentions: /hour 6 is in no bin/ },
    { name: 'time bins overlapping', lines: ['[features]', `>>time_bins = 0-12:a, 12-23:b`], key: 'features.time_bins', mentions: /hour 12 is in 2 bins/ },
    { name: 'unknown feature', lines: ['[features]', '>>features = endpoint, operaton'], key: 'features.features', mentions: /did you mean operation/ },
    { name: 'relative input path', lines: ['[input]', '>>paths = logs/dce_rpc.log'], key: 'input.paths', mentions: /not an absolute path/ },
    { name: 'bad host:port', lines: ['[metrics]', '>>listen = 127.0.0.1:70000'], key: 'metrics.listen', mentions: /port 70000 is out of range/ },
    { name: 'bad allow expiry', lines: ['[allow.x]', 'endpoint = samr', 'reason = r', '>>expires = 2026-02-30'], key: 'allow.x.expires', mentions: /not a real date/ },
    { name: 'allow expiry without zone', lines: ['[allow.x]', 'endpoint = samr', 'reason = r', '>>expires = 2026-02-03T10:00'], key: 'allow.x.expires', mentions: /no time zone/ },
    { name: 'allow rule without matcher', lines: ['[input]', '>>[allow.empty]', 'reason = nothing to match'], key: 'allow.empty', mentions: /no matcher/ },
    { name: 'allow rule without reason', lines: ['>>[allow.noreason]', 'endpoint = samr'], key: 'allow.noreason.reason', mentions: /is missing/ },
    { name: 'allow host not an address', lines: ['[allow.x]', 'reason = r', '>>orig_host = backup-server'], key: 'allow.x.orig_host', mentions: /not an IPv4 or IPv6 address/ },
    { name: 'ecs names with zeek format', lines: ['[output]', 'format = zeek', '>>field_names = ecs'], key: 'output.field_names', mentions: /need format = json/ },
    { name: 'min_rows below k', lines: ['[model]', 'k = 50', '[training]', '>>min_rows = 10'], key: 'training.min_rows', mentions: /less than \[model\] k = 50/ },
    { name: 'indented section header', lines: ['[input]', '>>  [model]', 'poll_interval = 1s'], key: 'input', mentions: /not read as a section header/ },
    { name: 'line without =', lines: ['[input]', '>>poll_interval 1s'], key: 'input', mentions: /has no '='/ },
    { name: 'key before any section', lines: ['>>k = 3', '[model]'], key: 'k', mentions: /outside any section/ },
    { name: 'reserved group name', lines: ['[ip_groups]', '>>__proto__ = 10.0.0.0/8'], key: 'ip_groups.__proto__', mentions: /reserved/ },
    { name: 'group name with a space', lines: ['[ip_groups]', '>>finance dept = 10.0.0.0/8'], key: 'ip_groups.finance dept', mentions: /group name/ },
    { name: 'allow rule name with a dot', lines: ['>>[allow.a.b]', 'endpoint = samr', 'reason = r'], key: 'allow.a.b', mentions: /not a valid rule name/ },
    { name: 'array form on a scalar key', lines: ['[model]', '>>k[] = 3'], key: 'model.k', mentions: /only for list keys/ },
  ];
  for (const { name, lines, key, mentions } of cases) {
    void test(name, () => {
      const { text, line } = withCulprit(lines);
      const errors = problemsOf(text).filter((problem) => problem.severity === 'error');
      assert.equal(errors.length, 1, `exactly one error, got ${JSON.stringify(errors, null, 1)}`);
      const [error] = errors;
      assert.equal(error?.line, line);
      assert.equal(error?.key, key);
      assert.equal(error?.file, 'test.ini');
      assert.match(error?.message ?? '', mentions);
    });
  }
});

void test('several problems at once are all listed, in line order, in the message too', () => {
  const text = ['[input]', 'poll_interval = 5s', 'poll_interval = 7', '[model]', 'k = 0', 'seed = -1', '[bogus]', '[ip_groups]', 'x = 1.2.3.4/33, 10.0.0.1/8'].join('\n');
  let thrown: unknown;
  try {
    parseConfigText(text, 'multi.ini');
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof DaemonError);
  const problems = thrown.meta?.problems as ConfigProblem[];
  const lines = problems.map((problem) => problem.line);
  // 2: out of range (shadowed duplicate still checked); 3: duplicate + no unit; 5, 6; 7; 9 twice.
  assert.deepEqual(lines, [2, 3, 3, 5, 6, 7, 9, 9]);
  for (const problem of problems) {
    assert.ok(thrown.message.includes(`multi.ini:${problem.line}: ${problem.key}: ${problem.message}`), problem.message);
  }
  assert.match(thrown.message, /^config: multi\.ini: 8 errors/);
});

void test('a quoted value followed by a comment keeps its quotes (as ini reads it) and draws a warning', () => {
  const config = parseConfigText('[allow.q]\nendpoint = samr\nreason = "audit" ; why\n', 'q.ini');
  assert.equal(config.allow[0]?.reason, '"audit"');
  assert.deepEqual(config.warnings.map((w) => [w.line, w.severity]), [[3, 'warning']]);
  assert.match(config.warnings[0]?.message ?? '', /quotes are kept/);
});

void test('a byte-order mark before the first header is ignored', () => {
  assert.equal(parseConfigText('\uFEFF[model]\nk = 4\n', 'bom.ini').model.k, 4);
});

void test('an empty file gives every default', () => {
  const config = parseConfigText('', 'empty.ini');
  assert.deepEqual(config.input.paths, ['/opt/zeek/logs/current/dce_rpc.log']);
  assert.equal(config.input.pollIntervalMs, 1000);
  assert.equal(config.input.maxLineBytes, 1024 * 1024);
  assert.deepEqual(config.input.bootstrap, []);
  assert.deepEqual(config.features.features, ['endpoint', 'named_pipe', 'operation', 'orig_ip_group', 'resp_ip_group', 'time_of_day_bin']);
  assert.deepEqual(config.features.ipGroupFallback, { kind: 'internal-external' });
  assert.equal(config.features.foldNamedPipeCase, true);
  assert.equal(config.features.missingToken, 'missing');
  assert.equal(config.features.timeZone, 'UTC');
  assert.deepEqual(
    config.features.timeBins.map((bin) => `${bin.fromHour}-${bin.toHour}:${bin.label}`).join(', '),
    DEFAULT_TIME_BINS,
  );
  assert.deepEqual(config.training, { sampleEvery: 'auto', sampleMode: 'deterministic', windowMaxRows: 1_000_000, windowMaxAgeMs: 14 * 86_400_000, minRows: 200 });
  assert.equal(config.model.k, 15);
  assert.equal(config.model.seed, null);
  assert.equal(config.model.retrainSchedule, '17 3 * * *');
  assert.equal(config.scoring.rule, 'technique');
  assert.equal(config.scoring.distanceThreshold, 5);
  assert.equal(config.scoring.alertRate, 0.0005);
  assert.equal(config.scoring.rarityThreshold, null);
  assert.equal(config.output.rotateIntervalMs, 3_600_000);
  assert.equal(config.output.format, 'json');
  assert.deepEqual(config.metrics, { enabled: false, listenHost: '127.0.0.1', listenPort: 9464 });
  assert.deepEqual(config.allow, []);
  assert.deepEqual(config.warnings, []);
});

void test('directories default to systemd env vars, else fixed paths; the file wins over both', () => {
  const fromEnv = defaultConfig({ STATE_DIRECTORY: '/var/lib/private/zad:/var/lib/other', LOGS_DIRECTORY: '/var/log/zad' });
  assert.equal(fromEnv.input.stateDirectory, '/var/lib/private/zad');
  assert.equal(fromEnv.output.directory, '/var/log/zad');
  const fixed = defaultConfig({});
  assert.equal(fixed.input.stateDirectory, '/var/lib/zeek-anomalyd');
  assert.equal(fixed.output.directory, '/var/log/zeek-anomalyd');
  const fromFile = parseConfigText('[input]\nstate_directory = /srv/state\n[output]\ndirectory = /srv/out\n', 'f.ini', { STATE_DIRECTORY: '/x', LOGS_DIRECTORY: '/y' });
  assert.equal(fromFile.input.stateDirectory, '/srv/state');
  assert.equal(fromFile.output.directory, '/srv/out');
  const bad = problemsOf('', { STATE_DIRECTORY: 'relative' });
  assert.equal(bad.length, 1);
  assert.equal(bad[0]?.line, null);
  assert.match(bad[0]?.message ?? '', /\$STATE_DIRECTORY/);
});

void test('values are coerced: durations, sizes, fractions, lists, quotes and inline comments', () => {
  const text = [
    '[input]',
    'paths = /a/dce_rpc.log , /opt/zeek/spool/logger-*/dce_rpc.log',
    'poll_interval = 250ms ; faster',
    'max_line_bytes = 64kB',
    'bootstrap[] = /b/1.log.gz',
    'bootstrap[] = /b/2.log.gz',
    '[features]',
    'features = resp_port, endpoint',
    'ip_group_fallback = label',
    'ip_group_fallback_label = elsewhere',
    'time_zone = europe/berlin',
    'time_bins = 0-11:am, 12-23:pm',
    '[training]',
    'window_max_rows = 1_000',
    'min_rows = 1_000',
    'window_max_age = 1d12h',
    '[scoring]',
    'alert_rate = 0.1%',
    'rarity_threshold = 2.5e1',
    '[model]',
    'seed = 4294967295',
    'retrain_schedule = "0 */6 * * *"',
    '[output]',
    'rotate_interval = 0',
    '[allow.backup]',
    'orig_host = 2001:DB8:0:0:0:0:0:1',
    'named_pipe = \\PIPE\\svcctl',
    'reason = "nightly; expected"',
    'expires = 2026-03-01',
  ].join('\n');
  const config = parseConfigText(text, 'f.ini', {}, { nowMs: NOW });
  assert.deepEqual(config.input.paths, ['/a/dce_rpc.log', '/opt/zeek/spool/logger-*/dce_rpc.log']);
  assert.equal(config.input.pollIntervalMs, 250);
  assert.equal(config.input.maxLineBytes, 64_000);
  assert.deepEqual(config.input.bootstrap, ['/b/1.log.gz', '/b/2.log.gz']);
  assert.deepEqual(config.features.features, ['resp_port', 'endpoint']);
  assert.deepEqual(config.features.ipGroupFallback, { kind: 'label', label: 'elsewhere' });
  assert.equal(config.features.timeZone, 'Europe/Berlin');
  assert.deepEqual(config.features.timeBins, [{ fromHour: 0, toHour: 11, label: 'am' }, { fromHour: 12, toHour: 23, label: 'pm' }]);
  assert.equal(config.training.windowMaxRows, 1000);
  assert.equal(config.training.windowMaxAgeMs, 36 * 3_600_000);
  assert.equal(config.scoring.alertRate, 0.001);
  assert.equal(config.scoring.rarityThreshold, 25);
  assert.equal(config.model.seed, 4294967295);
  assert.equal(config.model.retrainSchedule, '0 */6 * * *');
  assert.equal(config.output.rotateIntervalMs, 0);
  assert.deepEqual(config.allow, [
    { name: 'backup', origHost: '2001:db8::1/128', namedPipe: '\\PIPE\\svcctl', reason: 'nightly; expected', expiresAt: Date.UTC(2026, 2, 2) },
  ]);
});

void test('ip_groups keep file order and canonical CIDR text', () => {
  const config = parseConfigText('[ip_groups]\nzeta = 10.9.0.0/16, 172.16.4.6\nalpha = 2001:0DB8:0000::/48, ::ffff:0:0/96\n', 'f.ini');
  assert.deepEqual(config.features.ipGroups, [
    { name: 'zeta', cidrs: ['10.9.0.0/16', '172.16.4.6/32'] },
    { name: 'alpha', cidrs: ['2001:db8::/48', '::ffff:0:0/96'] },
  ]);
});

void test('warnings do not refuse the file and come back on the config', () => {
  const text = ['[metrics]', 'listen = 0.0.0.0:9464', '[allow.old]', 'endpoint = samr', 'reason = r', 'expires = 2025-12-31', '[allow.typo]', 'resp_group = domain_controlers', 'reason = r', '[ip_groups]', 'domain_controllers = 10.0.0.8/29', '[model]', '[model]'].join('\n');
  const config = parseConfigText(text, 'w.ini', {}, { nowMs: NOW });
  const summary = config.warnings.map((w) => [w.line, w.key, w.severity]);
  assert.deepEqual(summary, [
    [2, 'metrics.listen', 'warning'],
    [3, 'allow.old.expires', 'warning'],
    [7, 'allow.typo.resp_group', 'warning'],
    [13, 'model', 'warning'],
  ]);
  assert.match(config.warnings[2]?.message ?? '', /did you mean domain_controllers/);
  assert.equal(config.allow.length, 2);
});

void test('the line index agrees with ini.decode on what each key is set to', () => {
  const text = [
    '; comment', '# comment', '[input]', 'paths = /a ; c', 'poll_interval = "1s"', '', '[allow.a-b]', 'endpoint = x # y',
    'reason = \'quoted; kept\'', 'named_pipe = \\pipe\\lsass', '[ip_groups]', 'g = 10.0.0.0/8', 'g2[] = 10.1.0.0/16', 'g2[] = 10.2.0.0/16',
  ].join('\r\n');
  const scan = scanIni(text);
  const decoded = decode(text) as Record<string, Record<string, unknown>>;
  for (const entry of scan.entries) {
    const [head, ...rest] = (entry.section ?? '').split('.');
    let section: unknown = decoded[head ?? ''];
    for (const part of rest) section = (section as Record<string, unknown>)[part];
    const value = (section as Record<string, unknown>)[entry.key];
    if (entry.isArrayItem) assert.ok(Array.isArray(value) && value.includes(entry.value), entry.key);
    else assert.equal(value, entry.value, entry.key);
  }
  assert.deepEqual(scan.entries.map((entry) => entry.line), [4, 5, 8, 9, 10, 12, 13, 14]);
});

void test('the golden ip_groups.ini loads and keeps every group', (t) => {
  const path = sharedPath('golden', 'features', 'ip_groups.ini');
  if (path === null) {
    t.skip(SHARED_ABSENT);
    return;
  }
  const text = readFileSync(path, 'utf8');
  const config = parseConfigText(text, path);
  const expected = decode(text) as { ip_groups: Record<string, string> };
  assert.deepEqual(config.features.ipGroups.map((group) => group.name), Object.keys(expected.ip_groups));
  for (const group of config.features.ipGroups) {
    const listed = (expected.ip_groups[group.name] ?? '').split(',').map((cidr) => cidr.trim());
    assert.deepEqual(group.cidrs, listed.map((cidr) => (cidr.includes('/') ? cidr : `${cidr}/32`)));
  }
});

void test('loadConfigFile reads a real file and reports an unreadable one as a config problem', async () => {
  const dir = tempDir();
  const good = join(dir, 'good.ini');
  writeFileSync(good, '[model]\nk = 7\n');
  assert.equal((await loadConfigFile(good, {})).model.k, 7);
  await assert.rejects(loadConfigFile(join(dir, 'absent.ini'), {}), (error: unknown) => {
    assert.ok(error instanceof DaemonError);
    assert.equal(error.code, 'ERR_CONFIG_INVALID');
    const problems = error.meta?.problems as ConfigProblem[];
    assert.equal(problems[0]?.line, null);
    assert.match(problems[0]?.message ?? '', /ENOENT/);
    return true;
  });
});

// Issue 14: `[input] archives` replaces `bootstrap`; old INIs keep working, with a warning.
void test('input.bootstrap is an alias of input.archives, kept with a warning', () => {
  const old = parseConfigText('[input]\nbootstrap = /opt/zeek/logs/*/dce_rpc.*.log.gz\n', 'old.ini');
  assert.deepEqual(old.input.archives, ['/opt/zeek/logs/*/dce_rpc.*.log.gz']);
  assert.ok(old.warnings.some((w) => w.key === 'input.bootstrap' && /older name of archives/.test(w.message) && w.line === 2));
  const both = parseConfigText('[input]\narchives = /a/*.gz, /b/*.log\nbootstrap = /b/*.log, /c/x.gz\n', 'both.ini');
  assert.deepEqual(both.input.archives, ['/a/*.gz', '/b/*.log', '/c/x.gz']);
  const fresh = parseConfigText('[input]\narchives = /a/*.gz\n', 'new.ini');
  assert.deepEqual(fresh.input.archives, ['/a/*.gz']);
  assert.equal(fresh.warnings.filter((w) => w.key.startsWith('input.')).length, 0);
});
