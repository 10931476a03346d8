/**
 * The daemon's side of anomalies.log at start: open the writer (adopting or setting aside what is
 * there) and, when the file grew past the size the last progress document recorded, the replay
 * that matches what re-scoring produces against what a crash left on disk (exactly-once output),
 * and the gate every batch's anomaly bytes pass through on their way to the file.
 */
import type { Config } from '../config/index.js';
import { ANOMALY_SCHEMA } from '../score/index.js';
import { AnomalyLogWriter, createAnomalyFormatter, OutputReplay, type AnomalyFormatter, type OutputFileIdentity } from '../sink/index.js';
import type { Logger } from '../log.js';
import type { OutputMark } from './progress.js';

/** The formatter of `[output]` (format and field names are bound at start). */
export function outputFormatter(output: Config['output']): AnomalyFormatter {
  return createAnomalyFormatter({ format: output.format, schema: ANOMALY_SCHEMA, fieldNames: output.fieldNames });
}

/**
 * Opens anomalies.log. `mark` is where the last progress document saw it; a file that is the same
 * and longer gets an OutputReplay of the bytes past the mark.
 */
export async function openOutput(
  output: Config['output'],
  formatter: AnomalyFormatter,
  mark: OutputMark | null,
  log: Logger,
): Promise<{ writer: AnomalyLogWriter; gate: ReplayGate }> {
  const writer = new AnomalyLogWriter({
    directory: output.directory,
    formatter,
    rotateIntervalMs: output.rotateIntervalMs,
    onTornTail: (torn) =>
      log.warn('anomalies.log ended in a partial line (truncated or torn); cut it off so it cannot join the next record', {
        bytes: torn.bytes,
        kept_in: torn.savedTo ?? 'nowhere (the copy failed)',
      }),
  });
  const opened = await writer.open();
  if (opened.existing === 'set-aside') log.warn('an unusable anomalies.log was set aside', { path: opened.setAsidePath });
  const identity = writer.identity();
  if (mark === null || identity === null) return { writer, gate: new ReplayGate(null, log) };
  if (identity.dev !== mark.dev || identity.ino !== mark.ino) {
    log.warn('anomalies.log was replaced while we were stopped; anomalies of the last batch may appear in both files');
    return { writer, gate: new ReplayGate(null, log) };
  }
  if (identity.size <= mark.size) return { writer, gate: new ReplayGate(null, log) };
  const present = await writer.readTail(mark.size);
  log.info('restart: anomalies written after the last checkpoint will be matched, not repeated', { bytes: present.length });
  return { writer, gate: new ReplayGate(new OutputReplay(present, mark), log) };
}

/**
 * What of each batch's anomaly bytes still has to be written. During a restart replay, what
 * re-scoring reproduces of the bytes already on disk is held back; after it, everything passes
 * (a torn last line left on disk is the writer's to cut off before the next append).
 */
export class ReplayGate {
  #replay: OutputReplay | null;
  readonly #log: Logger;

  constructor(replay: OutputReplay | null, log: Logger) {
    this.#replay = replay;
    this.#log = log;
  }

  /** A restart replay is still matching. */
  get replaying(): boolean {
    return this.#replay !== null;
  }

  /**
   * The anomalies.log size a checkpoint records for `identity`. While a restart replay is matching,
   * the lines it has not matched yet belong to lines past the position saved with it: they (and
   * all after them) must stay past the saved size, or the next restart would take them for older
   * output and write their lines again.
   */
  checkpointSize(identity: OutputFileIdentity): number {
    const replay = this.#replay;
    const replaying = replay !== null && identity.dev === replay.mark.dev && identity.ino === replay.mark.ino;
    return replaying ? replay.mark.size + replay.accounted : identity.size;
  }

  /** The part of `bytes` to append; `continuesLine`: it completes the last line on disk. */
  admit(bytes: Buffer): { bytes: Buffer; continuesLine: boolean } {
    const replay = this.#replay;
    if (replay === null) return { bytes, continuesLine: false };
    const wasInOrder = !replay.diverged;
    const rest = replay.admit(bytes);
    if (wasInOrder && replay.diverged) {
      this.#log.warn('re-scored anomalies differ from those on disk after the restart point (other lines were read than before it); matching them line by line: a line already on disk is not written again', { unmatched_bytes: replay.unmatched });
    }
    if (replay.done) {
      this.#log.info('caught up with anomalies written before the restart');
      this.#replay = null;
    }
    // Bytes a replay lets through after matching what is on disk complete its last line.
    return { bytes: rest, continuesLine: !replay.diverged };
  }

  /** Ends the replay; what it did not match stays on disk. `why` is logged with the unmatched size. */
  end(why: string): void {
    const replay = this.#replay;
    if (replay === null) return;
    const unmatched = replay.unmatched;
    replay.finish();
    this.#replay = null;
    this.#log.warn(why, { unmatched_bytes: unmatched });
  }
}
