/**
 * Static checks of the shipped systemd unit, its metrics drop-in and the installer: systemd's
 * own analyzers (verify must be silent, the security exposure at most 1.5) and the settings a
 * Node daemon on systemd 252 cannot do without. The runtime proof under a real systemd is
 * test/systemd/nspawn-service.sh (run by .ci/systemd-test.sh).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const UNIT_NAME = 'zeek-anomalyd.service';
const UNIT_PATH = join(repoRoot, 'systemd', UNIT_NAME);
const METRICS_DROPIN_PATH = join(repoRoot, 'systemd', 'metrics.conf');
const INSTALLER_PATH = join(repoRoot, 'systemd', 'install.sh');
const HARNESS_PATH = join(repoRoot, 'test', 'systemd', 'nspawn-service.sh');
/** The bound on `systemd-analyze security` exposure. */
const MAX_EXPOSURE = 1.5;
/** The node the unit's ExecStart names (Debian/NodeSource packages install it there). */
const UNIT_NODE = '/usr/bin/node';

const ANALYZE_ABSENT = 'systemd-analyze is not installed (Debian package: systemd)';
const analyzeAvailable = spawnSync('systemd-analyze', ['--version']).status === 0;

/** One `Key=value` assignment of a unit file, in file order. */
interface UnitAssignment {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** Parses systemd unit syntax (sections, assignments, whole-line comments) into assignments. */
function parseUnit(text: string): UnitAssignment[] {
  const assignments: UnitAssignment[] = [];
  let section = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      section = header[1];
      return;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `line ${index + 1} is neither a section nor an assignment: ${raw}`);
    assignments.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: index + 1 });
  });
  return assignments;
}

/** The values assigned to [Service] `key`, in order (an empty assignment resets the list). */
function serviceValues(assignments: UnitAssignment[], key: string): string[] {
  return assignments.filter((a) => a.section === 'Service' && a.key === key).map((a) => a.value);
}

/** The single [Service] value of `key`; fails when it is missing or assigned twice. */
function serviceValue(assignments: UnitAssignment[], key: string): string {
  const values = serviceValues(assignments, key);
  assert.equal(values.length, 1, `[Service] ${key}= should be set exactly once, got ${JSON.stringify(values)}`);
  return values[0] ?? '';
}

/** Bytes of a systemd size such as 1G, 768M or 1048576. */
function parseSizeBytes(text: string): number {
  const match = /^(\d+)([KMGT]?)$/.exec(text);
  assert.ok(match?.[1] !== undefined, `not a systemd size: ${text}`);
  const power = ['', 'K', 'M', 'G', 'T'].indexOf(match[2] ?? '');
  return Number(match[1]) * 1024 ** power;
}

/**
 * A copy of the unit (and, when asked, the metrics drop-in) in a temp dir. The ExecStart node is
 * rewritten to this test's node when the host has none at /usr/bin/node, because verify fails
 * on a missing executable and that says nothing about the unit.
 */
function stageUnit(withMetricsDropIn: boolean): string {
  const dir = tempDir('zeek-anomalyd-unit-');
  let text = readFileSync(UNIT_PATH, 'utf8');
  if (!existsSync(UNIT_NODE)) text = text.replaceAll(`ExecStart=${UNIT_NODE} `, `ExecStart=${process.execPath} `);
  writeFileSync(join(dir, UNIT_NAME), text);
  if (withMetricsDropIn) {
    mkdirSync(join(dir, `${UNIT_NAME}.d`));
    copyFileSync(METRICS_DROPIN_PATH, join(dir, `${UNIT_NAME}.d`, '60-metrics.conf'));
  }
  return join(dir, UNIT_NAME);
}

function analyze(args: string[]): SpawnSyncReturns<string> {
  const result = spawnSync('systemd-analyze', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.error, undefined, `systemd-analyze ${args.join(' ')}: ${String(result.error)}`);
  return result;
}

/** The "Overall exposure level" number that `systemd-analyze security` prints. */
function exposureOf(unitPath: string): number {
  const result = analyze(['security', '--offline=true', `--threshold=${MAX_EXPOSURE * 10}`, unitPath]);
  const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(result.stdout);
  assert.ok(match?.[1] !== undefined, `no exposure level in:\n${result.stdout}${result.stderr}`);
  const exposure = Number(match[1]);
  // --threshold makes systemd-analyze itself fail above the bound: both must agree.
  assert.equal(result.status === 0, exposure <= MAX_EXPOSURE, `exit ${result.status} vs exposure ${exposure}`);
  return exposure;
}

void describe('systemd-analyze on the shipped unit', { skip: analyzeAvailable ? false : ANALYZE_ABSENT }, () => {
  // verify exits 0 on unknown keys and bad values, printing a warning: silence is the check.
  void test('verify prints nothing for the unit', () => {
    const result = analyze(['verify', stageUnit(false)]);
    assert.equal(`${result.stdout}${result.stderr}`, '');
    assert.equal(result.status, 0);
  });

  void test('verify prints nothing for the unit with the metrics drop-in', () => {
    const result = analyze(['verify', stageUnit(true)]);
    assert.equal(`${result.stdout}${result.stderr}`, '');
    assert.equal(result.status, 0);
  });

  void test(`security --offline rates the unit's exposure at ${MAX_EXPOSURE} or lower`, (t) => {
    const exposure = exposureOf(stageUnit(false));
    t.diagnostic(`exposure ${exposure}`);
    assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}`);
  });

  void test(`security --offline keeps the metrics drop-in at ${MAX_EXPOSURE} or lower`, (t) => {
    const exposure = exposureOf(stageUnit(true));
    t.diagnostic(`exposure with metrics ${exposure}`);
    assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}`);
  });
});

void describe('settings a Node daemon under systemd 252 needs', () => {
  const assignments = parseUnit(readFileSync(UNIT_PATH, 'utf8'));

  void test('no value carries a trailing comment (systemd would parse it as part of the value)', () => {
    const text = readFileSync(UNIT_PATH, 'utf8');
    const offenders = text.split('\n').filter((line) => /^[A-Za-z]+=.*\s[#;]/.test(line));
    assert.deepEqual(offenders, []);
  });

  void test('Type=notify with NotifyAccess=all, because systemd-notify runs as a child process', () => {
    assert.equal(serviceValue(assignments, 'Type'), 'notify');
    assert.equal(serviceValue(assignments, 'NotifyAccess'), 'all');
    assert.match(serviceValue(assignments, 'WatchdogSec'), /^\d+s$/);
  });

  void test('ExecStart runs the package bin with the installed INI; reload sends SIGHUP', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const bin = pkg.bin['zeek-anomalyd'];
    assert.equal(typeof bin, 'string');
    const execStart = serviceValue(assignments, 'ExecStart').split(/\s+/);
    assert.equal(execStart[0], UNIT_NODE);
    assert.ok(execStart.includes(`/opt/zeek-anomalyd/${bin}`), execStart.join(' '));
    assert.deepEqual(execStart.slice(-3), ['run', '-c', '/etc/zeek-anomalyd/zeek-anomalyd.ini']);
    assert.match(serviceValue(assignments, 'ExecReload'), /^\/bin\/kill -HUP \$MAINPID$/);
    assert.equal(serviceValue(assignments, 'Restart'), 'on-failure');
  });

  void test("Node's heap limit sits below MemoryMax with room for V8's other memory", () => {
    const flag = /--max-old-space-size=(\d+)/.exec(serviceValue(assignments, 'ExecStart'));
    assert.ok(flag?.[1] !== undefined, 'ExecStart sets no --max-old-space-size');
    const heapBytes = Number(flag[1]) * 1024 * 1024;
    const memoryMaxBytes = parseSizeBytes(serviceValue(assignments, 'MemoryMax'));
    assert.ok(heapBytes <= memoryMaxBytes * 0.8, `heap ${heapBytes} vs MemoryMax ${memoryMaxBytes}`);
  });

  void test('the syscall filter admits @pkey (V8 calls pkey_alloc) and W^X is not enforced (V8 JIT)', () => {
    const allowLists = serviceValues(assignments, 'SystemCallFilter').filter((v) => !v.startsWith('~'));
    assert.ok(allowLists.some((v) => v.split(/\s+/).includes('@system-service')));
    assert.ok(allowLists.some((v) => v.split(/\s+/).includes('@pkey')));
    assert.deepEqual(serviceValues(assignments, 'MemoryDenyWriteExecute').filter((v) => v !== 'no'), []);
  });

  void test('state, logs and configuration directories are named after the package', () => {
    for (const key of ['StateDirectory', 'LogsDirectory', 'ConfigurationDirectory']) {
      assert.equal(serviceValue(assignments, key), 'zeek-anomalyd', key);
    }
  });

  void test('no network unless the metrics drop-in is installed', () => {
    assert.equal(serviceValue(assignments, 'RestrictAddressFamilies'), 'AF_UNIX');
    assert.equal(serviceValue(assignments, 'PrivateNetwork'), 'yes');
    const dropIn = parseUnit(readFileSync(METRICS_DROPIN_PATH, 'utf8'));
    assert.deepEqual(serviceValues(dropIn, 'RestrictAddressFamilies'), ['', 'AF_UNIX AF_INET AF_INET6']);
    assert.equal(serviceValue(dropIn, 'PrivateNetwork'), 'no');
  });

  void test('an unprivileged identity that reads Zeek logs through the zeek group', () => {
    assert.equal(serviceValue(assignments, 'User'), 'zeek-anomalyd');
    assert.equal(serviceValue(assignments, 'SupplementaryGroups'), 'zeek');
    assert.equal(serviceValue(assignments, 'CapabilityBoundingSet'), '');
    assert.equal(serviceValue(assignments, 'NoNewPrivileges'), 'yes');
  });
});

void describe('installer and harness scripts', () => {
  void test('install.sh and the nspawn harness parse', () => {
    for (const [shell, script] of [['sh', INSTALLER_PATH], ['bash', HARNESS_PATH]] as const) {
      const result = spawnSync(shell, ['-n', script], { encoding: 'utf8' });
      assert.equal(result.status, 0, `${shell} -n ${script}: ${result.stderr}`);
    }
  });

  void test('install.sh --help exits 0 and an unknown option exits 2, before needing root', () => {
    const help = spawnSync('sh', [INSTALLER_PATH, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: install\.sh/);
    const bad = spawnSync('sh', [INSTALLER_PATH, '--no-such-option'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --no-such-option/);
  });
});
