/**
 * Issue #15 item 9: a first JSON line nested 5,000 deep made every later record of the file fail
 * schema inference (flattening it overflowed the stack, which ended the inference pass). It is
 * now one bad line; the records after it are read.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inferJsonSchema, scanDceRpcLog } from '../../src/zeek/index.js';
import { tempDir } from '../helpers/tmp.js';

void test('a 5,000-deep JSON line is one bad line; the 100 records after it decode', async () => {
  const path = join(tempDir(), 'deep.json');
  const deep = '{"x":'.repeat(5000) + '1' + '}'.repeat(5000);
  const records = Array.from({ length: 100 }, (_, i) =>
    JSON.stringify({ ts: 1709511284.5 + i, uid: `C${i}`, 'id.orig_h': '10.0.0.1', 'id.orig_p': 1, 'id.resp_h': '10.0.0.2', 'id.resp_p': 445, endpoint: 'svcctl', operation: 'OpenSCManagerW' }),
  );
  writeFileSync(path, `${[deep, ...records].join('\n')}\n`);
  const schema = await inferJsonSchema(path);
  assert.ok(schema.fields.some((field) => field.name === 'ts' && field.type === 'time'), JSON.stringify(schema.fields.map((f) => f.name)));
  let good = 0;
  const bad: number[] = [];
  await scanDceRpcLog(
    path,
    (event) => {
      if (!('kind' in event)) good += 1;
      else if (event.kind === 'error') bad.push(event.line);
    },
    { jsonSchema: schema },
  );
  assert.equal(good, 100);
  assert.deepEqual(bad, [1]);
});
