/**
 * Turns one anomalies.log record (the values aligned with ANOMALY_SCHEMA) into a few lines a
 * person can read: when, who talked to whom, what was called, and why it was flagged.
 */
import { ANOMALY_SCHEMA, techniqueFor } from '../score/index.js';
import { fieldIndex } from '../zeek/index.js';

/** The fields of an anomaly the explanation uses, read from ANOMALY_SCHEMA-aligned values. */
export interface AnomalyView {
  ts: number;
  uid: string;
  origHost: string;
  respHost: string;
  namedPipe: string | null;
  endpoint: string | null;
  operation: string | null;
  origGroup: string;
  respGroup: string;
  timeBin: string;
  cluster: number;
  distance: number;
  rarity: number;
  mismatched: string[];
  expected: string[];
  unseen: string[];
  /** The rule's own explanation (`reason` column), when it gave one. */
  reason: string | null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

/** Reads the values the daemon hands to `hooks.onAnomaly` (ANOMALY_SCHEMA order). */
export function anomalyView(values: readonly unknown[]): AnomalyView {
  const at = (name: string): unknown => values[fieldIndex(ANOMALY_SCHEMA, name)];
  const label = (name: string): string => text(at(name)) ?? '-';
  return {
    ts: Number(at('ts')), uid: label('uid'), origHost: label('id.orig_h'), respHost: label('id.resp_h'),
    namedPipe: text(at('named_pipe')), endpoint: text(at('endpoint')), operation: text(at('operation')),
    origGroup: label('orig_ip_group'), respGroup: label('resp_ip_group'), timeBin: label('time_of_day_bin'),
    cluster: Number(at('cluster')), distance: Number(at('distance')), rarity: Number(at('rarity')),
    mismatched: list(at('mismatched')), expected: list(at('expected')), unseen: list(at('unseen')),
    reason: text(at('reason')),
  };
}

/** `2024-03-07 14:02:11Z` */
export function formatTs(ts: number): string {
  return `${new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A multi-line, human-readable explanation of one anomaly; `label` is its attack label, if known. */
export function explainAnomaly(view: AnomalyView, label?: string): string {
  const technique = techniqueFor(view.operation);
  const what = [view.endpoint ?? '-', view.operation ?? '-'].join(' ');
  const pipe = view.namedPipe === null ? '' : ` via ${view.namedPipe}`;
  const lines = [
    `${formatTs(view.ts)}  ${view.origHost} (${view.origGroup}) -> ${view.respHost} (${view.respGroup})  ${what}${pipe}  [${view.timeBin}]`,
  ];
  const why: string[] = [];
  if (view.reason !== null) why.push(view.reason);
  else {
    if (technique !== undefined) why.push(`ATT&CK ${technique.id} ${technique.label}`);
    if (view.unseen.length > 0) why.push(`never seen in training: ${view.unseen.join(', ')}`);
  }
  why.push(`rarity ${view.rarity.toFixed(1)} bits (how seldom training saw this who do this what)`);
  lines.push(`    why: ${why.join('; ')}`);
  if (view.mismatched.length > 0) {
    const pairs = view.mismatched.map((feature, i) => `${feature} (usually ${view.expected[i] ?? '?'})`);
    lines.push(`    nearest normal pattern (cluster ${view.cluster}) differs in ${view.distance}: ${pairs.join(', ')}`);
  } else {
    lines.push(`    matches normal pattern ${view.cluster} in every feature, yet rare for this pair of hosts' groups`);
  }
  lines.push(`    uid ${view.uid}${label === undefined ? '' : `  labelled attack: ${label}`}`);
  return lines.join('\n');
}
