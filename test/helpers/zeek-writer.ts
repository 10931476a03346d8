/**
 * A Zeek-style log writer run as its own process, written apart from the product (it imports
 * nothing from src/): it writes dce_rpc records the way Zeek's ASCII writer and the tools around
 * it do, so the daemon's tests face rotation as a sensor produces it, not as the daemon expects.
 *
 * - TSV with Zeek's header block (`#open` from a simulated clock that advances one hour per
 *   file, so names and stamps look like hourly rotation however fast the test rotates) and a
 *   `#close` line on rotation;
 * - records are written in batches of up to 1,000 records per write(2), paced to `perSecond`;
 * - rotation after a random interval (seeded): close, rename, and the next file is created only
 *   when the next record comes (Zeek's lazy DoInit);
 * - layouts:
 *   - `rename`: `dce_rpc.log` → `dce_rpc.YYYY-MM-DD-HH-MM-SS.log` beside it (plain `zeek` with rotation);
 *   - `zeekctl`: the same rename, then `archiveDelayMs` later archive-log writes
 *     `logs/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS.log.gz` (gzip straight into the final name,
 *     as `gzip < f > out` does) and removes the spool copy;
 *   - `supervisor`: rename into `log-queue/dce_rpc__<open>__<close>__.log`; zeek-archiver then
 *     compresses to `archive/YYYY-MM-DD/dce_rpc.HH:MM:SS-HH:MM:SS.log.gz.tmp`, renames it to
 *     `.log.gz` and removes the queue file;
 *   - `logrotate`: `copytruncate` + `compress` without `delaycompress` on a plain `zeek -i` log
 *     that Zeek keeps appending to: older `.N.gz` shift up, the log is copied to `.1` and
 *     truncated in place, and `.1` is gzipped to `.1.gz` `archiveDelayMs` later.
 *
 * Every file's complete content is also written to `referenceDir/NNNNN.log` in the order the
 * files were created, so a test can score exactly what was written with the offline command.
 *
 * Usage: node zeek-writer.js '<WriterOptions as JSON>'. Prints one JSON line per event on
 * stdout (`{"event":"rotated","files":N,"records":M}`, then `{"event":"done",...}`).
 */
import { appendFileSync, closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export type WriterLayout = 'rename' | 'zeekctl' | 'supervisor' | 'logrotate';

export interface WriterOptions {
  layout: WriterLayout;
  /** The live log, e.g. `<root>/spool/zeek/dce_rpc.log`. */
  livePath: string;
  /** zeekctl's `logs` dir, the supervisor's `archive` dir (unused for rename and logrotate). */
  archiveDir?: string;
  /** The supervisor's `log-queue` dir. */
  queueDir?: string;
  /** A file of record lines (no header), one per line; written in this order. */
  recordsFile: string;
  /** The `#fields` and `#types` lines to write in each header (without newlines). */
  fields: string;
  types: string;
  perSecond: number;
  /** Mean interval between rotations; each is drawn from 0.7×–1.3× of it. */
  rotateEveryMs: number;
  /** How long after a rotation the archiver compresses the rotated file. @default 300 */
  archiveDelayMs?: number;
  /** logrotate's `rotate N`: compressed copies kept. @default 1000 */
  keep?: number;
  seed: number;
  referenceDir: string;
  /** Records in one write(2), at most. @default 1000 */
  maxBatch?: number;
  /** Stop writing after this many rotations, leaving the rest unwritten. @default no limit */
  maxRotations?: number;
  /**
   * Name rotated files from the real clock at Zeek's one-second resolution, as Zeek would:
   * rotations less than a second apart then reuse a name and rename(2) replaces the older file.
   * @default false (names from the simulated hourly clock, never reused)
   */
  wallClockNames?: boolean;
}

/** mulberry32: a small seeded generator, so a failing seed can be replayed exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIMULATED_START_MS = Date.UTC(2026, 0, 5, 0, 0, 0);
const HOUR_MS = 3_600_000;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
/** Zeek's `%Y-%m-%d-%H-%M-%S`. */
function zeekStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}
function day(ms: number): string {
  return zeekStamp(ms).slice(0, 10);
}
function clock(ms: number): string {
  return zeekStamp(ms).slice(11).replace(/-/g, ':');
}

class Writer {
  readonly #o: WriterOptions;
  readonly #records: string[];
  readonly #random: () => number;
  #fd: number | null = null;
  #fileIndex = 0;
  #openMs = SIMULATED_START_MS;
  #fileOpenedAtMs = 0;
  #reference: string | null = null;
  #written = 0;
  #rotations = 0;
  readonly #pendingArchives: Promise<void>[] = [];
  /** logrotate: the compression of `.1` this rotation still owes (null once done). */
  #pendingCompression: (() => void) | null = null;

  constructor(options: WriterOptions) {
    this.#o = options;
    this.#records = readFileSync(options.recordsFile, 'utf8').split('\n').filter((l) => l !== '');
    this.#random = seededRandom(options.seed);
    mkdirSync(options.referenceDir, { recursive: true });
    mkdirSync(dirname(options.livePath), { recursive: true });
  }

  #header(): string {
    return [
      '#separator \\x09',
      '#set_separator\t,',
      '#empty_field\t(empty)',
      '#unset_field\t-',
      '#path\tdce_rpc',
      `#open\t${zeekStamp(this.#openMs)}`,
      this.#o.fields,
      this.#o.types,
    ].join('\n') + '\n';
  }

  #write(text: string): void {
    if (this.#fd === null) {
      // Zeek's DoInit: O_WRONLY|O_CREAT|O_TRUNC, then the header. logrotate's copytruncate keeps
      // one file for ever; Zeek appends to it (O_APPEND here, so the truncation is honoured).
      const existing = this.#o.layout === 'logrotate' && existsSync(this.#o.livePath);
      this.#fd = openSync(this.#o.livePath, this.#o.layout === 'logrotate' ? 'a' : 'w');
      this.#fileIndex += 1;
      this.#fileOpenedAtMs = Date.now();
      this.#reference = join(this.#o.referenceDir, `${String(this.#fileIndex).padStart(5, '0')}.log`);
      const header = this.#header();
      writeFileSync(this.#reference, header);
      if (!existing) writeSync(this.#fd, header);
    }
    writeSync(this.#fd, text);
    appendFileSync(this.#reference as string, text);
  }

  #rotate(): void {
    const closeMs = this.#openMs + HOUR_MS;
    if (this.#fd === null) {
      this.#openMs = closeMs;
      return;
    }
    const layout = this.#o.layout;
    const live = this.#o.livePath;
    const stem = basename(live).replace(/\.log$/, '');
    const archiveName = `${stem}.${clock(this.#openMs)}-${clock(closeMs)}.log.gz`;
    const archiveDay = day(this.#openMs);
    const delay = this.#o.archiveDelayMs ?? 300;
    if (layout === 'logrotate') {
      // One logrotate run compresses `.1` before the next run starts: under load the timer below
      // can come after the next rotation, which would copy over a `.1` not yet compressed.
      this.#pendingCompression?.();
      const keep = this.#o.keep ?? 1000;
      rmSync(`${live}.${keep}.gz`, { force: true });
      for (let n = keep - 1; n >= 1; n -= 1) {
        if (existsSync(`${live}.${n}.gz`)) renameSync(`${live}.${n}.gz`, `${live}.${n + 1}.gz`);
      }
      copyFileSync(live, `${live}.1`);
      ftruncateSync(this.#fd, 0);
      // Zeek goes on writing to the same descriptor; only the reference starts a new file.
      this.#fileIndex += 1;
      this.#reference = join(this.#o.referenceDir, `${String(this.#fileIndex).padStart(5, '0')}.log`);
      // The live file has no header after a truncation; the reference gets one so that the
      // offline scorer reads it like any other file.
      writeFileSync(this.#reference, this.#header());
      const compress = (): void => {
        if (this.#pendingCompression !== compress) return;
        this.#pendingCompression = null;
        writeFileSync(`${live}.1.gz`, gzipSync(readFileSync(`${live}.1`)));
        rmSync(`${live}.1`);
      };
      this.#pendingCompression = compress;
      this.#later(delay, compress);
    } else {
      writeSync(this.#fd, `#close\t${zeekStamp(closeMs)}\n`);
      appendFileSync(this.#reference as string, `#close\t${zeekStamp(closeMs)}\n`);
      closeSync(this.#fd);
      this.#fd = null;
      if (layout === 'supervisor') {
        const queueDir = this.#o.queueDir as string;
        mkdirSync(queueDir, { recursive: true });
        const queued = join(queueDir, `${stem}__${zeekStamp(this.#openMs)}__${zeekStamp(closeMs)}__.log`);
        renameSync(live, queued);
        const target = join(this.#o.archiveDir as string, archiveDay, archiveName);
        this.#later(delay, () => {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(`${target}.tmp`, gzipSync(readFileSync(queued)));
          renameSync(`${target}.tmp`, target);
          rmSync(queued);
        });
      } else {
        const stampMs = this.#o.wallClockNames === true ? this.#fileOpenedAtMs : this.#openMs;
        const rotated = live.replace(/\.log$/, `.${zeekStamp(stampMs)}.log`);
        renameSync(live, rotated);
        if (layout === 'zeekctl') {
          const target = join(this.#o.archiveDir as string, archiveDay, archiveName);
          this.#later(delay, () => {
            mkdirSync(dirname(target), { recursive: true });
            // archive-log: `gzip < file > target`, written in place, then the spool copy removed.
            const compressed = gzipSync(readFileSync(rotated));
            const half = Math.floor(compressed.length / 2);
            writeFileSync(target, compressed.subarray(0, half));
            appendFileSync(target, compressed.subarray(half));
            rmSync(rotated);
          });
        }
      }
    }
    this.#openMs = closeMs;
    this.#rotations += 1;
    this.#emit({ event: 'rotated', rotations: this.#rotations, records: this.#written });
  }

  #later(ms: number, work: () => void): void {
    this.#pendingArchives.push(
      new Promise((resolve) => {
        setTimeout(() => {
          work();
          resolve();
        }, ms);
      }),
    );
  }

  #emit(event: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(event)}\n`);
  }

  async run(): Promise<void> {
    const maxBatch = this.#o.maxBatch ?? 1000;
    const started = performance.now();
    const interval = (): number => this.#o.rotateEveryMs * (0.7 + 0.6 * this.#random());
    let nextRotation = started + interval();
    while (this.#written < this.#records.length) {
      const now = performance.now();
      if (now >= nextRotation) {
        this.#rotate();
        nextRotation = now + interval();
        if (this.#o.maxRotations !== undefined && this.#rotations >= this.#o.maxRotations) break;
      }
      const due = Math.min(this.#records.length, Math.floor(((now - started) * this.#o.perSecond) / 1000));
      while (this.#written < due) {
        const n = Math.min(maxBatch, due - this.#written);
        this.#write(this.#records.slice(this.#written, this.#written + n).join('\n') + '\n');
        this.#written += n;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(this.#pendingArchives);
    if (this.#fd !== null) closeSync(this.#fd);
    this.#emit({ event: 'done', rotations: this.#rotations, records: this.#written, files: this.#fileIndex });
  }
}

if (process.argv[1] !== undefined && basename(process.argv[1]) === 'zeek-writer.js' && process.argv[2] !== undefined) {
  const options = JSON.parse(process.argv[2]) as WriterOptions;
  new Writer(options).run().catch((error: unknown) => {
    process.stderr.write(`zeek-writer: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
