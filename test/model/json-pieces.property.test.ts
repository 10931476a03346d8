/**
 * Property: the piece-wise JSON text (src/model/json-pieces.ts) is exactly JSON.stringify's, for
 * any JSON value, indentation and depth; and what it serves is unchanged: a saved model file has
 * serializeModel's bytes, and a model id hashes the same bytes as before (sha256 of the JSON).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fitKModes } from '../../src/model/fit.js';
import { jsonPieces, jsonSha256, utf8Chunks } from '../../src/model/json-pieces.js';
import { computeModelId, serializeModel } from '../../src/model/model.js';
import { saveModel } from '../../src/model/store.js';
import { RoutineStats } from '../../src/score/routine.js';
import { tempDir } from '../helpers/tmp.js';

void test('jsonPieces joined is JSON.stringify(value, null, indent), at every depth', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(0, 2, 4, '', '\t'), fc.integer({ min: 0, max: 5 }), (value, indent, depth) => {
      assert.equal([...jsonPieces(value, indent, depth)].join(''), JSON.stringify(value, null, indent));
    }),
    { numRuns: 3000 },
  );
  // What JSON.stringify leaves out of objects and turns into null in arrays.
  const odd = { a: undefined, b: [undefined, () => 1, 'x'], c: { d: undefined }, e: -0, f: 'é"\\\n' };
  assert.equal([...jsonPieces(odd, 2, 4)].join(''), JSON.stringify(odd, null, 2));
  assert.equal(jsonSha256(odd), createHash('sha256').update(JSON.stringify(odd)).digest('hex'));
});

void test('utf8Chunks cuts the pieces into buffers whose bytes are the UTF-8 of the whole text', () => {
  const pieces = Array.from({ length: 5000 }, (_, i) => `"v${i}-é😀",`);
  const chunks = [...utf8Chunks(pieces, 4096)];
  assert.ok(chunks.length > 5);
  assert.equal(Buffer.concat(chunks).toString('utf8'), pieces.join(''));
});

void test('a saved model (with routine statistics) is byte for byte serializeModel, and its id hashes JSON.stringify of its content', async () => {
  const rows = Array.from({ length: 300 }, (_, i) => [`ep${i % 7}`, `\\pipe\\p"${i % 5}`, `Op${i % 11}é`]);
  const fitted = fitKModes(rows, { k: 4, nInit: 2, init: 'huang', seed: 9, featureNames: ['endpoint', 'named_pipe', 'operation'] });
  const stats = new RoutineStats();
  for (let i = 0; i < 20_000; i++) stats.observe(1_709_510_400 + (i % 9) * 86_400 + i, `10.0.${i % 50}.${i % 7}`, `g${i % 3}`, `ep${i % 700}`, `Op${i % 40}`, `10.1.0.${i % 9}`);
  const model = { ...fitted, routine: stats.profile() };
  const { modelId: _id, createdAt: _created, ...content } = model;
  assert.equal(computeModelId(model).slice(-12), createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12));
  const path = join(tempDir(), 'm.json');
  await saveModel(path, model);
  const text = readFileSync(path, 'utf8');
  assert.ok(text.length > 1 << 17, `${text.length} bytes: more than two 64 KiB chunks`);
  assert.equal(text, serializeModel(model));
});
