/**
 * Runs the pure-Python executable spec of kmodes (../shared/reference/kmodes_spec.py) in a real
 * python3 process, for cases no golden covers (empty clusters).
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { sharedPath } from '../helpers/shared.js';

/** One case: encoded rows, encoded initial centroids and the run seed. */
export interface SpecCase {
  rows: number[][];
  init: number[][];
  runSeed: number;
}

/** What the spec returns for a case. */
export interface SpecResult {
  centroids: number[][];
  labels: number[];
  cost: number;
  iterations: number;
  epochCosts: number[];
}

const DRIVER = `
import json, sys
sys.path.insert(0, sys.argv[1])
import kmodes_spec as s
out = []
for case in json.load(sys.stdin):
    C, labels, cost, it, epochs = s.fit_from_init(case["rows"], case["init"], case["runSeed"])
    out.append({"centroids": C, "labels": labels, "cost": cost, "iterations": it, "epochCosts": epochs})
json.dump(out, sys.stdout)
`;

/** Path of the spec, or null when ../shared or python3 is not available. */
export function specAvailable(): boolean {
  if (sharedPath('reference', 'kmodes_spec.py') === null) return false;
  return spawnSync('python3', ['--version']).status === 0;
}

/** Runs every case through the Python spec. */
export function runSpec(cases: SpecCase[]): SpecResult[] {
  const spec = sharedPath('reference', 'kmodes_spec.py');
  if (spec === null) throw new Error('kmodes_spec.py is absent');
  const result = spawnSync('python3', ['-c', DRIVER, dirname(spec)], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`python spec failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as SpecResult[];
}
