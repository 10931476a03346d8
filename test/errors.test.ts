/**
 * The error registry: docs/errors.md lists exactly the codes of src/errors.ts with the same exit
 * statuses, every code is raised somewhere in src/, and src/ names no code outside the registry.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DaemonError, ERROR_CODES, EXIT, exitCodeFor, messageOf, UsageError, type ErrorCode } from '../src/errors.js';
import { repoRoot } from './helpers/shared.js';

const registered = Object.keys(ERROR_CODES).sort();

function documented(): Map<string, number> {
  const page = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const match of page.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d+) \|/gm)) {
    assert.ok(!rows.has(match[1] ?? ''), `${match[1]} is documented twice`);
    rows.set(match[1] ?? '', Number(match[2]));
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const sources = sourceFiles(join(repoRoot, 'src')).filter((file) => !file.endsWith(join('src', 'errors.ts')));
const sourceText = sources.map((file) => readFileSync(file, 'utf8')).join('\n');

void test('docs/errors.md lists every registered code, once, with its exit status, and nothing else', () => {
  const rows = documented();
  assert.deepEqual([...rows.keys()].sort(), registered);
  for (const [code, exit] of rows) assert.equal(exit, ERROR_CODES[code as ErrorCode].exit, `${code}: docs say exit ${exit}`);
});

void test('every registered code is raised somewhere in src/', () => {
  const raised = (code: string): boolean =>
    sourceText.includes(`'${code}'`) || (code === 'ERR_USAGE' && /new UsageError\(/.test(sourceText));
  assert.deepEqual(registered.filter((code) => !raised(code)), [], 'registered but never raised: remove them or use them');
});

void test('src/ names no error code outside the registry', () => {
  const named = new Set([...sourceText.matchAll(/'(ERR_[A-Z_]+)'/g)].map((match) => match[1] ?? ''));
  assert.deepEqual([...named].filter((code) => !(code in ERROR_CODES)), []);
});

void test('exitCodeFor: the registry status for coded errors, 2 for anything else', () => {
  assert.equal(exitCodeFor(new UsageError('--rows is required')), EXIT.usage);
  assert.equal(exitCodeFor(new DaemonError('ERR_CONFIG_INVALID', 'config: 3 errors')), 78);
  assert.equal(exitCodeFor(new DaemonError('ERR_INPUT_UNREADABLE', 'zeek: cannot open x')), 2);
  assert.equal(exitCodeFor(new DaemonError('ERR_DAEMON_START', 'cannot start')), 1);
  assert.equal(exitCodeFor(new DaemonError('ERR_INTERNAL', 'unexpected error')), 1);
  assert.equal(exitCodeFor(new Error('no code')), 2);
  assert.equal(exitCodeFor('a string'), 2);
  for (const code of registered) assert.equal(exitCodeFor(new DaemonError(code as ErrorCode, 'x')), ERROR_CODES[code as ErrorCode].exit);
});

void test('UsageError is a DaemonError with code ERR_USAGE and keeps its cause', () => {
  const cause = new TypeError('Unknown option --bogus');
  const error = new UsageError(messageOf(cause), { cause });
  assert.ok(error instanceof DaemonError);
  assert.equal(error.code, 'ERR_USAGE');
  assert.equal(error.name, 'UsageError');
  assert.equal(error.message, 'Unknown option --bogus');
  assert.equal(error.cause, cause);
});

void test('messageOf: the message of an Error, the string form of anything else', () => {
  assert.equal(messageOf(new RangeError('out of range')), 'out of range');
  assert.equal(messageOf('plain text'), 'plain text');
  assert.equal(messageOf(42), '42');
  assert.equal(messageOf(undefined), 'undefined');
  assert.equal(messageOf({ code: 'EACCES' }), '[object Object]');
});
