/**
 * The daemon's work on one batch of lines, without its I/O: decode every line (one decoder per
 * followed path), count every record into the routine statistics, offer it to the training
 * sampler, score it and format the anomalies. It touches no file and no process: the daemon
 * writes the lines it returns, persists the window and counts the figures.
 */
import { messageOf } from '../errors.js';
import type { FeatureExtractor, TrainingSampler } from '../features/index.js';
import type { Logger } from '../log.js';
import { anomalyValues, RecordEvaluator, scoringRuleFrom, type FanoutTracker, type RoutineStats } from '../score/index.js';
import type { Config } from '../config/index.js';
import type { KModesModel } from '../model/index.js';
import type { AnomalyFormatter } from '../sink/index.js';
import type { LineBatch } from '../tail/index.js';
import { DCE_RPC_COLUMNS, DCE_RPC_SCHEMA, DceRpcLineDecoder, type DceRpcRecord, type TsvLayout, type ZeekValue } from '../zeek/index.js';

export interface BatchScorerOptions {
  /**
   * Decides which records join the training window (its state is part of the progress); null
   * with sample_every = auto, where the window decides (`offer()`, thinning when full).
   */
  sampler: TrainingSampler | null;
  /**
   * Where sampled records go (in memory; persisting it is the caller's). With `offer()` the
   * window thins itself when full: a change of its `stride` is logged and counts as sampled.
   */
  window: {
    add(record: DceRpcRecord): void;
    offer?(record: DceRpcRecord): boolean;
    readonly stride?: number;
    readonly size?: number;
    readonly maxRows?: number;
  };
  /** Statistics over every record read, the ground of the routine rules. */
  routine: RoutineStats;
  /** Extracts `orig_ip_group` for the routine statistics while there is no model. */
  routineGroup: FeatureExtractor;
  formatter: AnomalyFormatter;
  log: Logger;
  /** Called for every anomaly line returned, with its record and values. */
  onAnomaly?: (record: DceRpcRecord, values: readonly unknown[]) => void;
}

/** What one batch gave. `lines` are whole anomaly lines, each ending in a newline. */
export interface BatchOutcome {
  lines: string[];
  records: number;
  /** Undecodable lines, over-long lines and records that could not be scored. */
  parseErrors: number;
  /** Anomalies an allow rule kept out of the output. */
  suppressed: number;
  /** Whether the training window changed (took a record, or thinned itself). */
  sampled: boolean;
}

/**
 * The evaluator the daemon scores with: `model` under `[scoring]`, `[features]` and `[allow]`,
 * counting live fan-out into the daemon's one `fanout` tracker (it outlives models).
 */
export function evaluatorFor(model: KModesModel, config: Config, fanout: FanoutTracker): RecordEvaluator {
  return new RecordEvaluator({ model, rule: scoringRuleFrom(config.scoring), features: config.features, allow: config.allow, fanout });
}

export class BatchScorer {
  readonly #options: BatchScorerOptions;
  readonly #decoders = new Map<string, DceRpcLineDecoder>();
  /** The last header-given TSV layout per followed path, for files without a header. */
  readonly #lastLayouts = new Map<string, TsvLayout>();
  readonly #groupRow = [''];

  constructor(options: BatchScorerOptions) {
    this.#options = options;
  }

  /** Handles `batch`; scores with `evaluator`, or only samples and counts while it is null. */
  score(batch: LineBatch, evaluator: RecordEvaluator | null): BatchOutcome {
    const { sampler, window, routine, log } = this.#options;
    const decoder = this.#decoderFor(batch);
    const outcome: BatchOutcome = { lines: [], records: 0, parseErrors: batch.overlong, suppressed: 0, sampled: false };
    const strideBefore = window.stride;
    for (const input of batch.lines) {
      // A DceRpcRecord, or a header, or a bad line (undecodable, or not a dce_rpc record).
      const record = decoder.decode(input.bytes, input.line, input.offset);
      if (record === null || batch.headerReplay) continue;
      if ('kind' in record) {
        if (record.kind === 'header') continue;
        outcome.parseErrors += 1;
        log.debug('bad line skipped', { file: record.file, line: record.line, reason: record.reason });
        continue;
      }
      outcome.records += 1;
      if (sampler === null) {
        if (window.offer?.(record) === true) outcome.sampled = true;
      } else if (sampler.take()) {
        window.add(record);
        outcome.sampled = true;
      }
      if (evaluator === null) {
        const origGroup = this.#options.routineGroup.extractInto(record, this.#groupRow)[0] as string;
        routine.observe(record.ts, record.origHost, origGroup, record.endpoint, record.operation, record.respHost);
        continue;
      }
      let line: string;
      let values: ZeekValue[];
      try {
        const { verdict, context, suppressedBy } = evaluator.evaluate(record);
        routine.observe(record.ts, record.origHost, context.origGroup, record.endpoint, record.operation, record.respHost);
        if (!verdict.anomalous) continue;
        if (suppressedBy !== undefined) {
          outcome.suppressed += 1;
          continue;
        }
        values = anomalyValues(record, context, verdict, evaluator.model);
        line = this.#options.formatter.record(values);
      } catch (error) {
        // A record the decoder let through but scoring or formatting cannot take is a bad
        // record like any other: counted and skipped, never a reason to stop.
        outcome.parseErrors += 1;
        log.warn('record skipped: it cannot be scored', { file: batch.file.path, line: input.line, reason: messageOf(error) });
        continue;
      }
      outcome.lines.push(line);
      this.#options.onAnomaly?.(record, values);
    }
    const stride = window.stride;
    if (stride !== strideBefore && stride !== undefined && strideBefore !== undefined) {
      // Thinning rewrote the window: it is saved even when this batch kept no record.
      outcome.sampled = true;
      log.info(`training window ${stride > strideBefore ? 'full: thinned evenly' : 'has room again'}; keeping 1 record in ${stride} from now on`, {
        window: window.size,
        max_rows: window.maxRows,
      });
    }
    return outcome;
  }

  /**
   * One decoder per followed path, new for every new reading of a file (new, truncated, resumed:
   * flagged fileStart). A file without a header of its own (Zeek goes on writing after
   * logrotate's copytruncate; so do the copies after the first) takes the schema of the file read
   * before it at that path, or, after a restart, Zeek's default dce_rpc columns.
   */
  #decoderFor(batch: LineBatch): DceRpcLineDecoder {
    const followed = batch.resumeAt.path;
    let decoder = this.#decoders.get(followed);
    if (decoder === undefined || batch.fileStart) {
      const previous = decoder?.generic.tsvLayout ?? this.#lastLayouts.get(followed) ?? null;
      if (previous !== null) this.#lastLayouts.set(followed, previous);
      decoder = new DceRpcLineDecoder({
        file: batch.file.path,
        columns: DCE_RPC_COLUMNS,
        headerlessTsv: previous === null ? { schema: DCE_RPC_SCHEMA } : { schema: previous.schema, format: previous.format },
      });
      this.#decoders.set(followed, decoder);
    }
    return decoder;
  }
}
