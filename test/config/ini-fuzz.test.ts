/**
 * Issue #15: a fuzz test of the INI loader. Random text and random mutations of real INI files
 * (the shipped example with every key uncommented, the sample) must never crash the loader:
 * the outcome is a Config or one ERR_CONFIG_INVALID listing problems, each with the file name and
 * a line inside the file (file-level problems, such as a required key missing, have none).
 * ZAD_SOAK=1 runs 20 times as many cases.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatProblem, parseConfigText, type ConfigProblem } from '../../src/config/index.js';
import { repoRoot } from '../helpers/shared.js';

const RUNS = process.env.ZAD_SOAK === '1' ? 4000 : 200;
const FILE = 'fuzz.ini';

const example = readFileSync(join(repoRoot, 'config', 'zeek-anomalyd.ini'), 'utf8')
  .split('\n')
  .map((line) => line.replace(/^;(?=[a-z_]+\s*=)/, ''))
  .join('\n');
const sample = readFileSync(join(repoRoot, 'samples', 'sample.ini'), 'utf8');

/** Loads `text`; asserts the outcome is a Config or a well-formed refusal. */
function check(text: string): void {
  const lineCount = text.split(/\r\n|\n|\r/).length;
  let problems: ConfigProblem[];
  try {
    problems = parseConfigText(text, FILE).warnings;
  } catch (error) {
    const failure = error as { code?: string; message?: string; meta?: { problems?: ConfigProblem[] } };
    assert.equal(failure.code, 'ERR_CONFIG_INVALID', `not a config refusal: ${String(error)}\n--- input:\n${JSON.stringify(text)}`);
    problems = failure.meta?.problems ?? [];
    assert.ok(problems.some((p) => p.severity === 'error'), 'a refusal lists at least one error');
  }
  for (const problem of problems) {
    assert.equal(problem.file, FILE);
    if (problem.line !== null) {
      assert.ok(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lineCount, `line ${problem.line} of ${lineCount}: ${formatProblem(problem)}`);
    }
    const rendered = formatProblem(problem);
    assert.ok(rendered.startsWith(problem.line === null ? `${FILE}: ` : `${FILE}:${problem.line}: `), rendered);
    assert.doesNotMatch(rendered, /[\n\r]/, 'one problem, one line');
  }
}

/** Character-level and line-level mutations of a valid file. */
const mutation = (base: string): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 12 }) }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
        fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
        fc.record({ kind: fc.constant('value' as const), at: fc.nat(), text: fc.constantFrom('', '-1', '1e309', 'NaN', '0x10', '[', ']', '=', '"', "'", ';', '#', '\\', '\u0000', '\u202e', '999.0.0.1:0', '/etc/passwd/x', '*', '../..', '1h30', 'true false') }),
      ),
      { maxLength: 6 },
    )
    .map((edits) => {
      let text = base;
      for (const edit of edits) {
        const lines = text.split('\n');
        if (edit.kind === 'insert') {
          const at = edit.at % (text.length + 1);
          text = text.slice(0, at) + edit.text + text.slice(at);
        } else if (edit.kind === 'delete') {
          const at = edit.at % (text.length + 1);
          text = text.slice(0, at) + text.slice(at + edit.length);
        } else if (edit.kind === 'duplicate-line') {
          const at = edit.at % lines.length;
          lines.splice(at, 0, lines[at] ?? '');
          text = lines.join('\n');
        } else if (edit.kind === 'swap-lines') {
          const a = edit.at % lines.length;
          const b = edit.with % lines.length;
          [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
          text = lines.join('\n');
        } else {
          const candidates = lines.map((line, i) => ({ line, i })).filter(({ line }) => /=/.test(line) && !line.startsWith(';'));
          const target = candidates[edit.at % Math.max(1, candidates.length)];
          if (target !== undefined) lines[target.i] = `${target.line.split('=')[0] ?? ''}= ${edit.text}`;
          text = lines.join('\n');
        }
      }
      return text;
    });

void test('INI fuzz: random text never crashes the loader; every problem is FILE or FILE:LINE', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: RUNS, seed: Number(process.env.ZAD_FUZZ_SEED ?? 15) });
  const iniish = fc.array(fc.oneof(fc.constantFrom('[input]', '[model]', '[allow.x]', '[ip_groups]', '[', 'paths = /a/*.log', 'k = 3', 'k[] = 1', '= x', ';c', '#c', ''), fc.string({ maxLength: 30 })), { maxLength: 30 }).map((lines) => lines.join('\n'));
  fc.assert(fc.property(iniish, check), { numRuns: RUNS, seed: 16 });
});

void test('INI fuzz: mutations of the shipped example and the sample never crash the loader', () => {
  check(example);
  check(sample);
  fc.assert(fc.property(mutation(example), check), { numRuns: RUNS, seed: Number(process.env.ZAD_FUZZ_SEED ?? 17) });
  fc.assert(fc.property(mutation(sample), check), { numRuns: RUNS, seed: 18 });
});
