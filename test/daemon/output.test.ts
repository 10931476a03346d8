/**
 * anomalies.log at start and the replay gate, in-process with a real directory: the file a crash
 * left longer than progress.json says is matched, not written again, and checkpoints stay at the
 * first unmatched line until the replay ends.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import { defaultConfig, type Config } from '../../src/config/index.js';
import { openOutput, outputFormatter } from '../../src/daemon/output.js';
import type { Logger } from '../../src/log.js';
import { tempDir } from '../helpers/tmp.js';

const lines: string[] = [];
const log: Logger = {
  debug: () => undefined,
  info: (message) => void lines.push(`info ${message}`),
  warn: (message) => void lines.push(`warn ${message}`),
  error: (message) => void lines.push(`error ${message}`),
};

/**
 * A first run: anomalies.log opened with no mark (nothing to replay), one line written, closed.
 * Returns the output settings and the mark progress.json would hold for that line.
 */
async function firstRun(): Promise<{ output: Config['output']; formatter: ReturnType<typeof outputFormatter>; path: string; mark: { dev: number; ino: number; size: number } }> {
  const config = defaultConfig({});
  const output = { ...config.output, directory: tempDir(), format: 'json' as const };
  const formatter = outputFormatter(output);
  const first = await openOutput(output, formatter, null, log);
  assert.equal(first.gate.replaying, false);
  await first.writer.appendBatch(Buffer.from('{"a":1}\n'));
  await first.writer.close();
  const path = join(output.directory, 'anomalies.log');
  const { dev, ino, size } = statSync(path);
  return { output, formatter, path, mark: { dev, ino, size } };
}

void test('a file longer than its mark is replayed: matched bytes are held back, the checkpoint stays at the mark until they are accounted for', async () => {
  const { output, formatter, path, mark } = await firstRun();
  const { size } = mark;
  // A crash after these two lines were written but before progress.json recorded them.
  appendFileSync(path, '{"b":2}\n{"c":3}\n');

  const { writer, gate } = await openOutput(output, formatter, mark, log);
  assert.equal(gate.replaying, true);
  const identity = writer.identity();
  assert.ok(identity !== null);
  assert.equal(gate.checkpointSize(identity), size, 'nothing accounted for yet: the checkpoint stays at the mark');
  const held = gate.admit(Buffer.from('{"b":2}\n'));
  assert.equal(held.bytes.length, 0);
  assert.equal(gate.checkpointSize(identity), size + 8);
  const rest = gate.admit(Buffer.from('{"c":3}\n{"d":4}\n'));
  assert.equal(rest.bytes.toString(), '{"d":4}\n');
  assert.equal(rest.continuesLine, true);
  assert.equal(gate.replaying, false);
  assert.ok(lines.includes('info caught up with anomalies written before the restart'), lines.join('\n'));
  await writer.appendBatch(rest.bytes, { continuesLine: rest.continuesLine });
  await writer.close();
  assert.equal(readFileSync(path, 'utf8'), '{"a":1}\n{"b":2}\n{"c":3}\n{"d":4}\n');
});

void test('a replay ended early (its lines are not coming) lets everything through and leaves the unmatched lines on disk', async () => {
  const { output, formatter, path, mark } = await firstRun();
  appendFileSync(path, '{"lost":1}\n');
  const { writer, gate } = await openOutput(output, formatter, mark, log);
  gate.end('replay ended');
  assert.equal(gate.replaying, false);
  assert.ok(lines.some((line) => line === 'warn replay ended'));
  const identity = writer.identity();
  assert.ok(identity !== null);
  assert.equal(gate.checkpointSize(identity), identity.size);
  assert.deepEqual(gate.admit(Buffer.from('{"e":5}\n')), { bytes: Buffer.from('{"e":5}\n'), continuesLine: false });
  await writer.close();
});

void test('a file replaced while stopped (another inode) is not replayed, and says so', async () => {
  const { output, formatter, mark } = await firstRun();
  const { writer, gate } = await openOutput(output, formatter, { ...mark, ino: mark.ino + 1 }, log);
  assert.equal(gate.replaying, false);
  assert.ok(lines.some((line) => line.startsWith('warn anomalies.log was replaced while we were stopped')));
  await writer.close();
});
