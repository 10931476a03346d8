/**
 * Record → verdict: the feature stage, the scorer and the allow-list composed once, so the offline
 * `score` command and the live daemon take the same path and cannot disagree.
 */
import type { AllowRule } from '../config/types.js';
import { DaemonError } from '../errors.js';
import { FeatureExtractor, type FeatureOptions } from '../features/index.js';
import type { KModesModel } from '../model/index.js';
import type { DceRpcRecord } from '../zeek/index.js';
import { AllowList } from './allowlist.js';
import type { RecordContext } from './anomaly-record.js';
import { FanoutTracker } from './fanout.js';
import { isPrintClientCall } from './print-servers.js';
import { isAdministrationTechnique } from './admin-hosts.js';
import type { RoutineIndex } from './routine-index.js';
import { Scorer, verdictWith, type ScoringRule, type Verdict } from './scorer.js';
import type { Technique } from './techniques.js';

const CONTEXT_FEATURES = ['orig_ip_group', 'resp_ip_group', 'time_of_day_bin'] as const;

/** One record's outcome. It (with its `row` and `context`) is reused between calls: copy what you keep. */
export interface Evaluation {
  row: string[];
  context: RecordContext;
  verdict: Verdict;
  /**
   * `verdict.anomalous`, kept on this object (one shape) so that a caller's hot loop tests it
   * without loading from the verdict, whose shape depends on the rule that made it: a shape first
   * met after the loop was compiled is a deopt and a recompile of all of it (`--trace-deopt`).
   */
  anomalous: boolean;
  /** The allow rule that suppressed an anomalous verdict, if any. */
  suppressedBy: AllowRule | undefined;
}

export interface EvaluatorOptions {
  model: KModesModel;
  rule: ScoringRule;
  features: FeatureOptions;
  allow: readonly AllowRule[];
  /** Wall clock for allow-rule expiry. @default Date.now */
  nowMs?: () => number;
  /**
   * Count discovery fan-out as records come (rule = technique), so a sweep after the model was
   * trained is flagged once it crosses the threshold. Needs the records in stream order from one
   * evaluator: the daemon and eval; not scoring split over threads. @default false
   */
  followFanout?: boolean;
  /**
   * The fan-out tracker to count into (implies followFanout): the daemon's, kept across model
   * swaps and restarts (saved with each checkpoint). Unset with followFanout: a fresh one.
   */
  fanout?: FanoutTracker;
}

/** Throws ERR_MODEL_INCOMPATIBLE when the model was trained on other features than configured. */
export function checkModelFeatures(model: KModesModel, features: readonly string[], modelFile = 'model'): void {
  const trained = model.featureNames.join(',');
  if (trained !== features.join(',')) {
    throw new DaemonError(
      'ERR_MODEL_INCOMPATIBLE',
      `score: ${modelFile}: model was trained on features [${trained}], the configuration has [${features.join(',')}]`,
      { meta: { file: modelFile, trained: model.featureNames, configured: features } },
    );
  }
}

export class RecordEvaluator {
  readonly scorer: Scorer;
  readonly extractor: FeatureExtractor;
  readonly #contextExtractor: FeatureExtractor;
  readonly #contextFromRow: number[];
  readonly #allow: AllowList;
  readonly #nowMs: () => number;
  readonly #row: string[];
  readonly #contextRow: string[];
  readonly #context: RecordContext = { origGroup: '', respGroup: '', timeBin: '' };
  readonly #fanout: FanoutTracker | null;
  /** Returned by every call (one object a record was 48 bytes of a hunt worker's allocation). */
  readonly #evaluation: Evaluation;

  constructor(options: EvaluatorOptions) {
    this.extractor = new FeatureExtractor(options.features);
    checkModelFeatures(options.model, this.extractor.names);
    this.scorer = new Scorer(options.model, options.rule);
    this.#contextExtractor = new FeatureExtractor({ ...options.features, features: [...CONTEXT_FEATURES] });
    this.#contextFromRow = CONTEXT_FEATURES.map((name) => this.extractor.names.indexOf(name));
    this.#allow = new AllowList(options.allow);
    this.#nowMs = options.nowMs ?? Date.now;
    this.#row = new Array<string>(this.extractor.names.length).fill('');
    this.#contextRow = new Array<string>(CONTEXT_FEATURES.length).fill('');
    this.#fanout = options.fanout ?? (options.followFanout === true ? new FanoutTracker() : null);
    this.#evaluation = { row: this.#row, context: this.#context, verdict: undefined as unknown as Verdict, anomalous: false, suppressedBy: undefined };
  }

  get model(): KModesModel {
    return this.scorer.model;
  }

  evaluate(record: DceRpcRecord): Evaluation {
    const row = this.extractor.extractInto(record, this.#row);
    const context = this.#contextOf(record, row);
    let verdict = this.scorer.score(row, record.operation, context.origGroup, record.endpoint);
    const routine = this.scorer.routine;
    if (routine?.knowsPrintServers === true && verdict.technique?.danger === 'high' && this.scorer.rule.kind === 'technique' && isPrintClientCall(record.operation) && record.respHost !== null) {
      verdict = this.#printing(verdict, routine, record, context.origGroup);
    }
    // An administration host's dangerous administration call (a service, a task, a key, a WMI
    // method) on an interface it administers other hosts through as a habit: its job, not the
    // technique (admin-hosts.ts). Only what the group test flagged; rarity is judged on the row.
    if (
      routine !== null &&
      this.#flaggedByGroupTest(verdict) &&
      isAdministrationTechnique(verdict.technique) &&
      record.origHost !== null &&
      record.endpoint !== null &&
      record.respHost !== null
    ) {
      const judged = routine.administration(record.origHost, record.endpoint, record.respHost, Math.floor(record.ts / 86_400));
      if (judged?.admitted === true) verdict = this.scorer.asPlainCall(verdict, record.endpoint, record.operation, context.origGroup);
      else if (judged !== null) verdict = verdictWith(verdict, verdict.anomalous, `${verdict.reason}; ${judged.reason}`);
    }
    // A discovery call to a server that many hosts routinely ask it (routine-index.ts
    // askedOfService): a client's question, whatever the caller's group did before. Only what the
    // group test flagged (rarity is judged on the row); the sweep tests below still apply.
    if (
      routine !== null &&
      this.#flaggedByGroupTest(verdict) &&
      verdict.technique?.danger === 'low' &&
      record.operation !== null &&
      record.respHost !== null &&
      routine.askedOfService(record.operation, record.respHost) !== null
    ) {
      verdict = this.scorer.asPlainCall(verdict, record.endpoint, record.operation, context.origGroup);
    }
    // Discovery sweeps: the verdict is cached per what × who, the fan-out is per host and day.
    if (routine !== null && verdict.technique?.danger === 'low' && this.scorer.rule.kind === 'technique' && record.operation !== null && record.origHost !== null) {
      const op = record.operation.toLowerCase();
      const target = record.respHost !== null && !routine.isService(op, record.respHost) ? record.respHost : null;
      const live = this.#fanout?.count(op, record.origHost, record.ts, target) ?? 0;
      if (!verdict.anomalous) {
        const responders = this.#fanout?.responders(op, record.origHost);
        const sweep = routine.sweep(record.operation, record.origHost, context.origGroup, record.ts, verdict.technique, live, live > 0 ? responders : undefined);
        if (sweep.flagged) verdict = verdictWith(verdict, true, sweep.reason);
      }
    }
    // Directory replication between two DCs is no DCSync, whatever the DCs' group shows: only
    // what the routine test flagged (rarity is judged on the row, not the hosts).
    if (
      routine !== null &&
      verdict.anomalous &&
      verdict.rarity <= this.scorer.rarityThreshold &&
      this.scorer.rule.kind === 'technique' &&
      routine.replicationBetweenDirectoryServers(verdict.technique, record.origHost, record.respHost)
    ) {
      verdict = verdictWith(verdict, false, '');
    }
    // A value the model does not know, called by as many distinct hosts as a fleet change has (a
    // new server role going live), or by a few hosts on more days: established by what the stream
    // has shown since (fleet.ts).
    if (routine !== null && verdict.anomalous && verdict.newValue !== undefined && this.#fanout !== null && record.origHost !== null) {
      const fleet = this.#fanout.fleet;
      const hosts = fleet.count(verdict.newValue, record.origHost, record.ts, routine.fleetHosts);
      if (routine.fleetEstablished(hosts, fleet.days(verdict.newValue))) verdict = verdictWith(verdict, false, '');
    }
    let suppressedBy: AllowRule | undefined;
    if (verdict.anomalous && this.#allow.size > 0) {
      suppressedBy = this.#allow.match(
        record,
        { origGroup: context.origGroup, respGroup: context.respGroup },
        this.#nowMs(),
      );
    }
    const evaluation = this.#evaluation;
    evaluation.row = row;
    evaluation.context = context;
    evaluation.verdict = verdict;
    evaluation.anomalous = verdict.anomalous;
    evaluation.suppressedBy = suppressedBy;
    return evaluation;
  }

  /**
   * Whether the technique rule flagged this verdict by its group test (the reason names the
   * technique), not by the row's rarity: what a host's habit or a server's clients can explain.
   */
  #flaggedByGroupTest(verdict: Verdict): boolean {
    return (
      verdict.anomalous &&
      this.scorer.rule.kind === 'technique' &&
      verdict.technique !== undefined &&
      verdict.rarity <= this.scorer.rarityThreshold &&
      verdict.reason.startsWith(`${verdict.technique.id} `)
    );
  }

  /**
   * A change-notification call (print-servers.ts): printing when its responder serves the spooler
   * to many other hosts, whether or not the caller's group did it before. To any other host it is
   * PrinterBug, flagged as the group test says, and also where that group's hosts routinely make
   * the call, unless some host calls that responder's spooler on `habitDays` days (a small site's
   * print server with one or two clients): a group's routine as print clients of their print
   * servers is no routine of calling a DC's spooler.
   */
  #printing(verdict: Verdict, routine: RoutineIndex, record: DceRpcRecord, origGroup: string): Verdict {
    const respHost = record.respHost as string;
    if (routine.printServer(respHost, record.origHost) !== null) return verdict.anomalous ? this.scorer.asPlainCall(verdict, record.endpoint, record.operation, origGroup) : verdict;
    const technique = verdict.technique as Technique;
    const head = `${technique.id} ${technique.label}`;
    if (verdict.anomalous) return verdict.reason.startsWith(head) ? verdictWith(verdict, true, `${verdict.reason}; to ${respHost}, no print server on this network`) : verdict;
    if (routine.spoolerHabit(respHost)) return verdict;
    return verdictWith(
      verdict,
      true,
      `${head}: ${record.operation as string} to ${respHost}, no print server on this network (routine for ${origGroup} only as print clients of the network's print servers)`,
    );
  }

  #contextOf(record: DceRpcRecord, row: string[]): RecordContext {
    const [origAt, respAt, binAt] = this.#contextFromRow as [number, number, number];
    let contextRow: readonly string[] | null = null;
    if (origAt < 0 || respAt < 0 || binAt < 0) {
      contextRow = this.#contextExtractor.extractInto(record, this.#contextRow);
    }
    const context = this.#context;
    context.origGroup = origAt >= 0 ? (row[origAt] as string) : ((contextRow as string[])[0] as string);
    context.respGroup = respAt >= 0 ? (row[respAt] as string) : ((contextRow as string[])[1] as string);
    context.timeBin = binAt >= 0 ? (row[binAt] as string) : ((contextRow as string[])[2] as string);
    return context;
  }
}
