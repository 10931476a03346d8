import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, IpGroupResolver } from '../../src/features/index.js';
import {
  DEFAULT_START_TS,
  NETWORK_GROUPS,
  SCENARIOS,
  generateDceRpc,
  networkHosts,
  renderIpGroupsIni,
  type LabelledRecord,
} from '../../src/generate/index.js';

const generate = (rows: number, seed: number, days?: number): LabelledRecord[] => [
  ...generateDceRpc({ rows, seed, ...(days === undefined ? {} : { days }) }),
];

// One shared week of 100k rows for the statistical checks (about 0.2 s).
const week = generate(100_000, 7);

void test('the same seed gives identical rows; another seed gives different rows', () => {
  const a = generate(20_000, 42);
  const b = generate(20_000, 42);
  const c = generate(20_000, 43);
  assert.equal(JSON.stringify(a), JSON.stringify(b));
  assert.notEqual(JSON.stringify(a.slice(0, 100)), JSON.stringify(c.slice(0, 100)));
});

void test('exactly the requested rows, in time order, inside the span', () => {
  for (const rows of [0, 1, 17, 5000]) assert.equal(generate(rows, 1).length, rows);
  assert.equal(week.length, 100_000);
  for (let i = 1; i < week.length; i++) {
    assert.ok((week[i] as LabelledRecord).ts >= (week[i - 1] as LabelledRecord).ts, `row ${i} goes back in time`);
  }
  const first = week[0] as LabelledRecord;
  const last = week[week.length - 1] as LabelledRecord;
  assert.ok(first.ts >= DEFAULT_START_TS);
  assert.ok(last.ts < DEFAULT_START_TS + 7 * 86400 + 3600);
  const twoDays = generate(5000, 3, 2);
  assert.ok((twoDays[twoDays.length - 1] as LabelledRecord).ts < DEFAULT_START_TS + 2 * 86400 + 3600);
});

void test('every scenario occurs in a week, and attacks stay rare (≤ 0.5 % of rows)', () => {
  const attackRows = week.filter((r) => r.scenario !== null);
  const seen = new Set(attackRows.map((r) => r.scenario));
  assert.deepEqual([...seen].sort(), [...SCENARIOS].sort());
  assert.ok(attackRows.length > 0 && attackRows.length <= 0.005 * week.length, `${attackRows.length} attack rows`);
  const hours = attackRows.map((r) => new Date(r.ts * 1000).getUTCHours());
  assert.ok(hours.some((h) => h <= 4 || h >= 22), 'some attacks happen at odd hours');
  assert.ok(hours.some((h) => h >= 9 && h <= 17), 'some attacks hide in business hours');
});

void test('labels match records: a uid is one session with one label, and uids never collide', () => {
  const sessions = new Map<string, string>();
  for (const r of week) {
    assert.match(r.uid ?? '', /^C[0-9A-Za-z]{17}$/);
    const key = `${r.origHost}|${r.origPort}|${r.respHost}|${r.respPort}|${r.endpoint}|${r.scenario ?? 'benign'}`;
    const previous = sessions.get(r.uid as string);
    if (previous === undefined) sessions.set(r.uid as string, key);
    else assert.equal(key, previous, `uid ${r.uid} is shared by two sessions`);
  }
  const attackUids = new Set(week.filter((r) => r.scenario !== null).map((r) => r.uid));
  assert.ok(attackUids.size >= SCENARIOS.length);
});

void test('rhythm: business hours carry far more traffic than nights and weekends', () => {
  const perHour = new Map<string, number>();
  for (const r of week) {
    const d = new Date(r.ts * 1000);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const h = d.getUTCHours();
    const slot = weekend ? 'weekend' : h >= 9 && h <= 16 ? 'business' : h <= 4 ? 'night' : 'other';
    perHour.set(slot, (perHour.get(slot) ?? 0) + 1);
  }
  const business = (perHour.get('business') ?? 0) / (5 * 8);
  const night = (perHour.get('night') ?? 0) / (5 * 5);
  const weekend = (perHour.get('weekend') ?? 0) / 48;
  assert.ok(business > 5 * night, `business ${business}/h vs night ${night}/h`);
  assert.ok(business > 5 * weekend, `business ${business}/h vs weekend ${weekend}/h`);
  assert.ok(night > 0 && weekend > 0, 'servers keep talking at night and on weekends');
});

void test('realistic fields: ports, pipes, unset values, IPv6 clients', () => {
  let unsetRtt = 0;
  let unsetPipe = 0;
  let portPipes = 0;
  let ipv6 = 0;
  for (const r of week) {
    assert.ok(r.origPort !== null && r.origPort >= 49152 && r.origPort <= 65535);
    const port = r.respPort ?? -1;
    assert.ok(port === 135 || port === 445 || (port >= 49664 && port < 49712), `resp port ${port}`);
    if (port !== 445) assert.equal(r.namedPipe, String(port), 'TCP transports log the port as the pipe');
    if (r.rtt === null) unsetRtt++;
    if (r.namedPipe === null) unsetPipe++;
    if (r.namedPipe !== null && /^\d+$/.test(r.namedPipe)) portPipes++;
    if (r.origHost?.includes(':') === true) ipv6++;
  }
  assert.ok(unsetRtt > 0.1 * week.length && unsetRtt < 0.4 * week.length);
  assert.ok(unsetPipe > 0 && unsetPipe < 0.02 * week.length);
  assert.ok(portPipes > 0.05 * week.length);
  assert.ok(ipv6 > 0);
  const legitReplication = week.filter((r) => r.operation === 'DRSGetNCChanges' && r.scenario === null);
  assert.ok(legitReplication.length > 0, 'DCs replicate with each other');
});

void test('the rendered INI maps every generated host except the rogue range', () => {
  const ini = renderIpGroupsIni();
  const groups = ini
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(';') && !l.startsWith('['))
    .map((l) => {
      const [name = '', cidrs = ''] = l.split('=');
      return { name: name.trim(), cidrs: cidrs.split(',').map((c) => c.trim()) };
    });
  assert.deepEqual(groups.map((g) => g.name), NETWORK_GROUPS.map((g) => g.name));
  const resolver = new IpGroupResolver(groups, { kind: 'label', label: 'other' }, 'missing');
  const hosts = networkHosts();
  for (const { host, department } of hosts.workstations) assert.equal(resolver.lookup(host), department);
  for (const host of hosts.domainControllers) assert.equal(resolver.lookup(host), 'domain_controllers');
  for (const host of hosts.domainControllersV6) assert.equal(resolver.lookup(host), 'domain_controllers');
  for (const host of hosts.workstationsV6) assert.equal(resolver.lookup(host), 'engineering');
  for (const host of hosts.vpnClients) assert.equal(resolver.lookup(host), 'vpn');
  for (const host of hosts.rogue) assert.equal(resolver.lookup(host), 'other');

  const extractor = new FeatureExtractor({ ...DEFAULT_FEATURE_OPTIONS, ipGroups: groups });
  const rogueRows = week.filter((r) => r.scenario === 'unknown_interface');
  assert.ok(rogueRows.every((r) => extractor.extract(r)[3] === 'other'));
  const dcsync = week.filter((r) => r.scenario === 'dcsync' && r.endpoint === 'drsuapi');
  assert.ok(dcsync.every((r) => extractor.extract(r)[3] !== 'domain_controllers'), 'DCSync comes from a non-DC');
});
