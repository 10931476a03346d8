/**
 * Real Zeek dce_rpc logs: the repository's own licence-compatible copies always, and every file
 * in ../shared/data/real when it is there. Expected counts are those of SOURCES.md.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scanZeekLog, toDceRpcRecord } from '../../src/zeek/index.js';
import type { ZeekParseError } from '../../src/zeek/index.js';
import { SHARED_ABSENT, sharedPath } from '../helpers/shared.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/zeek/real/', import.meta.url));

interface Expected {
  records: number;
  /** Line numbers that are not records (SOURCES.md). */
  badLines?: number[];
  /** btest baselines mask ts, so they cannot become DceRpcRecords. */
  masked?: boolean;
}

const SHARED: Record<string, Expected> = {
  'capstone-netsupport-2026/dce_rpc.log': { records: 3598 },
  'corelight-srl-forensics01/dce_rpc.log': { records: 2358 },
  'elastic-integrations-fixture/test-dce-rpc.log': { records: 1, badLines: [2] },
  'lares-printnightmare/dce_rpc.log': { records: 137 },
  'nsl-kdd-repo/dce_rpc.log': { records: 51 },
  'otrf-apt29/day1_NASHUA_dce_rpc.log': { records: 57 },
  'otrf-apt29/day1_SCRANTON_dce_rpc.log': { records: 66 },
  'otrf-apt29/day2_NEWYORK_dce_rpc.log': { records: 270 },
  'otrf-apt29/day2_SCRANTON_dce_rpc.log': { records: 35 },
  'otrf-apt29/day2_UTICA-A_dce_rpc.log': { records: 59 },
  'otrf-apt29/day2_UTICA-D_dce_rpc.log': { records: 24 },
  'pcapmonkey-2020-12/dce_rpc.log': { records: 375 },
  'threathunter-2024-04/dce_rpc.log': { records: 79 },
  'zeek-btest/scripts.base.protocols.dce-rpc.context.dce_rpc.log': { records: 3, masked: true },
  'zeek-btest/scripts.base.protocols.dce-rpc.dce_rpc_netlogon.dce_rpc.log': { records: 1, masked: true },
  'zeek-btest/scripts.base.protocols.dce-rpc.mapi.dce_rpc.log': { records: 12, masked: true },
  'zeek-btest/scripts.base.protocols.smb.smb1-transaction-dcerpc.dce_rpc.log': { records: 1, masked: true },
};

const LOCAL: Record<string, Expected> = {
  'scripts.base.protocols.dce-rpc.context.dce_rpc.log': { records: 3, masked: true },
  'scripts.base.protocols.dce-rpc.dce_rpc_netlogon.dce_rpc.log': { records: 1, masked: true },
  'scripts.base.protocols.dce-rpc.mapi.dce_rpc.log': { records: 12, masked: true },
  'scripts.base.protocols.smb.smb1-transaction-dcerpc.dce_rpc.log': { records: 1, masked: true },
  'otrf-apt29-day2_UTICA-D_dce_rpc.log': { records: 24 },
};

async function check(path: string, expected: Expected): Promise<void> {
  const errors: ZeekParseError[] = [];
  let converted = 0;
  let records = 0;
  const stats = await scanZeekLog(path, (event) => {
    if (event.kind === 'error') errors.push(event);
    if (event.kind !== 'record') return;
    records += 1;
    const dce = toDceRpcRecord(event);
    if (!('kind' in dce)) {
      converted += 1;
      assert.ok(dce.endpoint !== null && dce.operation !== null && dce.origHost !== null);
    }
  });
  assert.deepEqual(errors.map((e) => e.line), expected.badLines ?? [], errors.map((e) => e.reason).join('; '));
  assert.equal(records, expected.records);
  assert.equal(stats.records, expected.records);
  assert.equal(converted, expected.masked === true ? 0 : expected.records);
}

for (const [name, expected] of Object.entries(LOCAL)) {
  void test(`fixture ${name}: ${expected.records} records, no errors`, () => check(join(FIXTURES, name), expected));
}

for (const [name, expected] of Object.entries(SHARED)) {
  const path = sharedPath('data', 'real', ...name.split('/'));
  void test(`shared ${name}: ${expected.records} records${expected.badLines ? `, bad lines ${expected.badLines.join(',')}` : ''}`, { skip: path === null ? SHARED_ABSENT : false }, () =>
    check(path ?? '', expected),
  );
}
