/**
 * Test harness for the follower: a Zeek-like writer on real files and a collector that records
 * every delivered line, so tests assert exactly-once, in-order delivery.
 */
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LogFollower, type LogFollowerOptions, type RotationEvent, type TruncationEvent } from '../../src/tail/index.js';
import type { FileCheckpoint, FileIdentity, LineBatch } from '../../src/tail/types.js';

/** A Zeek TSV header block whose #open line makes each file's header distinct. */
export function zeekHeader(openStamp = new Date().toISOString()): string {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tdce_rpc',
    `#open\t${openStamp}`,
    '#fields\tts\tuid\toperation',
    '#types\ttime\tstring\tstring',
  ].join('\n') + '\n';
}

/** The data line for sequence number `n` (unique, so fingerprints differ per file). */
export function dataLine(n: number): string {
  return `${1700000000 + n}.000000\tC${n.toString(36)}\top${n % 7}`;
}

/** Zeek's DoInit: create (truncating) with the header, then the given data lines. */
export function createLog(path: string, from: number, to: number): void {
  writeFileSync(path, zeekHeader(`stamp-${from}`) + linesText(from, to));
}

/** Appends data lines `from`..`to`-1. */
export function appendLines(path: string, from: number, to: number): void {
  appendFileSync(path, linesText(from, to));
}

function linesText(from: number, to: number): string {
  let text = '';
  for (let n = from; n < to; n += 1) text += `${dataLine(n)}\n`;
  return text;
}

/** The inode number of a file, as the follower reports it (a decimal string). */
export function inodeOf(path: string): string {
  return String(statSync(path, { bigint: true }).ino);
}

/** Sequence number of a data line, or null for a header line. */
export function sequenceOf(line: string): number | null {
  if (line.startsWith('#')) return null;
  const ts = Number(line.slice(0, line.indexOf('\t')));
  return Math.round(ts - 1700000000);
}

/** Records everything a follower delivers and lets a test wait for a condition. */
export class Collector {
  readonly batches: LineBatch[] = [];
  /** Data lines (not `#` lines) in delivery order, as text. */
  readonly data: string[] = [];
  /** The file each data line was read from (same index as `data`). */
  readonly sources: FileIdentity[] = [];
  readonly headerLines: string[] = [];
  readonly events: string[] = [];
  /** The payloads of 'rotated' and 'truncated', in order. */
  readonly rotations: RotationEvent[] = [];
  readonly truncations: TruncationEvent[] = [];
  overlong = 0;
  /** Optional delay inside the handler (to exercise backpressure). */
  handlerDelayMs = 0;

  readonly handle = async (batch: LineBatch): Promise<void> => {
    this.batches.push(batch);
    this.overlong += batch.overlong;
    for (const line of batch.lines) {
      const text = line.bytes.toString('utf8');
      if (text.startsWith('#')) this.headerLines.push(text);
      else {
        this.data.push(text);
        this.sources.push(batch.file);
      }
    }
    if (this.handlerDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.handlerDelayMs));
    }
  };

  /** The inodes the data lines with sequence numbers from..to-1 were read from. */
  inodesOf(from: number, to: number): Set<string> {
    const inodes = new Set<string>();
    this.data.forEach((line, i) => {
      const n = sequenceOf(line) ?? -1;
      if (n >= from && n < to) inodes.add(this.sources[i]?.ino ?? '?');
    });
    return inodes;
  }

  /** The delivered sequence numbers as ranges in delivery order ("0-999 2000-2999 1000-1999"). */
  deliveredRanges(): string {
    const sequences = this.sequences();
    const ranges: string[] = [];
    let start = sequences[0] ?? 0;
    let previous = start;
    for (let i = 1; i <= sequences.length; i += 1) {
      const n = sequences[i];
      if (n !== undefined && n === previous + 1) {
        previous = n;
        continue;
      }
      ranges.push(start === previous ? String(start) : `${start}-${previous}`);
      if (n !== undefined) start = previous = n;
    }
    return sequences.length === 0 ? '(none)' : ranges.join(' ');
  }

  /** Sequence numbers of the delivered data lines. */
  sequences(): number[] {
    return this.data.map((line) => sequenceOf(line) ?? -1);
  }

  /** Waits for `condition`; the timeout only bounds a failure (a loaded CI machine is slow). */
  async waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; have ${this.data.length} data lines, ` +
          `events ${this.events.join(',')}; delivered ${this.deliveredRanges()}; ` +
          `rotations ${this.rotations.map((r) => `${r.reason}:${r.from.path.split('/').pop() ?? ''}@${r.from.ino}`).join(' ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async waitForData(count: number, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(() => this.data.length >= count, `${count} data lines`, timeoutMs);
  }
}

/** Starts a follower with fast polling and an attached collector (events logged by name). */
export function follow(
  t: TestContext,
  options: Partial<LogFollowerOptions> & { patterns: string[] },
  collector = new Collector(),
): { follower: LogFollower; collector: Collector } {
  const follower = new LogFollower({ pollIntervalMs: 20, ...options });
  // A failed assertion must not leave the poll loop keeping the test process alive.
  t.after(() => follower.stop());
  for (const name of ['file-added', 'file-missing', 'rotated', 'truncated', 'tail-error', 'gap', 'gap-suspected'] as const) {
    follower.on(name, () => collector.events.push(name));
  }
  follower.on('rotated', (event) => collector.rotations.push(event));
  follower.on('truncated', (event) => collector.truncations.push(event));
  follower.on('fatal', (error) => collector.events.push(`fatal:${String(error.cause)}`));
  follower.start(collector.handle);
  return { follower, collector };
}

/**
 * A first daemon run: lines [0, count) are written to `path`, read whole, and the follower stops.
 * Returns the checkpoints it leaves, for the run after the restart.
 */
export async function readWholeThenStop(t: TestContext, path: string, count: number): Promise<FileCheckpoint[]> {
  createLog(path, 0, count);
  const run = follow(t, { patterns: [path] });
  await run.collector.waitForData(count);
  await run.follower.stop();
  return run.follower.checkpoints();
}

/** zeekctl's layout under `root`: the live log in spool/, its archives in logs/<day>/. */
export function zeekctlTree(root: string, day = '2026-01-05'): { spool: string; logs: string; path: string } {
  const spool = join(root, 'spool');
  const logs = join(root, 'logs', day);
  mkdirSync(spool);
  mkdirSync(logs, { recursive: true });
  return { spool, logs, path: join(spool, 'dce_rpc.log') };
}

/** The integers from..to-1. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Sleeps for `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Two logs in their own directories under `dir`: `other/conn.log`, whose batches a test acts in
 * (see actOnceBetweenPolls), and `zeek/<name>`, the log under test.
 */
export function otherAndZeekLog(dir: string, name: string): { other: string; path: string } {
  const otherDir = join(dir, 'other');
  const zeekDir = join(dir, 'zeek');
  mkdirSync(otherDir);
  mkdirSync(zeekDir);
  return { other: join(otherDir, 'conn.log'), path: join(zeekDir, name) };
}

/**
 * A collector that, once armed, runs `action` once inside the handling of the next batch read
 * from `other`. The follower holds nothing in flight then, so what `action` does to another log
 * happens between two of its polls, whatever the machine's speed.
 */
export function actOnceBetweenPolls(other: string, action: () => void): { collector: Collector; arm: () => void } {
  let armed = false;
  const collector = new Collector();
  const handle = collector.handle;
  const onBatch = async (batch: LineBatch): Promise<void> => {
    await handle(batch);
    if (!armed || batch.file.path !== other) return;
    armed = false;
    action();
  };
  Object.assign(collector, { handle: onBatch });
  return {
    collector,
    arm: () => {
      armed = true;
    },
  };
}
