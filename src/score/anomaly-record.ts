/**
 * The anomalies.log record: Zeek field names and types, declared once for both output formats.
 * `mismatched`/`expected` say which features differ from the nearest centroid and what the
 * centroid has there; `unseen` lists features whose value training never saw; `technique` names
 * the ATT&CK technique the operation serves and `reason` says why the rule flagged the record.
 */
import type { KModesModel } from '../model/index.js';
import { DCE_RPC_SCHEMA, type DceRpcRecord, type ZeekSchema, type ZeekValue } from '../zeek/index.js';
import { roundRarity, type Verdict } from './scorer.js';

export const ANOMALY_SCHEMA: ZeekSchema = Object.freeze({
  path: 'anomalies',
  fields: Object.freeze([
    // The record's own columns, typed as in dce_rpc.log (all but rtt).
    ...DCE_RPC_SCHEMA.fields.filter((field) => field.name !== 'rtt'),
    // Where and when, the nearest cluster, the explanation, and who flagged it why.
    { name: 'orig_ip_group', type: 'string' }, { name: 'resp_ip_group', type: 'string' }, { name: 'time_of_day_bin', type: 'string' },
    { name: 'cluster', type: 'count' }, { name: 'distance', type: 'count' }, { name: 'rarity', type: 'double' },
    { name: 'mismatched', type: 'vector[string]' }, { name: 'expected', type: 'vector[string]' }, { name: 'unseen', type: 'vector[string]' },
    { name: 'model', type: 'string' }, { name: 'technique', type: 'string' }, { name: 'reason', type: 'string' },
  ]),
}) as ZeekSchema;

/** Groups and time bin of a record, whether or not they are model features. */
export interface RecordContext {
  origGroup: string;
  respGroup: string;
  timeBin: string;
}

/** Values aligned with ANOMALY_SCHEMA.fields. Rarity is rounded to 1/1000 bit for stable output. */
export function anomalyValues(
  record: DceRpcRecord,
  context: RecordContext,
  verdict: Verdict,
  model: KModesModel,
): ZeekValue[] {
  const names = model.featureNames;
  const centroid = model.centroids[verdict.cluster] as string[];
  return [
    record.ts,
    record.uid,
    record.origHost,
    record.origPort,
    record.respHost,
    record.respPort,
    record.namedPipe,
    record.endpoint,
    record.operation,
    context.origGroup,
    context.respGroup,
    context.timeBin,
    verdict.cluster,
    verdict.distance,
    roundRarity(verdict.rarity),
    verdict.mismatched.map((f) => names[f] as string),
    verdict.mismatched.map((f) => centroid[f] as string),
    verdict.unseen.map((f) => names[f] as string),
    model.modelId,
    verdict.technique === undefined ? null : `${verdict.technique.id} ${verdict.technique.label}`,
    verdict.reason === '' ? null : verdict.reason,
  ];
}
