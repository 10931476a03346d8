import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fitKModes } from '../../src/model/index.js';
import {
  AllowList,
  calibrateModel,
  checkModelFeatures,
  rarityBits,
  rateThreshold,
  Scorer,
  TechniqueVetting,
} from '../../src/score/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';

const FEATURES = ['endpoint', 'operation', 'orig_ip_group', 'resp_ip_group'];

/** A small training set: `n` copies of each routine row. */
function routine(n: number): string[][] {
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(['samr', 'SamrConnect5', 'finance', 'domain_controllers']);
    rows.push(['lsarpc', 'LsarLookupSids3', 'sales', 'domain_controllers']);
    rows.push(['drsuapi', 'DRSGetNCChanges', 'domain_controllers', 'domain_controllers']);
    rows.push(['spoolss', 'RpcOpenPrinter', 'finance', 'print_servers']);
  }
  return rows;
}

function model(rows: string[][]) {
  return calibrateModel(fitKModes(rows, { k: 4, nInit: 2, init: 'huang', seed: 1, maxIter: 20, featureNames: FEATURES }), rows);
}

void test('rarity falls as support grows and never goes below zero bits', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1e6 }), fc.nat(1e6), fc.nat(1e6), (rows, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      assert.ok(rarityBits(low, rows) >= rarityBits(high, rows));
    }),
  );
  assert.ok(rarityBits(100, 100) >= 0 && rarityBits(100, 100) < 0.01);
});

void test('more training copies of a pair give it more support and less rarity', () => {
  const few = new Scorer(model([...routine(50), ...Array.from({ length: 2 }, () => ['samr', 'SamrConnect5', 'sales', 'domain_controllers'])]), { kind: 'distance', threshold: 5 });
  const many = new Scorer(model([...routine(50), ...Array.from({ length: 40 }, () => ['samr', 'SamrConnect5', 'sales', 'domain_controllers'])]), { kind: 'distance', threshold: 5 });
  const row = ['samr', 'SamrConnect5', 'sales', 'domain_controllers'];
  assert.ok(many.score(row, 'SamrConnect5').support > few.score(row, 'SamrConnect5').support);
  assert.ok(many.score(row, 'SamrConnect5').rarity < few.score(row, 'SamrConnect5').rarity);
});

void test('distance rule flags exactly rows more than N features from the nearest mode', () => {
  const m = model(routine(20));
  const strict = new Scorer(m, { kind: 'distance', threshold: 1 });
  const loose = new Scorer(m, { kind: 'distance', threshold: 5 });
  const odd = ['efsrpc', 'EfsRpcOpenFileRaw', 'vpn', 'domain_controllers'];
  const verdict = strict.score(odd, 'EfsRpcOpenFileRaw');
  assert.equal(verdict.anomalous, verdict.distance > 1);
  assert.ok(verdict.distance >= 2);
  assert.equal(loose.score(odd, 'EfsRpcOpenFileRaw').anomalous, false);
  assert.equal(strict.score(['samr', 'SamrConnect5', 'finance', 'domain_controllers'], 'SamrConnect5').anomalous, false);
});

void test('technique rule: unseen endpoint flags, routine does not, a technique op needs a vetted group', () => {
  const rows = routine(20);
  const m = model(rows);
  const vetting = new TechniqueVetting(2, 0);
  vetting.observe('DRSGetNCChanges', 'domain_controllers', '10.0.0.8');
  vetting.observe('DRSGetNCChanges', 'domain_controllers', '10.0.0.9');
  vetting.observe('DRSGetNCChanges', 'finance', '10.10.1.5');
  const scorer = new Scorer({ ...m, techniques: vetting.profile() }, { kind: 'technique', minSupport: 1, alertRate: 0 });
  assert.equal(scorer.score(['samr', 'SamrConnect5', 'finance', 'domain_controllers'], 'SamrConnect5').anomalous, false);
  assert.equal(scorer.score(['drsuapi', 'DRSGetNCChanges', 'domain_controllers', 'domain_controllers'], 'DRSGetNCChanges').anomalous, false);
  const dcsync = scorer.score(['drsuapi', 'DRSGetNCChanges', 'finance', 'domain_controllers'], 'DRSGetNCChanges');
  assert.equal(dcsync.anomalous, true);
  assert.equal(dcsync.technique?.id, 'T1003.006');
  assert.equal(scorer.score(['0000-unknown', 'unknown-7', 'finance', 'domain_controllers'], 'unknown-7').anomalous, true);
});

void test('vetting admits a technique pair only with enough hosts and enough of the group', () => {
  const vetting = new TechniqueVetting(2, 0.25);
  for (let h = 0; h < 20; h++) vetting.observe('SamrConnect5', 'engineering', `10.10.3.${h}`);
  vetting.observe('NetrSessionEnum', 'engineering', '10.10.3.1');
  vetting.observe('NetrSessionEnum', 'engineering', '10.10.3.2');
  vetting.observe('NetrSessionEnum', 'engineering', '10.10.3.2');
  assert.equal(vetting.admits('NetrSessionEnum', 'engineering'), false, '2 of 20 hosts is below a quarter');
  for (let h = 3; h < 6; h++) vetting.observe('NetrSessionEnum', 'engineering', `10.10.3.${h}`);
  assert.equal(vetting.admits('netrsessionenum', 'engineering'), true, '5 of 20 hosts, case-insensitive');
  vetting.observe('CreateServiceW', 'management_servers', '10.0.1.41');
  assert.equal(vetting.admits('CreateServiceW', 'management_servers'), false, 'one host is never enough');
  assert.equal(vetting.admits('SamrConnect5', 'anything'), true, 'ordinary operations are not vetted');
  assert.deepEqual(vetting.profile().admitted, [['netrsessionenum', 'engineering', 5]]);
});

void test('rate threshold: the flagged fraction of the calibration rows never exceeds the rate', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 500 })), { minLength: 1, maxLength: 40 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      (pairs, rate) => {
        const byRarity = new Map<number, number>();
        for (const [r, n] of pairs) byRarity.set(r / 100, (byRarity.get(r / 100) ?? 0) + n);
        const rarity = [...byRarity.entries()].sort((a, b) => a[0] - b[0]);
        const m = { ...model(routine(2)), calibration: { rarity } };
        const threshold = rateThreshold(m, rate);
        const total = rarity.reduce((s, [, n]) => s + n, 0);
        const flagged = rarity.filter(([r]) => r > threshold).reduce((s, [, n]) => s + n, 0);
        assert.ok(flagged <= rate * total + 1e-9, `${flagged} of ${total} flagged at rate ${rate}`);
      },
    ),
  );
});

void test('rate rule on real calibration flags no training row when the rate is tiny', () => {
  const rows = routine(30);
  const scorer = new Scorer(model(rows), { kind: 'rate', alertRate: 0.0001 });
  for (const row of rows.slice(0, 4)) assert.equal(scorer.score(row, row[1] as string).anomalous, false);
});

const record = (over: Partial<DceRpcRecord>): DceRpcRecord =>
  ({
    ts: 0, uid: 'C1', origHost: '10.0.1.41', origPort: 50000, respHost: '10.10.3.7', respPort: 445,
    rtt: null, namedPipe: '\\PIPE\\svcctl', endpoint: 'svcctl', operation: 'CreateServiceW', ...over,
  });

void test('allow-list matches by group, CIDR, endpoint and operation, and stops at expiry', () => {
  const allow = new AllowList([
    { name: 'sccm', origGroup: 'management_servers', endpoint: 'svcctl', reason: 'software deployment', expiresAt: 1000 },
    { name: 'lab', origHost: '10.99.0.0/24', operation: 'EfsRpcOpenFileRaw', reason: 'pentest lab' },
  ]);
  const groups = { origGroup: 'management_servers', respGroup: 'engineering' };
  assert.equal(allow.match(record({}), groups, 999)?.name, 'sccm');
  assert.equal(allow.match(record({}), groups, 1001), undefined, 'expired');
  assert.equal(allow.match(record({ endpoint: 'winreg' }), groups, 0), undefined);
  const lab = record({ origHost: '10.99.0.12', endpoint: 'efsrpc', operation: 'EfsRpcOpenFileRaw' });
  assert.equal(allow.match(lab, { origGroup: 'other', respGroup: 'dc' }, 0)?.name, 'lab');
  assert.equal(allow.match({ ...lab, origHost: '10.98.0.12' }, { origGroup: 'other', respGroup: 'dc' }, 0), undefined);
});

void test('a model trained on other features is refused with a message naming the file', () => {
  const m = model(routine(5));
  assert.throws(
    () => checkModelFeatures(m, ['endpoint', 'operation'], 'old.json'),
    (error: Error & { code?: string }) => error.code === 'ERR_MODEL_INCOMPATIBLE' && error.message.includes('old.json'),
  );
  checkModelFeatures(m, FEATURES);
});

void test('the verdict cache never serves one row the verdict of another (random vocabularies, repeats, unseen values)', () => {
  // Every feature value repeats across rows, so distinct rows share codes in all but one place:
  // a cache key that merged two code lists would hand one row the other's cached verdict.
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 4, maxLength: 4 }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.constantFrom<string[]>(FEATURES, ['endpoint', 'orig_ip_group', 'resp_ip_group', 'named_pipe']),
      (sizes, seed, features) => {
        let state = seed;
        const next = (n: number): number => {
          state = (Math.imul(state, 48271) + 1) >>> 0;
          return state % n;
        };
        // Index `size` of a feature is a value training never saw.
        const value = (f: number, i: number): string => `${features[f]}-${i}`;
        const rows = Array.from({ length: 60 }, () => sizes.map((size, f) => value(f, next(size))));
        const m = calibrateModel(fitKModes(rows, { k: 3, nInit: 1, init: 'huang', seed: 1, maxIter: 10, featureNames: features }), rows);
        const shared = new Scorer(m, { kind: 'technique', minSupport: 2, alertRate: 0.05 });
        for (let i = 0; i < 200; i++) {
          const row = sizes.map((size, f) => value(f, next(size + 1)));
          const operation = features.includes('operation') ? (row[1] as string) : `op-${next(3)}`;
          const fresh = new Scorer(m, { kind: 'technique', minSupport: 2, alertRate: 0.05 }).score(row, operation, 'g', 'e');
          assert.deepEqual(shared.score(row, operation, 'g', 'e'), fresh, `row ${row.join(',')}`);
        }
      },
    ),
    { numRuns: 40 },
  );
});
