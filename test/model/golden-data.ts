/** Readers for the K-Modes goldens in ../shared/golden (see its README). */
import { readFileSync } from 'node:fs';
import { sharedPath } from '../helpers/shared.js';

/** The four golden matrices. */
export const GOLDEN_MATRICES = [
  'corelight-srl-forensics01',
  'pcapmonkey-2020-12',
  'synth-5k-s777',
  'synth-20k-s4242',
] as const;

/** Decodes a golden TSV cell: `\\` → backslash, `\xHH` → that byte (UTF-8 read). */
function unescapeCell(cell: string): string {
  if (!cell.includes('\\')) return cell;
  const bytes: number[] = [];
  for (let i = 0; i < cell.length; i++) {
    if (cell[i] === '\\' && cell[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (cell[i] === '\\' && cell[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(cell.slice(i + 2, i + 4))) {
      bytes.push(parseInt(cell.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(cell[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Feature rows of a golden features TSV (path relative to shared/golden), header dropped. */
export function readFeatureRows(relativePath: string): { header: string[]; rows: string[][] } {
  const path = sharedPath('golden', relativePath);
  if (path === null) throw new Error(`golden file missing: ${relativePath}`);
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const [head, ...body] = lines;
  return {
    header: (head ?? '').split('\t'),
    rows: body.map((line) => line.split('\t').map(unescapeCell)),
  };
}

/** Parses a golden JSON file under shared/golden/kmodes, or null when ../shared is absent. */
export function readGoldenJson<T>(fileName: string): T | null {
  const path = sharedPath('golden', 'kmodes', fileName);
  return path === null ? null : (JSON.parse(readFileSync(path, 'utf8')) as T);
}

/** The fields of one exact golden run this suite compares. */
export interface GoldenRun {
  k: number;
  params?: { random_state: number };
  refit_params?: { random_state: number };
  huang_random_state?: number;
  huang_run_seed?: number;
  huang_random_vector_codes?: number[][];
  initial_centroid_codes: number[][];
  centroids_after_initial_update: string[][];
  centroids_after_each_pass: string[][][];
  moves_per_pass: number[];
  final_centroids: string[][];
  final_centroid_codes: number[][];
  epoch_costs: number[];
  n_iter: number;
  cost: number;
  labels: number[];
}

/** An exact golden file (cao or explicit-init). */
export interface GoldenFile {
  matrix: { path: string; vocab: string[][]; columns: string[]; n_rows: number };
  runs: GoldenRun[];
}

/** A huang-stats golden file. */
export interface HuangStatsFile {
  matrix: { path: string };
  k: number;
  max_iter: number;
  n_init_1: { summary: { mean: number } };
  n_init_4: { summary: { mean: number } };
  acceptance: {
    n_init_1: { pool_mean: number; pool_stdev: number; pool_n: number; threshold_by_n: Record<string, number> };
    n_init_4: { mean: number; stdev: number; threshold_by_n: Record<string, number> };
  };
}
