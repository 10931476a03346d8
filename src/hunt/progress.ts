/**
 * The hunt's progress line on a terminal (stderr): records/s, files done and an estimate of the
 * time left. The estimate uses the records per byte of the files finished so far (compressed
 * bytes for .gz), so it appears once the first file is done and sharpens as more finish.
 */

/** What a progress line shows. */
export interface ProgressSnapshot {
  records: number;
  filesDone: number;
  files: number;
  bytesDone: number;
  bytes: number;
  /** Records in the finished files (for the records-per-byte estimate). */
  recordsInDoneFiles: number;
  elapsedMs: number;
}

/** The line for a snapshot (pure, for tests). */
export function progressLine(label: string, s: ProgressSnapshot, width = 24): string {
  const rate = s.elapsedMs > 0 ? s.records / (s.elapsedMs / 1000) : 0;
  let fraction = s.files === 0 ? 1 : s.filesDone / s.files;
  let eta = '--:--';
  if (s.bytesDone > 0 && s.recordsInDoneFiles > 0 && rate > 0) {
    const expected = (s.recordsInDoneFiles / s.bytesDone) * s.bytes;
    fraction = Math.min(1, s.records / expected);
    eta = clock(Math.max(0, expected - s.records) / rate);
  }
  const filled = Math.round(fraction * width);
  return (
    `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ` +
    `${s.filesDone}/${s.files} files  ${formatRate(rate)} records/s  ETA ${eta}`
  );
}

function formatRate(rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)}M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(0)}k`;
  return rate.toFixed(0);
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** Redraws the line at most every 200 ms on a TTY; silent otherwise. */
export class HuntProgress {
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #started = performance.now();
  readonly #state: ProgressSnapshot;
  #lastDraw = 0;
  #drawn = false;

  constructor(label: string, files: number, bytes: number, enabled = process.stderr.isTTY === true) {
    this.#label = label;
    this.#enabled = enabled;
    this.#state = { records: 0, filesDone: 0, files, bytesDone: 0, bytes, recordsInDoneFiles: 0, elapsedMs: 0 };
  }

  records(count: number): void {
    this.#state.records += count;
    this.#draw(false);
  }

  fileDone(bytes: number): void {
    this.#state.filesDone += 1;
    this.#state.bytesDone += bytes;
    this.#state.recordsInDoneFiles = this.#state.records;
    this.#draw(false);
  }

  /** Clears the line (before a message or at the end). */
  clear(): void {
    if (this.#drawn) process.stderr.write('\r\x1b[K');
    this.#drawn = false;
  }

  done(): void {
    this.clear();
  }

  #draw(force: boolean): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < 200) return;
    this.#lastDraw = now;
    this.#state.elapsedMs = now - this.#started;
    // 0 when the terminal does not say (a pty without a size).
    const columns = process.stderr.columns || 100;
    process.stderr.write(`\r${progressLine(this.#label, this.#state).slice(0, Math.max(20, columns - 1))}\x1b[K`);
    this.#drawn = true;
  }
}
