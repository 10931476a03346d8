/**
 * Fuzz: 100,000 lines, a mix of valid records and random or mutated ones, through the real file
 * reader. Nothing may throw, every line yields exactly one record or one error, and every
 * untouched line comes back intact.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DCE_RPC_SCHEMA, formatJsonRecord, formatTsvHeader, formatTsvRecord, scanZeekLog } from '../../src/zeek/index.js';
import type { ReadEvent, ZeekValue } from '../../src/zeek/index.js';
import { tempDir } from '../helpers/tmp.js';

/** Small deterministic PRNG (mulberry32), so a failure reproduces from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_LINE = 2048;

function values(random: () => number, i: number): ZeekValue[] {
  return [
    1_600_000_000 + i + Math.floor(random() * 1e6) / 1e6,
    `C${Math.floor(random() * 1e12).toString(36)}`,
    `10.0.${i % 256}.${Math.floor(random() * 256)}`,
    Math.floor(random() * 65536),
    '10.0.0.1',
    445,
    random() < 0.3 ? null : Math.floor(random() * 1e6) / 1e6,
    random() < 0.5 ? '\\pipe\\lsass' : '135',
    'samr',
    random() < 0.1 ? 'unknown,-\t#' : 'SamrConnect5',
  ];
}

/** A broken variant of `line`: flipped bytes, cut, extra separators, junk. Never a newline or a leading `#`. */
function mutate(line: Buffer, random: () => number): Buffer {
  const kind = Math.floor(random() * 6);
  let out: Buffer;
  switch (kind) {
    case 0: {
      out = Buffer.from(line);
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
      break;
    }
    case 1:
      out = line.subarray(0, Math.floor(random() * line.length));
      break;
    case 2:
      out = Buffer.concat([line, Buffer.from('\textra')]);
      break;
    case 3:
      out = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      break;
    case 4:
      out = Buffer.alloc(MAX_LINE + 1 + Math.floor(random() * 3000), 0x41);
      break;
    default:
      out = Buffer.concat([line.subarray(0, 5), Buffer.from([0]), line.subarray(5)]);
  }
  for (let k = 0; k < out.length; k++) if (out[k] === 0x0a) out[k] = 0x20;
  if (out[0] === 0x23) out[0] = 0x21;
  return out;
}

async function fuzz(format: 'tsv' | 'json', count: number, seed: number): Promise<void> {
  const random = prng(seed);
  const dir = tempDir();
  const path = join(dir, `fuzz.${format}`);
  const parts: Buffer[] = [];
  const expected = new Map<number, ZeekValue[] | 'mutated' | 'blank'>();
  let lineNumber = 1;
  if (format === 'tsv') {
    const header = formatTsvHeader(DCE_RPC_SCHEMA, 0);
    parts.push(Buffer.from(header));
    lineNumber += header.split('\n').length - 1;
  }
  for (let i = 0; i < count; i++, lineNumber++) {
    const record = values(random, i);
    const text = format === 'tsv' ? formatTsvRecord(DCE_RPC_SCHEMA, record) : formatJsonRecord(DCE_RPC_SCHEMA, record);
    // The first line stays valid so that format detection sees the real format.
    if (i > 0 && random() < 0.2) {
      const broken = mutate(Buffer.from(text.slice(0, -1)), random);
      parts.push(broken, Buffer.from('\n'));
      // An empty line (or a lone CR) carries nothing and is not an error.
      expected.set(lineNumber, broken.length === 0 || (broken.length === 1 && broken[0] === 0x0d) ? 'blank' : 'mutated');
    } else {
      parts.push(Buffer.from(text));
      expected.set(lineNumber, record);
    }
  }
  writeFileSync(path, Buffer.concat(parts));
  const seen = new Map<number, ReadEvent>();
  let duplicates = 0;
  const stats = await scanZeekLog(
    path,
    (event) => {
      if (event.kind === 'header') return;
      if (seen.has(event.line)) duplicates += 1;
      seen.set(event.line, event);
    },
    { maxLineBytes: MAX_LINE },
  );
  assert.equal(duplicates, 0, 'each line is reported once');
  let mutatedErrors = 0;
  for (const [line, want] of expected) {
    const got = seen.get(line);
    if (want === 'blank') {
      assert.equal(got, undefined);
      continue;
    }
    if (want === 'mutated') {
      // A mutation that happens to stay valid is a record; otherwise exactly one error.
      assert.ok(got !== undefined, `line ${line} reported`);
      if (got.kind === 'error') mutatedErrors += 1;
      continue;
    }
    assert.equal(got?.kind, 'record', `line ${line}: ${got?.kind === 'error' ? got.reason : 'missing'}`);
    if (got?.kind === 'record') assert.deepEqual(got.values, want, `line ${line} intact`);
  }
  assert.equal(stats.errors, mutatedErrors);
  assert.ok(mutatedErrors > count * 0.15, `most mutations are errors (${mutatedErrors})`);
}

void test('fuzz: 70,000 TSV lines with random and mutated ones', () => fuzz('tsv', 70_000, 20261128));
void test('fuzz: 30,000 JSON lines with random and mutated ones', () => fuzz('json', 30_000, 42));
