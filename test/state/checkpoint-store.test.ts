import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/state/atomic-write.js';
import {
  CHECKPOINT_FILE,
  loadCheckpoints,
  parseCheckpointDocument,
  saveCheckpoints,
} from '../../src/state/checkpoint-store.js';
import type { FileCheckpoint } from '../../src/tail/types.js';
import { tempDir } from '../helpers/tmp.js';

const sample: FileCheckpoint[] = [
  {
    path: '/opt/zeek/spool/logger-1/dce_rpc.log',
    dev: '64768',
    ino: '18446744073709551557', // beyond 2^53: must survive as a string
    fingerprint: 'f'.repeat(40),
    offset: 123456,
    line: 789,
  },
  { path: '/x/dce_rpc.log', dev: '1', ino: '2', fingerprint: '', offset: 0, line: 1 },
];

void test('writeFileAtomic replaces the content and leaves no temp file', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.json');
  await writeFileAtomic(path, 'one');
  await writeFileAtomic(path, 'two');
  assert.equal(readFileSync(path, 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

void test('writeFileAtomic into a missing directory fails with ERR_STATE', async () => {
  const dir = tempDir();
  await assert.rejects(writeFileAtomic(join(dir, 'nope', 'state.json'), 'x'), {
    code: 'ERR_STATE',
  });
});

void test('checkpoints round-trip through the state directory', async () => {
  const dir = tempDir();
  assert.deepEqual(await loadCheckpoints(dir), { checkpoints: [] });
  await saveCheckpoints(dir, sample);
  const loaded = await loadCheckpoints(dir);
  assert.equal(loaded.warning, undefined);
  assert.deepEqual(loaded.checkpoints, sample);
  const document = JSON.parse(readFileSync(join(dir, CHECKPOINT_FILE), 'utf8')) as { version: number };
  assert.equal(document.version, 1);
});

void test('a corrupt or incompatible file gives a warning and a fresh start, never a throw', async () => {
  const dir = tempDir();
  const path = join(dir, CHECKPOINT_FILE);
  const bad = [
    '{"version":1,"files":[{"path":"/a"',
    '[]',
    '{"version":99,"files":[]}',
    '{"version":1,"files":[{"path":"/a","dev":"1","ino":"x","fingerprint":"","offset":0,"line":1}]}',
    '{"version":1,"files":[{"path":"/a","dev":"1","ino":"2","fingerprint":"","offset":-1,"line":1}]}',
    '{"version":1,"files":[{"path":"/a","dev":"1","ino":"2","fingerprint":"","offset":0,"line":0}]}',
  ];
  for (const text of bad) {
    writeFileSync(path, text);
    const loaded = await loadCheckpoints(dir);
    assert.deepEqual(loaded.checkpoints, [], text);
    assert.equal(loaded.warning?.code, 'ERR_STATE', text);
  }
});

void test('parseCheckpointDocument names the offending field', () => {
  assert.throws(
    () =>
      parseCheckpointDocument(
        '{"version":1,"files":[{"path":"/a","dev":"1","ino":"2","fingerprint":7,"offset":0,"line":1}]}',
      ),
    /files\[0\]\.fingerprint/,
  );
});
