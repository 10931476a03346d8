import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RoutineStats } from '../../src/score/routine.js';
import { loadRoutineStats, ROUTINE_STATS_FILE, saveRoutineStats } from '../../src/state/routine-stats-file.js';

const DAY = 86_400;
const T0 = Date.UTC(2024, 2, 4) / 1000;

void test('routine-stats.json is written in pieces, is exactly the toJSON document, and loads back', async () => {
  const seed = Date.now() % 100_000;
  let x = seed;
  const rand = (n: number): number => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x % n;
  };
  const stats = new RoutineStats();
  // Enough distinct values (a small flood) that the file spans many 64 KiB chunks, with
  // quotes, backslashes and non-ASCII in the values so the piecewise encoding must escape them.
  for (let i = 0; i < 20_000; i++) {
    const value = rand(5) === 0 ? `pipe"\\\u00e9-${rand(3000)}` : `ep-${rand(3000)}`;
    stats.observe(T0 + rand(9) * DAY + rand(DAY), `10.${rand(4)}.0.${rand(200)}`, `g${rand(3)}`, value, `Op${rand(40)}`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'zad-routine-file-'));
  try {
    assert.equal(stats.jsonPieces().next().done, false);
    const pieces = [...stats.jsonPieces()];
    assert.ok(pieces.length > 100, `seed ${seed}: ${pieces.length} pieces`);
    await saveRoutineStats(dir, stats);
    const text = await readFile(join(dir, ROUTINE_STATS_FILE), 'utf8');
    assert.ok(text.length > 1 << 17, `seed ${seed}: ${text.length} bytes`);
    assert.equal(text, JSON.stringify(stats.toJSON()), `seed ${seed}`);
    const loaded = await loadRoutineStats(dir, {});
    assert.equal(loaded.restored, true);
    assert.deepEqual(loaded.stats.profile(), stats.profile(), `seed ${seed}`);
    // An empty statistics object round-trips too (the first stop of a daemon that read nothing).
    await saveRoutineStats(dir, new RoutineStats());
    assert.equal(await readFile(join(dir, ROUTINE_STATS_FILE), 'utf8'), JSON.stringify(new RoutineStats().toJSON()));
    assert.equal((await loadRoutineStats(dir, {})).restored, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('routine-stats.json saved while records keep arriving is the statistics as they were when the save began', async () => {
  const stats = new RoutineStats();
  for (let i = 0; i < 20_000; i++) stats.observe(T0 + (i % 7) * DAY + i, `10.0.${i % 200}.${i % 250}`, 'g', `ep-${i}`, `Op${i % 40}`);
  const dir = await mkdtemp(join(tmpdir(), 'zad-routine-live-'));
  try {
    const expected = JSON.stringify(stats.toJSON());
    const saving = saveRoutineStats(dir, stats);
    // Records observed at every turn of the event loop from the next one on, as the daemon's
    // batches would be while the save awaits the disk.
    let more = 0;
    let feeding = true;
    const feed = (): void => {
      if (!feeding) return;
      for (let k = 0; k < 500; k++, more++) stats.observe(T0 + 8 * DAY + more, `10.9.${more % 200}.1`, 'h', `late-${more}`, 'OpLate');
      setImmediate(feed);
    };
    setImmediate(feed);
    try {
      await saving;
    } finally {
      feeding = false;
    }
    assert.ok(more > 0, 'records arrived while the file was being saved');
    const text = await readFile(join(dir, ROUTINE_STATS_FILE), 'utf8');
    assert.ok(text.length > 1 << 17, `${text.length} bytes: more than one 64 KiB chunk`);
    assert.equal(text, expected);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
