import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig, parseConfigText, renderConfigurationMarkdown, renderExampleIni, FEATURE_NAMES } from '../../src/config/index.js';
import { ALLOW_SECTION, FIXED_SECTIONS } from '../../src/config/schema.js';
import { GENERATED_FILES } from '../../src/config/render-docs.js';
import { repoRoot } from '../helpers/shared.js';

const REGENERATE = 'regenerate with: npx tsc -p tsconfig.json && node build/src/config/render-docs.js';
const NOW = Date.UTC(2026, 0, 15);

function schemaKeys(): string[] {
  return Object.entries(FIXED_SECTIONS).flatMap(([section, spec]) => Object.keys(spec.keys).map((key) => `${section}.${key}`));
}

void test('docs/configuration.md is what the schema generates', () => {
  const committed = readFileSync(join(repoRoot, GENERATED_FILES.markdown), 'utf8');
  assert.equal(committed, renderConfigurationMarkdown(), `docs/configuration.md is stale; ${REGENERATE}`);
});

void test('config/zeek-anomalyd.ini is what the schema generates', () => {
  const committed = readFileSync(join(repoRoot, GENERATED_FILES.exampleIni), 'utf8');
  assert.equal(committed, renderExampleIni(), `config/zeek-anomalyd.ini is stale; ${REGENERATE}`);
});

void test('the docs document every schema key with type, default, units and example', () => {
  const markdown = readFileSync(join(repoRoot, GENERATED_FILES.markdown), 'utf8');
  const documented = [...markdown.matchAll(/^### `([a-z_]+\.[a-z_]+)`$/gm)].map((match) => match[1]);
  assert.deepEqual(documented, schemaKeys());
  for (const key of Object.keys(ALLOW_SECTION.keys)) assert.ok(markdown.includes(`### \`allow.NAME.${key}\``), key);
  const blocks = markdown.split(/^### /m).slice(1);
  for (const block of blocks) {
    for (const field of ['**Type:**', '**Default:**', '**Units:**', '**Example:**']) assert.ok(block.includes(field), `${block.split('\n')[0]} lacks ${field}`);
  }
  for (const feature of FEATURE_NAMES) assert.ok(markdown.includes(feature), feature);
});

void test('the shipped INI documents exactly the schema keys and loads clean as shipped', () => {
  const text = readFileSync(join(repoRoot, GENERATED_FILES.exampleIni), 'utf8');
  let section = '';
  const documented: string[] = [];
  for (const line of text.split('\n')) {
    const header = /^;?\[([a-z_]+)[\].]/.exec(line);
    if (header !== null) section = header[1] ?? '';
    const key = /^;([a-z_]+) =/.exec(line);
    if (key !== null && section !== 'ip_groups' && Object.hasOwn(FIXED_SECTIONS, section)) documented.push(`${section}.${key[1] ?? ''}`);
  }
  assert.deepEqual(documented, schemaKeys());
  const config = parseConfigText(text, 'zeek-anomalyd.ini', {});
  assert.deepEqual(config.warnings, []);
  assert.deepEqual({ ...config, sourceFile: null, effective: null }, { ...defaultConfig({}), effective: null });
});

void test('uncommenting every key line of the shipped INI still loads clean', () => {
  const text = readFileSync(join(repoRoot, GENERATED_FILES.exampleIni), 'utf8');
  const uncommented = text.replace(/^;(\[allow\.[a-z-]+\]|[a-z_]+ =.*)$/gm, '$1');
  assert.notEqual(uncommented, text);
  const config = parseConfigText(uncommented, 'uncommented.ini', {}, { nowMs: NOW });
  assert.deepEqual(config.warnings, []);
  assert.equal(config.allow.length, 1);
  assert.ok(config.features.ipGroups.length > 0);
  // Keys shipped at their default come back at their default.
  const defaults = defaultConfig({});
  assert.deepEqual(config.input, defaults.input);
  assert.deepEqual(config.training, defaults.training);
  assert.deepEqual(config.output, defaults.output);
});

void test('the feature names agree with the feature stage, when it is present', async (t) => {
  let featureStage: { FEATURE_NAMES?: readonly string[] };
  try {
    featureStage = (await import(new URL('../../src/features/options.js', import.meta.url).href)) as typeof featureStage;
  } catch (error) {
    t.skip(`src/features/options.ts is not built (${String(error)})`);
    return;
  }
  assert.deepEqual([...(featureStage.FEATURE_NAMES ?? [])].sort(), [...FEATURE_NAMES].sort());
});
