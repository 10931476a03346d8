import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/zeek/', import.meta.url));
const MASK = 'XXXXXXXXXX.XXXXXX';

function cat(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, 'cat', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const withoutOpenClose = (lines: string[]): string[] => lines.filter((l) => !/^#(open|close)\b/.test(l));

/** Input lines as cat must reproduce them: no btest banner, masked times as NaN (`nan`). */
function expectedTsv(path: string): string[] {
  let lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0]?.startsWith('### BTest')) lines = lines.slice(1).map((l) => (l.startsWith('#') ? l : l.replace(MASK, 'nan')));
  return withoutOpenClose(lines);
}

function assertReproduces(path: string): void {
  const { status, stdout, stderr } = cat('--format', 'zeek', path);
  assert.equal(stderr, '');
  assert.equal(status, 0);
  const out = stdout.split('\n');
  assert.equal(out.pop(), '');
  assert.match(out.at(-1) ?? '', /^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.match(out[5] ?? '', /^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.deepEqual(withoutOpenClose(out), expectedTsv(path));
}

void test('cat --format zeek reproduces real TSV logs byte for byte (fixtures)', () => {
  assertReproduces(join(FIXTURES, 'real', 'scripts.base.protocols.dce-rpc.mapi.dce_rpc.log'));
  assertReproduces(join(FIXTURES, 'real', 'scripts.base.protocols.smb.smb1-transaction-dcerpc.dce_rpc.log'));
  assertReproduces(join(FIXTURES, 'writer-baselines', 'x509-1999', 'x509.log'));
  assertReproduces(join(FIXTURES, 'writer-baselines', 'ascii-escape-odd-url', 'http.log'));
});

const SHARED_TSV = [
  'capstone-netsupport-2026/dce_rpc.log',
  'corelight-srl-forensics01/dce_rpc.log',
  'lares-printnightmare/dce_rpc.log',
  'nsl-kdd-repo/dce_rpc.log',
  'threathunter-2024-04/dce_rpc.log',
  'zeek-btest/scripts.base.protocols.dce-rpc.context.dce_rpc.log',
  'zeek-btest/scripts.base.protocols.dce-rpc.dce_rpc_netlogon.dce_rpc.log',
];
for (const name of SHARED_TSV) {
  const path = sharedPath('data', 'real', ...name.split('/'));
  void test(`cat --format zeek reproduces shared ${name}`, { skip: path === null ? SHARED_ABSENT : false }, () =>
    assertReproduces(path ?? ''),
  );
}

void test('JSON input: keys normalised to dotted names, dce_rpc types, extra keys kept', () => {
  const path = join(FIXTURES, 'real', 'otrf-apt29-day2_UTICA-D_dce_rpc.log');
  const input = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const json = cat('--format', 'json', path);
  assert.equal(json.status, 0);
  const out = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(out.length, input.length);
  out.forEach((record, i) => {
    const source = input[i] ?? {};
    assert.equal(record['id.orig_h'], source['id_orig_h']);
    assert.equal(record['@stream'], source['@stream']);
    assert.equal(record['rtt'], source['rtt']);
    assert.equal(record['ts'], source['ts']);
  });
  const tsv = cat(path);
  const lines = tsv.stdout.split('\n');
  const fields = lines.find((l) => l.startsWith('#fields'))?.split('\t') ?? [];
  const types = lines.find((l) => l.startsWith('#types'))?.split('\t') ?? [];
  assert.equal(types[fields.indexOf('ts')], 'time');
  assert.equal(types[fields.indexOf('id.resp_p')], 'port');
  assert.equal(types[fields.indexOf('@system')], 'string');
  assert.equal(lines.filter((l) => l !== '' && !l.startsWith('#')).length, input.length);
});

void test('several files, gzip too, in order; --fields picks and orders columns', () => {
  const dir = tempDir();
  const source = join(FIXTURES, 'real', 'scripts.base.protocols.dce-rpc.context.dce_rpc.log');
  const gz = join(dir, 'a.log.gz');
  writeFileSync(gz, gzipSync(readFileSync(source)));
  const { status, stdout } = cat('--fields', 'operation,endpoint,nosuch', source, gz);
  assert.equal(status, 0);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('#fields')).length, 1, 'same schema: one header block');
  assert.ok(lines.includes('#fields\toperation\tendpoint\tnosuch'));
  const data = lines.filter((l) => !l.startsWith('#'));
  assert.deepEqual(data, ['DRSBind\tdrsuapi\t-', 'DRSCrackNames\tdrsuapi\t-', 'DRSUnbind\tdrsuapi\t-', 'DRSBind\tdrsuapi\t-', 'DRSCrackNames\tdrsuapi\t-', 'DRSUnbind\tdrsuapi\t-']);
});

void test('bad lines: FILE:LINE: reason on stderr, a count, exit 1, good records still written', () => {
  const dir = tempDir();
  const path = join(dir, 'bad.log');
  const good = readFileSync(join(FIXTURES, 'real', 'otrf-apt29-day2_UTICA-D_dce_rpc.log'), 'utf8').split('\n');
  good.splice(3, 0, '{"ts":', '{"ts":1,"id.resp_p":"x"}');
  writeFileSync(path, good.join('\n'));
  const { status, stdout, stderr } = cat('--format', 'json', path);
  assert.equal(status, 1);
  assert.equal(stdout.trimEnd().split('\n').length, 24);
  const errs = stderr.trimEnd().split('\n');
  assert.match(errs[0] ?? '', new RegExp(`^${path.replaceAll('/', '\\/')}:4: `));
  assert.match(errs[1] ?? '', new RegExp(`^${path.replaceAll('/', '\\/')}:5: `));
  assert.match(errs[2] ?? '', /2 bad lines/);
});

void test('usage errors and unreadable files exit 2; --help exits 0', () => {
  assert.equal(cat().status, 2);
  assert.equal(cat('--format', 'xml', 'x').status, 2);
  assert.equal(cat('--bogus', 'x').status, 2);
  const missing = cat(join(tempDir(), 'missing.log'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
  assert.equal(cat(tempDir()).status, 2);
  const help = cat('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: zeek-anomalyd cat/);
});
