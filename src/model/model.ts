/**
 * The trained model as a versioned JSON document: everything needed to score (vocabularies,
 * centroids as values) and to explain a score (cluster sizes and per-cluster per-feature value
 * counts), plus how it was trained. Building, serialising and validating are pure; the file I/O
 * is in store.ts.
 */
import { DaemonError, messageOf } from '../errors.js';
import { compareCodePoints, type EncodedMatrix } from './encoding.js';
import { jsonSha256 } from './json-pieces.js';
import type { RunPlan, RunResult } from './kmodes.js';

/** The `format` tag every model document carries. */
export const MODEL_FORMAT = 'zeek-anomalyd/kmodes-model';
/** The document layout version this code reads and writes. */
export const MODEL_SCHEMA_VERSION = 1;

/** One feature's value counts inside one cluster: `[value, count]` pairs in code order, count > 0. */
export type ValueCounts = [value: string, count: number][];

/** The persisted K-Modes model. */
export interface KModesModel {
  format: typeof MODEL_FORMAT;
  schemaVersion: typeof MODEL_SCHEMA_VERSION;
  /**
   * `km-<createdAt as yyyymmddThhmmssZ>-<first 12 hex of sha256(content)>`, where content is the
   * serialised document without `modelId` and `createdAt`: two fits of the same data with the
   * same parameters share the hash part, and the id still tells when each was made.
   */
  modelId: string;
  /** ISO 8601 UTC time the model was built. */
  createdAt: string;
  algorithm: { name: 'k-modes'; compatibleWith: 'kmodes 0.12.2'; dissimilarity: 'matching' };
  /** What was asked for (`init: 'explicit'` when centroids were given). */
  params: { k: number; nInit: number; init: 'huang' | 'cao' | 'explicit'; seed: number; maxIter: number };
  featureNames: string[];
  /** Per feature, the training values in code-point order (the code is the index). */
  vocabularies: string[][];
  /** Final centroids as values, one per cluster. */
  centroids: string[][];
  /** Training rows whose nearest final centroid (lowest index on ties) is each cluster. */
  clusterSizes: number[];
  /** `valueCounts[cluster][feature]`: the training values of that cluster's rows with counts. */
  valueCounts: ValueCounts[][];
  /** Σ over training rows of the Hamming distance to the nearest centroid (best run). */
  cost: number;
  /** Iterations of the best run. */
  iterations: number;
  /** Cost after the first update and after each iteration of the best run. */
  epochCosts: number[];
  /** Index of the best run; its cost is `runCosts[bestRun]`. */
  bestRun: number;
  runCosts: number[];
  /**
   * How the scoring stage's rarity is distributed over the training rows, for rate-based alert
   * thresholds: `[rarity, rows]` pairs in ascending rarity. Null until calibrated (score stage).
   */
  calibration: { rarity: [rarity: number, rows: number][] } | null;
  /**
   * Attack-technique operations vetted at training (score stage): for each admitted operation ×
   * originator group, how many distinct hosts did it. Null when training did not vet.
   */
  techniques: { minHosts: number; minShare: number; admitted: [operation: string, origGroup: string, hosts: number][] } | null;
  /**
   * What is routine on the network (score stage, src/score/routine.ts): distinct hosts and days
   * per endpoint, endpoint × operation, and technique operation × originator group, counted over
   * every record training read. Absent in models written before it existed.
   */
  routine?: RoutineProfileDocument | null;
  training: {
    rows: number;
    distinctRows: number;
    /** Clusters actually used: `params.k`, or the distinct-row count when that is not more. */
    effectiveK: number;
    /** kmodes' shortcut fired: no more distinct rows than k, so the centroids are those rows. */
    distinctRowsAtMostK: boolean;
    /** First and last record time of the training data (ISO 8601), when the caller knows it. */
    timeSpan: { from: string; to: string } | null;
  };
}

/** The `routine` member of a model document (see src/score/routine.ts for its meaning). */
export interface RoutineProfileDocument {
  minHosts: number;
  minShare: number;
  broadHosts: number;
  minDays: number;
  habitDays: number;
  warmupSeconds: number;
  start: number | null;
  observedDays: number;
  /** [what, group, hosts, days, habitDays, first epoch s, host-days] */
  values: [string, string, number, number, number, number, number][];
  techniques: [string, string, number, number, number, number, number][];
  groups: [string, number, number][];
  /** [group, distinct days any host of it originated anything] (absent in older models) */
  groupDays?: [string, number][];
  /** [discovery operation, distinct responders in a day from which it is a sweep, hosts and groups for which sweeping it is routine, services (responders many hosts ask)] */
  fanout?: [string, number, string[], string[], string[]][];
  /** [operation, originating host, day number, distinct responders]: sweeps seen in training */
  sweeps?: [string, string, number, number][];
  /** [discovery operation, [responder, its only caller or ''][], [host, most own responders in a day][]] (src/score/reach.ts) */
  reach?: [string, [string, string][], [string, number][]][];
  /** [operation, originating host, day number, own responders, responders others ask, most own responders of another host]: relative sweeps seen in training */
  reachSweeps?: [string, string, number, number, number, number][];
  /** [responder, its first callers]: responders many hosts call (src/score/reach.ts) */
  reachServers?: [string, string[]][];
  /** [responder of the print spooler, its distinct callers, [caller, day numbers][]] (src/score/print-servers.ts) */
  printServers?: [string, number, [string, number[]][]][];
  /** Hosts other hosts called on drsuapi or netlogon: the directory's servers (src/score/routine.ts) */
  directoryServers?: string[];
  /** [host, interface, days, responders, [responder, days][], days it made the interface's administration call]: administration hosts (src/score/admin-hosts.ts) */
  adminHosts?: [string, string, number, number, [string, number[]][], number[]?][];
}

/** A time as the caller may have it: Date, ISO string, or Zeek epoch seconds. */
export type TimeInput = Date | string | number;

/** What the model records about the fit besides the algorithm's result. */
export interface ModelMeta {
  params: KModesModel['params'];
  featureNames: string[];
  createdAt: Date;
  timeSpan?: { from: TimeInput; to: TimeInput } | undefined;
}

function isoTime(value: TimeInput, what: string): string {
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  if (Number.isNaN(date.getTime())) {
    throw new DaemonError('ERR_TRAIN', `model: ${what} is not a valid time: ${String(value)}`);
  }
  return date.toISOString();
}

/** Builds the document from the encoded data, the plan and every run's result. */
export function buildModel(
  matrix: EncodedMatrix,
  plan: RunPlan,
  results: readonly RunResult[],
  best: RunResult,
  meta: ModelMeta,
): KModesModel {
  const { featureCount: m, distinctCodes: X, distinctWeights: W, vocabularies } = matrix;
  const k = plan.k;
  const clusterSizes = new Array<number>(k).fill(0);
  const counts: Float64Array[][] = [];
  for (let c = 0; c < k; c++) {
    counts.push(vocabularies.map((values) => new Float64Array(values.length)));
  }
  for (let u = 0; u < matrix.distinctCount; u++) {
    const c = best.distinctLabels[u] as number;
    const w = W[u] as number;
    clusterSizes[c] = (clusterSizes[c] as number) + w;
    const perFeature = counts[c] as Float64Array[];
    for (let f = 0; f < m; f++) {
      const table = perFeature[f] as Float64Array;
      const v = X[u * m + f] as number;
      table[v] = (table[v] as number) + w;
    }
  }
  const valueCounts = counts.map((perFeature) =>
    perFeature.map((table, f) => {
      const pairs: ValueCounts = [];
      table.forEach((count, v) => {
        if (count > 0) pairs.push([(vocabularies[f] as string[])[v] as string, count]);
      });
      return pairs;
    }),
  );
  const centroids: string[][] = [];
  for (let c = 0; c < k; c++) {
    const centroid: string[] = [];
    for (let f = 0; f < m; f++) {
      centroid.push((vocabularies[f] as string[])[best.centroids[c * m + f] as number] as string);
    }
    centroids.push(centroid);
  }
  const sortedRuns = [...results].sort((a, b) => a.runIndex - b.runIndex);
  const model: KModesModel = {
    format: MODEL_FORMAT,
    schemaVersion: MODEL_SCHEMA_VERSION,
    modelId: '',
    createdAt: meta.createdAt.toISOString(),
    algorithm: { name: 'k-modes', compatibleWith: 'kmodes 0.12.2', dissimilarity: 'matching' },
    params: meta.params,
    featureNames: [...meta.featureNames],
    vocabularies: vocabularies.map((values) => [...values]),
    centroids,
    clusterSizes,
    valueCounts,
    cost: best.cost,
    iterations: best.iterations,
    epochCosts: [...best.epochCosts],
    bestRun: best.runIndex,
    runCosts: sortedRuns.map((r) => r.cost),
    calibration: null,
    techniques: null,
    training: {
      rows: matrix.rowCount,
      distinctRows: matrix.distinctCount,
      effectiveK: k,
      distinctRowsAtMostK: plan.distinctRowsAtMostK,
      timeSpan:
        meta.timeSpan === undefined
          ? null
          : {
              from: isoTime(meta.timeSpan.from, 'trainingTimeSpan.from'),
              to: isoTime(meta.timeSpan.to, 'trainingTimeSpan.to'),
            },
    },
  };
  model.modelId = computeModelId(model);
  return model;
}

/** The content hash part of the id: sha256 over the document without `modelId`/`createdAt`. */
export function contentHash(model: KModesModel): string {
  const { modelId: _id, createdAt: _created, ...content } = model;
  return jsonSha256(content).slice(0, 12);
}

/** `km-<yyyymmddThhmmssZ>-<contentHash>`; see {@link KModesModel.modelId}. */
export function computeModelId(model: KModesModel): string {
  const stamp = model.createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `km-${stamp}-${contentHash(model)}`;
}

/** The document as JSON text (2-space indent, trailing newline); deterministic for a given model. */
export function serializeModel(model: KModesModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

type Json = unknown;

/** Thrown inside validation with the JSON path of the problem. */
class Invalid extends Error {}

function fail(path: string, problem: string): never {
  throw new Invalid(`${path}: ${problem}`);
}

function asObject(value: Json, path: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected an object');
  return value as Record<string, Json>;
}

function asArray(value: Json, path: string, length?: number): Json[] {
  if (!Array.isArray(value)) fail(path, 'expected an array');
  if (length !== undefined && value.length !== length) {
    fail(path, `expected ${length} entries, found ${value.length}`);
  }
  return value;
}

function asString(value: Json, path: string): string {
  if (typeof value !== 'string') fail(path, 'expected a string');
  return value;
}

function asCount(value: Json, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, 'expected a non-negative integer');
  }
  return value;
}

function asStringArray(value: Json, path: string, length?: number): string[] {
  return asArray(value, path, length).map((v, i) => asString(v, `${path}[${i}]`));
}

/** Checks every field and every cross-field invariant; throws {@link Invalid} on the first problem. */
function validate(doc: Record<string, Json>): KModesModel {
  const modelId = asString(doc.modelId, 'modelId');
  const createdAt = asString(doc.createdAt, 'createdAt');
  if (Number.isNaN(Date.parse(createdAt))) fail('createdAt', 'not an ISO 8601 time');
  const algorithm = asObject(doc.algorithm, 'algorithm');
  if (algorithm.name !== 'k-modes' || algorithm.dissimilarity !== 'matching') {
    fail('algorithm', 'expected k-modes with matching dissimilarity');
  }
  const params = asObject(doc.params, 'params');
  const k = asCount(params.k, 'params.k');
  asCount(params.nInit, 'params.nInit');
  asCount(params.seed, 'params.seed');
  asCount(params.maxIter, 'params.maxIter');
  if (params.init !== 'huang' && params.init !== 'cao' && params.init !== 'explicit') {
    fail('params.init', 'expected "huang", "cao" or "explicit"');
  }
  const featureNames = asStringArray(doc.featureNames, 'featureNames');
  const m = featureNames.length;
  if (m === 0) fail('featureNames', 'no features');
  const vocabularies = asArray(doc.vocabularies, 'vocabularies', m).map((v, f) => {
    const values = asStringArray(v, `vocabularies[${f}]`);
    if (values.length === 0) fail(`vocabularies[${f}]`, 'empty vocabulary');
    for (let i = 1; i < values.length; i++) {
      if (compareCodePoints(values[i - 1] as string, values[i] as string) >= 0) {
        fail(`vocabularies[${f}]`, 'values are not unique and in code-point order');
      }
    }
    return values;
  });
  const vocabSets = vocabularies.map((values) => new Set(values));
  const centroids = asArray(doc.centroids, 'centroids');
  const effectiveK = centroids.length;
  if (effectiveK === 0 || effectiveK > k) fail('centroids', `expected 1..${k} centroids, found ${effectiveK}`);
  centroids.forEach((centroid, c) => {
    asStringArray(centroid, `centroids[${c}]`, m).forEach((value, f) => {
      if (!(vocabSets[f] as Set<string>).has(value)) {
        fail(`centroids[${c}][${f}]`, `value ${JSON.stringify(value)} is not in the vocabulary`);
      }
    });
  });
  const clusterSizes = asArray(doc.clusterSizes, 'clusterSizes', effectiveK).map((v, c) =>
    asCount(v, `clusterSizes[${c}]`),
  );
  asArray(doc.valueCounts, 'valueCounts', effectiveK).forEach((perFeature, c) => {
    asArray(perFeature, `valueCounts[${c}]`, m).forEach((pairs, f) => {
      let total = 0;
      const seenValues = new Set<string>();
      asArray(pairs, `valueCounts[${c}][${f}]`).forEach((pair, i) => {
        const path = `valueCounts[${c}][${f}][${i}]`;
        const [value, count] = asArray(pair, path, 2);
        const name = asString(value, `${path}[0]`);
        if (!(vocabSets[f] as Set<string>).has(name) || seenValues.has(name)) {
          fail(path, `value ${JSON.stringify(name)} is unknown or repeated`);
        }
        seenValues.add(name);
        total += asCount(count, `${path}[1]`);
      });
      if (total !== clusterSizes[c]) {
        fail(`valueCounts[${c}][${f}]`, `counts sum to ${total}, cluster size is ${clusterSizes[c]}`);
      }
    });
  });
  const cost = asCount(doc.cost, 'cost');
  asCount(doc.iterations, 'iterations');
  asArray(doc.epochCosts, 'epochCosts').forEach((v, i) => asCount(v, `epochCosts[${i}]`));
  const runCosts = asArray(doc.runCosts, 'runCosts').map((v, i) => asCount(v, `runCosts[${i}]`));
  const bestRun = asCount(doc.bestRun, 'bestRun');
  if (runCosts[bestRun] !== cost) fail('bestRun', 'does not point at a run with the model cost');
  if (doc.calibration !== null) {
    const calibration = asObject(doc.calibration, 'calibration');
    let previous = -Infinity;
    asArray(calibration.rarity, 'calibration.rarity').forEach((pair, i) => {
      const [rarity, rows] = asArray(pair, `calibration.rarity[${i}]`, 2);
      if (typeof rarity !== 'number' || !Number.isFinite(rarity) || rarity <= previous) {
        fail(`calibration.rarity[${i}][0]`, 'expected finite rarities in ascending order');
      }
      previous = rarity;
      asCount(rows, `calibration.rarity[${i}][1]`);
    });
  }
  if (doc.techniques !== null) {
    const techniques = asObject(doc.techniques, 'techniques');
    asCount(techniques.minHosts, 'techniques.minHosts');
    if (typeof techniques.minShare !== 'number' || !(techniques.minShare >= 0 && techniques.minShare <= 1)) {
      fail('techniques.minShare', 'expected a fraction between 0 and 1');
    }
    asArray(techniques.admitted, 'techniques.admitted').forEach((entry, i) => {
      const [operation, group, hosts] = asArray(entry, `techniques.admitted[${i}]`, 3);
      asString(operation, `techniques.admitted[${i}][0]`);
      asString(group, `techniques.admitted[${i}][1]`);
      asCount(hosts, `techniques.admitted[${i}][2]`);
    });
  }
  if (doc.routine !== undefined && doc.routine !== null) validateRoutine(asObject(doc.routine, 'routine'));
  const training = asObject(doc.training, 'training');
  const rows = asCount(training.rows, 'training.rows');
  asCount(training.distinctRows, 'training.distinctRows');
  if (training.effectiveK !== effectiveK) fail('training.effectiveK', `expected ${effectiveK}`);
  if (typeof training.distinctRowsAtMostK !== 'boolean') fail('training.distinctRowsAtMostK', 'expected a boolean');
  if (training.timeSpan !== null) {
    const span = asObject(training.timeSpan, 'training.timeSpan');
    asString(span.from, 'training.timeSpan.from');
    asString(span.to, 'training.timeSpan.to');
  }
  const sizeTotal = clusterSizes.reduce((a, b) => a + b, 0);
  if (sizeTotal !== rows) fail('clusterSizes', `sum to ${sizeTotal}, training.rows is ${rows}`);
  const model = doc as unknown as KModesModel;
  if (computeModelId(model) !== modelId) {
    fail('modelId', 'does not match the content (the file was edited or corrupted)');
  }
  return model;
}

function validateRoutine(routine: Record<string, Json>): void {
  for (const name of ['minHosts', 'broadHosts', 'minDays', 'habitDays', 'warmupSeconds', 'observedDays']) asCount(routine[name], `routine.${name}`);
  if (typeof routine.minShare !== 'number' || !(routine.minShare >= 0 && routine.minShare <= 1)) fail('routine.minShare', 'expected a fraction between 0 and 1');
  if (routine.start !== null && (typeof routine.start !== 'number' || !Number.isFinite(routine.start))) fail('routine.start', 'expected epoch seconds or null');
  for (const list of ['values', 'techniques'] as const) {
    asArray(routine[list], `routine.${list}`).forEach((entry, i) => {
      const [what, group, ...counts] = asArray(entry, `routine.${list}[${i}]`, 7);
      asString(what, `routine.${list}[${i}][0]`);
      asString(group, `routine.${list}[${i}][1]`);
      counts.forEach((c, j) => {
        if (typeof c !== 'number' || !Number.isFinite(c)) fail(`routine.${list}[${i}][${j + 2}]`, 'expected a number');
      });
    });
  }
  asArray(routine.groups, 'routine.groups').forEach((entry, i) => {
    const [group, hosts, habit] = asArray(entry, `routine.groups[${i}]`, 3);
    asString(group, `routine.groups[${i}][0]`);
    asCount(hosts, `routine.groups[${i}][1]`);
    asCount(habit, `routine.groups[${i}][2]`);
  });
  // Fan-out and group days arrived later: optional, validated when present.
  if (routine.groupDays !== undefined) {
    asArray(routine.groupDays, 'routine.groupDays').forEach((entry, i) => {
      const [group, days] = asArray(entry, `routine.groupDays[${i}]`, 2);
      asString(group, `routine.groupDays[${i}][0]`);
      asCount(days, `routine.groupDays[${i}][1]`);
    });
  }
  if (routine.fanout !== undefined) {
    asArray(routine.fanout, 'routine.fanout').forEach((entry, i) => {
      const [op, threshold, hosts, groups, services] = asArray(entry, `routine.fanout[${i}]`, 5);
      asString(op, `routine.fanout[${i}][0]`);
      asCount(threshold, `routine.fanout[${i}][1]`);
      for (const [at, list] of [[2, hosts], [3, groups], [4, services]] as const) {
        asArray(list, `routine.fanout[${i}][${at}]`).forEach((who, j) => asString(who, `routine.fanout[${i}][${at}][${j}]`));
      }
    });
  }
  if (routine.sweeps !== undefined) {
    asArray(routine.sweeps, 'routine.sweeps').forEach((entry, i) => {
      const [op, host, day, targets] = asArray(entry, `routine.sweeps[${i}]`, 4);
      asString(op, `routine.sweeps[${i}][0]`);
      asString(host, `routine.sweeps[${i}][1]`);
      if (typeof day !== 'number' || !Number.isInteger(day)) fail(`routine.sweeps[${i}][2]`, 'expected a day number');
      asCount(targets, `routine.sweeps[${i}][3]`);
    });
  }
  if (routine.reach !== undefined) {
    asArray(routine.reach, 'routine.reach').forEach((entry, i) => {
      const [op, responders, most] = asArray(entry, `routine.reach[${i}]`, 3);
      asString(op, `routine.reach[${i}][0]`);
      asArray(responders, `routine.reach[${i}][1]`).forEach((pair, j) => {
        const [responder, caller] = asArray(pair, `routine.reach[${i}][1][${j}]`, 2);
        asString(responder, `routine.reach[${i}][1][${j}][0]`);
        asString(caller, `routine.reach[${i}][1][${j}][1]`);
      });
      asArray(most, `routine.reach[${i}][2]`).forEach((pair, j) => {
        const [host, own] = asArray(pair, `routine.reach[${i}][2][${j}]`, 2);
        asString(host, `routine.reach[${i}][2][${j}][0]`);
        asCount(own, `routine.reach[${i}][2][${j}][1]`);
      });
    });
  }
  if (routine.reachServers !== undefined) {
    asArray(routine.reachServers, 'routine.reachServers').forEach((entry, i) => {
      const [responder, callers] = asArray(entry, `routine.reachServers[${i}]`, 2);
      asString(responder, `routine.reachServers[${i}][0]`);
      asArray(callers, `routine.reachServers[${i}][1]`).forEach((who, j) => asString(who, `routine.reachServers[${i}][1][${j}]`));
    });
  }
  if (routine.printServers !== undefined) {
    asArray(routine.printServers, 'routine.printServers').forEach((entry, i) => {
      const [responder, callers, days] = asArray(entry, `routine.printServers[${i}]`, 3);
      asString(responder, `routine.printServers[${i}][0]`);
      asCount(callers, `routine.printServers[${i}][1]`);
      asArray(days, `routine.printServers[${i}][2]`).forEach((pair, j) => {
        const [caller, list] = asArray(pair, `routine.printServers[${i}][2][${j}]`, 2);
        asString(caller, `routine.printServers[${i}][2][${j}][0]`);
        asArray(list, `routine.printServers[${i}][2][${j}][1]`).forEach((day, k) => {
          if (typeof day !== 'number' || !Number.isInteger(day)) fail(`routine.printServers[${i}][2][${j}][1][${k}]`, 'expected a day number');
        });
      });
    });
  }
  if (routine.directoryServers !== undefined) {
    asArray(routine.directoryServers, 'routine.directoryServers').forEach((host, i) => asString(host, `routine.directoryServers[${i}]`));
  }
  if (routine.adminHosts !== undefined) {
    asArray(routine.adminHosts, 'routine.adminHosts').forEach((entry, i) => {
      const fields = asArray(entry, `routine.adminHosts[${i}]`);
      // The sixth, the days it made the administration call itself, is absent in older models.
      if (fields.length !== 5 && fields.length !== 6) fail(`routine.adminHosts[${i}]`, `expected 5 or 6 entries, found ${fields.length}`);
      const [host, endpoint, days, responders, perResponder, operated] = fields;
      if (operated !== undefined) {
        asArray(operated, `routine.adminHosts[${i}][5]`).forEach((day, k) => {
          if (typeof day !== 'number' || !Number.isInteger(day)) fail(`routine.adminHosts[${i}][5][${k}]`, 'expected a day number');
        });
      }
      asString(host, `routine.adminHosts[${i}][0]`);
      asString(endpoint, `routine.adminHosts[${i}][1]`);
      asCount(days, `routine.adminHosts[${i}][2]`);
      asCount(responders, `routine.adminHosts[${i}][3]`);
      asArray(perResponder, `routine.adminHosts[${i}][4]`).forEach((pair, j) => {
        const [responder, list] = asArray(pair, `routine.adminHosts[${i}][4][${j}]`, 2);
        asString(responder, `routine.adminHosts[${i}][4][${j}][0]`);
        asArray(list, `routine.adminHosts[${i}][4][${j}][1]`).forEach((day, k) => {
          if (typeof day !== 'number' || !Number.isInteger(day)) fail(`routine.adminHosts[${i}][4][${j}][1][${k}]`, 'expected a day number');
        });
      });
    });
  }
  if (routine.reachSweeps !== undefined) {
    asArray(routine.reachSweeps, 'routine.reachSweeps').forEach((entry, i) => {
      const [op, host, day, ...counts] = asArray(entry, `routine.reachSweeps[${i}]`, 6);
      asString(op, `routine.reachSweeps[${i}][0]`);
      asString(host, `routine.reachSweeps[${i}][1]`);
      if (typeof day !== 'number' || !Number.isInteger(day)) fail(`routine.reachSweeps[${i}][2]`, 'expected a day number');
      counts.forEach((count, j) => asCount(count, `routine.reachSweeps[${i}][${j + 3}]`));
    });
  }
}

/**
 * Parses and validates a model document. Throws DaemonError `ERR_MODEL_INCOMPATIBLE` when it is
 * not a model of this format/schema version, `ERR_MODEL_INVALID` when it is corrupt or truncated;
 * the message names `fileNameForErrors` and the problem.
 */
export function parseModel(text: string, fileNameForErrors: string): KModesModel {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new DaemonError(
      'ERR_MODEL_INVALID',
      `model: ${fileNameForErrors}: not valid JSON (truncated or corrupt): ${messageOf(error)}`,
      { cause: error, meta: { file: fileNameForErrors } },
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new DaemonError('ERR_MODEL_INVALID', `model: ${fileNameForErrors}: not a JSON object`, {
      meta: { file: fileNameForErrors },
    });
  }
  const record = doc as Record<string, Json>;
  if (record.format !== MODEL_FORMAT) {
    throw new DaemonError(
      'ERR_MODEL_INCOMPATIBLE',
      `model: ${fileNameForErrors}: format is ${JSON.stringify(record.format)}, expected "${MODEL_FORMAT}"`,
      { meta: { file: fileNameForErrors } },
    );
  }
  if (record.schemaVersion !== MODEL_SCHEMA_VERSION) {
    throw new DaemonError(
      'ERR_MODEL_INCOMPATIBLE',
      `model: ${fileNameForErrors}: schema version ${JSON.stringify(record.schemaVersion)}, this program reads ${MODEL_SCHEMA_VERSION}`,
      { meta: { file: fileNameForErrors, schemaVersion: record.schemaVersion } },
    );
  }
  try {
    return validate(record);
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    throw new DaemonError('ERR_MODEL_INVALID', `model: ${fileNameForErrors}: ${error.message}`, {
      cause: error,
      meta: { file: fileNameForErrors },
    });
  }
}
