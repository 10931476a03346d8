/**
 * The feature stage reproduces the golden feature files in ../shared/golden/features exactly
 * (README there, section 1), with the options those files were produced with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureOptions } from '../../src/features/index.js';
import type { DceRpcRecord } from '../../src/zeek/index.js';
import { readZeekLog, toDceRpcRecord } from '../../src/zeek/index.js';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';

/** `[ip_groups]` INI as the golden README describes it: `name = cidr[, cidr…]`, `;` comments. */
function parseIpGroupsIni(text: string): FeatureOptions['ipGroups'] {
  const groups: FeatureOptions['ipGroups'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    groups.push({
      name: line.slice(0, eq).trim(),
      cidrs: line
        .slice(eq + 1)
        .split(',')
        .map((c) => c.trim()),
    });
  }
  return groups;
}

/** Zeek TSV unescaping: `\\` → `\`, `\xHH` → byte, left to right; bytes read as UTF-8. */
function unescapeZeek(text: string): string {
  if (!text.includes('\\')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else if (c === 0x5c && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      bytes.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Records of a log through the product's own reader (src/zeek), in file order. */
async function readRecords(path: string): Promise<DceRpcRecord[]> {
  const records: DceRpcRecord[] = [];
  const log = readZeekLog(path);
  for await (const event of log) {
    if (event.kind === 'error') assert.fail(`${event.file}:${event.line}: ${event.reason}`);
    if (event.kind !== 'record') continue;
    const record = toDceRpcRecord(event);
    if ('reason' in record) assert.fail(`${record.file}:${record.line}: ${record.reason}`);
    records.push(record);
  }
  return records;
}

const CASES = [
  { name: 'corelight-srl-forensics01', input: ['data', 'real', 'corelight-srl-forensics01', 'dce_rpc.log'] },
  { name: 'pcapmonkey-2020-12', input: ['data', 'real', 'pcapmonkey-2020-12', 'dce_rpc.log'] },
  { name: 'synth-5k-s777', input: ['golden', 'features', 'synth-5k-s777.log'] },
];

for (const c of CASES) {
  const inputPath = sharedPath(...c.input);
  const goldenPath = sharedPath('golden', 'features', `${c.name}.features.tsv`);
  const iniPath = sharedPath('golden', 'features', 'ip_groups.ini');
  const absent = inputPath === null || goldenPath === null || iniPath === null;
  void test(`features reproduce the golden ${c.name}`, { skip: absent ? SHARED_ABSENT : false }, async () => {
    if (inputPath === null || goldenPath === null || iniPath === null) return;
    const options: FeatureOptions = {
      ...DEFAULT_FEATURE_OPTIONS,
      ipGroups: parseIpGroupsIni(readFileSync(iniPath, 'utf8')),
    };
    const extractor = new FeatureExtractor(options);
    const [header, ...rows] = readFileSync(goldenPath, 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(extractor.names, header?.split('\t'));
    const records = await readRecords(inputPath);
    assert.equal(records.length, rows.length, 'row count');
    const wrong: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const expected = (rows[i] ?? '').split('\t').map(unescapeZeek);
      const actual = extractor.extract(records[i] as DceRpcRecord);
      if (actual.join('\t') !== expected.join('\t')) {
        wrong.push(`row ${i + 1}: got ${actual.join(' ')} expected ${expected.join(' ')}`);
      }
    }
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} rows differ`);
  });
}
