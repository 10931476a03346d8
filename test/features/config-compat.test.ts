/** The config stage produces FeatureOptions the feature stage accepts, with the same feature set. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, FEATURE_NAMES as CONFIG_FEATURE_NAMES } from '../../src/config/index.js';
import { FEATURE_NAMES, FeatureExtractor, type FeatureOptions } from '../../src/features/index.js';

void test('config and features agree on the allowed feature names', () => {
  assert.deepEqual([...CONFIG_FEATURE_NAMES].sort(), [...FEATURE_NAMES].sort());
});

void test("the config's default feature options drive the extractor, with every feature enabled", () => {
  const options: FeatureOptions = defaultConfig({}).features;
  const extractor = new FeatureExtractor({ ...options, features: [...FEATURE_NAMES] });
  const vector = extractor.extract({
    ts: Date.UTC(2024, 2, 6, 10, 15) / 1000,
    uid: 'C1',
    origHost: '10.1.2.3',
    origPort: 50000,
    respHost: '203.0.113.9',
    respPort: 445,
    rtt: null,
    namedPipe: '\\PIPE\\srvsvc',
    endpoint: 'srvsvc',
    operation: 'NetrShareEnum',
  });
  assert.equal(vector.length, FEATURE_NAMES.length);
  assert.ok(vector.every((value) => value !== ''));
});
