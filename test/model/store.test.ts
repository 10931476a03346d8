/** Saving and loading model files: atomic writes, and refusal of bad files with clear errors. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDaemonError } from '../../src/errors.js';
import { fitKModes } from '../../src/model/fit.js';
import { serializeModel, type KModesModel } from '../../src/model/model.js';
import { loadModel, saveModel } from '../../src/model/store.js';
import { tempDir } from '../helpers/tmp.js';

const rows = [
  ['samr', '\\pipe\\lsass', 'SamrConnect5'],
  ['samr', '\\pipe\\lsass', 'SamrCloseHandle'],
  ['lsarpc', '\\pipe\\lsass', 'LsarLookupSids3'],
  ['drsuapi', '49667', 'DRSBind'],
  ['drsuapi', '49667', 'DRSCrackNames'],
  ['samr', '\\pipe\\lsass', 'SamrConnect5'],
];
const model = fitKModes(rows, {
  k: 3,
  nInit: 2,
  init: 'huang',
  seed: 3,
  featureNames: ['endpoint', 'named_pipe', 'operation'],
  trainingTimeSpan: { from: '2026-01-01T00:00:00Z', to: new Date('2026-01-02T00:00:00Z') },
});

async function refused(text: string, code: string, pattern: RegExp): Promise<void> {
  const dir = tempDir();
  const path = join(dir, 'bad-model.json');
  writeFileSync(path, text);
  await assert.rejects(loadModel(path), (error: unknown) => {
    assert.ok(isDaemonError(error));
    assert.equal(error.code, code);
    assert.ok(error.message.includes(path), `message names the file: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

function edited(change: (doc: Record<string, unknown>) => void): string {
  const doc = JSON.parse(serializeModel(model)) as Record<string, unknown>;
  change(doc);
  return JSON.stringify(doc);
}

void describe('model store', () => {
  void it('saves atomically (no temp file left) and loads the same model', async () => {
    const dir = tempDir();
    const path = join(dir, 'model.json');
    await saveModel(path, model);
    await saveModel(path, model);
    assert.deepEqual(readdirSync(dir), ['model.json']);
    assert.equal(readFileSync(path, 'utf8'), serializeModel(model));
    assert.deepEqual(await loadModel(path), model);
  });

  void it('records the training time span and a content-based id', () => {
    assert.deepEqual(model.training.timeSpan, { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
    assert.match(model.modelId, /^km-\d{8}T\d{6}Z-[0-9a-f]{12}$/);
  });

  void it('refuses a truncated file', async () => {
    const text = serializeModel(model);
    await refused(text.slice(0, Math.floor(text.length / 2)), 'ERR_MODEL_INVALID', /not valid JSON/);
  });

  void it('refuses another format or schema version as incompatible', async () => {
    await refused(edited((d) => (d.format = 'something-else')), 'ERR_MODEL_INCOMPATIBLE', /format/);
    await refused(edited((d) => (d.schemaVersion = 2)), 'ERR_MODEL_INCOMPATIBLE', /schema version 2/);
    await refused('[1,2,3]', 'ERR_MODEL_INVALID', /not a JSON object/);
  });

  void it('refuses corrupt content, naming the field', async () => {
    await refused(edited((d) => delete d.centroids), 'ERR_MODEL_INVALID', /centroids: expected an array/);
    await refused(
      edited((d) => ((d.centroids as string[][])[0] = ['nope', 'x', 'y'])),
      'ERR_MODEL_INVALID',
      /centroids\[0\]\[0\]: value "nope" is not in the vocabulary/,
    );
    await refused(
      edited((d) => ((d.clusterSizes as number[])[0] = 99)),
      'ERR_MODEL_INVALID',
      /valueCounts\[0\]\[0\]: counts sum to/,
    );
    await refused(
      edited((d) => (d.vocabularies as string[][])[2]?.reverse()),
      'ERR_MODEL_INVALID',
      /vocabularies\[2\]: values are not unique and in code-point order/,
    );
  });

  void it('refuses an edit that keeps the shape valid (the id no longer matches)', async () => {
    const changed = edited((d) => ((d as unknown as KModesModel).cost = model.cost + 1));
    await refused(
      edited((d) => {
        const doc = d as unknown as KModesModel;
        doc.runCosts = doc.runCosts.map((c) => (c === model.cost ? c + 1 : c));
        doc.cost += 1;
      }),
      'ERR_MODEL_INVALID',
      /modelId: does not match the content/,
    );
    await refused(changed, 'ERR_MODEL_INVALID', /bestRun|modelId/);
  });

  void it('reports an unreadable file as ERR_INPUT_UNREADABLE', async () => {
    const dir = tempDir();
    await assert.rejects(loadModel(join(dir, 'absent.json')), { code: 'ERR_INPUT_UNREADABLE' });
  });
});
