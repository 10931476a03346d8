import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureOptions } from '../../src/features/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';
import { isDaemonError } from '../../src/errors.js';

const record = (over: Partial<DceRpcRecord> = {}): DceRpcRecord => ({
  ts: Date.UTC(2024, 2, 9, 23, 30) / 1000, // Saturday 23:30 UTC
  uid: 'CabcdefghijklmnopQ',
  origHost: '10.10.1.5',
  origPort: 50123,
  respHost: '10.0.0.10',
  respPort: 445,
  rtt: 0.0003,
  namedPipe: '\\PIPE\\lsarpc',
  endpoint: 'lsarpc',
  operation: 'LsarLookupSids',
  ...over,
});

const options = (over: Partial<FeatureOptions> = {}): FeatureOptions => ({
  ...DEFAULT_FEATURE_OPTIONS,
  ipGroups: [
    { name: 'finance', cidrs: ['10.10.1.0/24'] },
    { name: 'dc', cidrs: ['10.0.0.8/29'] },
  ],
  ...over,
});

void test('the notebook features, in order', () => {
  const extractor = new FeatureExtractor(options());
  assert.deepEqual(extractor.names, [
    'endpoint',
    'named_pipe',
    'operation',
    'orig_ip_group',
    'resp_ip_group',
    'time_of_day_bin',
  ]);
  assert.deepEqual(extractor.extract(record()), [
    'lsarpc',
    '\\PIPE\\lsarpc',
    'LsarLookupSids',
    'finance',
    'dc',
    'late_night',
  ]);
});

void test('unset, empty and "(empty)" all become the missing token', () => {
  const extractor = new FeatureExtractor(options({ missingToken: '<none>' }));
  for (const blank of [null, '', '(empty)']) {
    const vector = extractor.extract(
      record({ endpoint: blank, namedPipe: blank, operation: blank, origHost: blank, respHost: blank, ts: Number.NaN }),
    );
    assert.deepEqual(vector, ['<none>', '<none>', '<none>', '<none>', '<none>', '<none>']);
  }
});

void test('pipe-case folding: one lower-case spelling, TCP-port pipes unchanged', () => {
  const folded = new FeatureExtractor(options({ foldNamedPipeCase: true, features: ['named_pipe'] }));
  const kept = new FeatureExtractor(options({ foldNamedPipeCase: false, features: ['named_pipe'] }));
  assert.deepEqual(folded.extract(record({ namedPipe: '\\PIPE\\lsarpc' })), ['\\pipe\\lsarpc']);
  assert.deepEqual(folded.extract(record({ namedPipe: '\\pipe\\lsarpc' })), ['\\pipe\\lsarpc']);
  assert.deepEqual(folded.extract(record({ namedPipe: '49667' })), ['49667']);
  assert.deepEqual(folded.extract(record({ namedPipe: null })), ['missing']);
  assert.deepEqual(kept.extract(record({ namedPipe: '\\PIPE\\lsarpc' })), ['\\PIPE\\lsarpc']);
});

void test('day_of_week, weekday_weekend and time bins follow the configured zone', () => {
  const features = ['day_of_week', 'weekday_weekend', 'time_of_day_bin', 'resp_port'];
  const utc = new FeatureExtractor(options({ features }));
  const tokyo = new FeatureExtractor(options({ features, timeZone: 'Asia/Tokyo' }));
  // Saturday 23:30 UTC is Sunday 08:30 in Tokyo.
  assert.deepEqual(utc.extract(record()), ['saturday', 'weekend', 'late_night', '445']);
  assert.deepEqual(tokyo.extract(record()), ['sunday', 'weekend', 'morning', '445']);
  const mondayNoon = record({ ts: Date.UTC(2024, 2, 11, 12, 0) / 1000, respPort: null });
  assert.deepEqual(utc.extract(mondayNoon), ['monday', 'weekday', 'afternoon', 'missing']);
});

void test('fallback kinds apply to addresses outside every group', () => {
  const features = ['orig_ip_group', 'resp_ip_group'];
  const r = record({ origHost: '192.168.7.9', respHost: '8.8.4.4' });
  assert.deepEqual(new FeatureExtractor(options({ features })).extract(r), ['other', 'other']);
  assert.deepEqual(
    new FeatureExtractor(options({ features, ipGroupFallback: { kind: 'subnet' } })).extract(r),
    ['192.168.7.0/24', '8.8.4.0/24'],
  );
  assert.deepEqual(
    new FeatureExtractor(options({ features, ipGroupFallback: { kind: 'internal-external' } })).extract(r),
    ['internal', 'external'],
  );
});

void test('extractInto reuses the caller array and matches extract', () => {
  const extractor = new FeatureExtractor(options());
  const out: string[] = ['stale', 'stale', 'stale', 'stale', 'stale', 'stale', 'extra'];
  const same = extractor.extractInto(record(), out);
  assert.equal(same, out);
  assert.deepEqual(out, extractor.extract(record()));
});

void test('an unknown or empty feature list is a config error', () => {
  const isConfigError = (e: unknown): boolean => isDaemonError(e) && e.code === 'ERR_CONFIG_INVALID';
  assert.throws(() => new FeatureExtractor(options({ features: ['endpoint', 'colour'] })), isConfigError);
  assert.throws(() => new FeatureExtractor(options({ features: [] })), isConfigError);
  assert.throws(() => new FeatureExtractor(options({ timeZone: 'Nowhere/Special' })), isConfigError);
});
