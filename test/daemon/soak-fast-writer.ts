/**
 * The fast-rotation soak's writer, its own process: Zeek appending dce_rpc records to one live
 * log while rotations come faster than the daemon catches up, each one at random either
 * - copytruncate (logrotate on a `zeek -i` log): older `.N.gz` shift up, the live file is copied
 *   to `.1` and truncated in place, Zeek goes on appending without a header, and `.1` is gzipped
 *   to `.1.gz` a random 0–`maxCompressDelayMs` later (before the next copy at the latest, as one
 *   logrotate run finishes before the next starts); or
 * - rename (Zeek's own rotation): `#close`, close, rename to `dce_rpc.<open stamp>.log` beside it,
 *   and the next record creates a new file with a header.
 * Intervals between rotations and the records per write are drawn from the seed, and writes come
 * in bursts above the mean rate, so the daemon falls behind and catches up across many files.
 *
 * Every generation's complete content goes to `referenceDir/NNNNN.log` (a copytruncate
 * generation gets the header it lacks on disk, so the offline scorer reads it like any file).
 *
 * Usage: node soak-fast-writer.js '<FastWriterOptions as JSON>'; one JSON line per rotation on
 * stdout, then `{"event":"done",...}`.
 */
import { appendFileSync, closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../helpers/zeek-writer.js';

export interface FastWriterOptions {
  livePath: string;
  recordsFile: string;
  fields: string;
  types: string;
  /** Mean records per second; bursts go up to twice that. */
  perSecond: number;
  /** Rotation intervals are drawn from 0.2×–1.8× of this. */
  rotateEveryMs: number;
  /** Share of rotations done by copytruncate (the rest by rename), 0–1. */
  copytruncateShare: number;
  maxCompressDelayMs: number;
  seed: number;
  referenceDir: string;
}

const SIMULATED_START_MS = Date.UTC(2026, 0, 5, 0, 0, 0);
const HOUR_MS = 3_600_000;

function zeekStamp(ms: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}

class FastWriter {
  readonly #o: FastWriterOptions;
  readonly #records: string[];
  readonly #random: () => number;
  #fd: number | null = null;
  /** The live file has been copytruncated since it was created (Zeek writes no new header). */
  #truncatedInPlace = false;
  #generation = 0;
  #openMs = SIMULATED_START_MS;
  #reference: string | null = null;
  #written = 0;
  #rotations = 0;
  #copytruncates = 0;
  #pendingCompression: (() => void) | null = null;
  #compressionTimer: NodeJS.Timeout | null = null;
  #gzCount = 0;

  constructor(options: FastWriterOptions) {
    this.#o = options;
    this.#records = readFileSync(options.recordsFile, 'utf8').split('\n').filter((l) => l !== '');
    this.#random = seededRandom(options.seed * 31 + 17);
    mkdirSync(options.referenceDir, { recursive: true });
    mkdirSync(dirname(options.livePath), { recursive: true });
  }

  #header(): string {
    return ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tdce_rpc', `#open\t${zeekStamp(this.#openMs)}`, this.#o.fields, this.#o.types].join('\n') + '\n';
  }

  #newReference(): void {
    this.#generation += 1;
    this.#reference = join(this.#o.referenceDir, `${String(this.#generation).padStart(5, '0')}.log`);
    writeFileSync(this.#reference, this.#header());
  }

  #write(text: string): void {
    if (this.#fd === null) {
      // Zeek's DoInit after a rename: a new file with its header (O_APPEND, so that a later
      // truncation is honoured).
      this.#fd = openSync(this.#o.livePath, 'a');
      this.#truncatedInPlace = false;
      this.#newReference();
      writeSync(this.#fd, this.#header());
    }
    writeSync(this.#fd, text);
    appendFileSync(this.#reference as string, text);
  }

  #compressNow(): void {
    this.#pendingCompression?.();
  }

  #rotate(): void {
    const closeMs = this.#openMs + HOUR_MS;
    if (this.#fd === null) {
      this.#openMs = closeMs;
      return;
    }
    const live = this.#o.livePath;
    if (this.#random() < this.#o.copytruncateShare) {
      // One logrotate run ends (its compression done) before the next starts.
      this.#compressNow();
      for (let n = this.#gzCount; n >= 1; n -= 1) {
        if (existsSync(`${live}.${n}.gz`)) renameSync(`${live}.${n}.gz`, `${live}.${n + 1}.gz`);
      }
      copyFileSync(live, `${live}.1`);
      ftruncateSync(this.#fd, 0);
      this.#truncatedInPlace = true;
      this.#copytruncates += 1;
      this.#newReference();
      const compress = (): void => {
        if (this.#pendingCompression !== compress) return;
        this.#pendingCompression = null;
        if (this.#compressionTimer !== null) clearTimeout(this.#compressionTimer);
        this.#compressionTimer = null;
        writeFileSync(`${live}.1.gz`, gzipSync(readFileSync(`${live}.1`)));
        rmSync(`${live}.1`);
        this.#gzCount += 1;
      };
      this.#pendingCompression = compress;
      this.#compressionTimer = setTimeout(compress, this.#random() * this.#o.maxCompressDelayMs);
    } else {
      writeSync(this.#fd, `#close\t${zeekStamp(closeMs)}\n`);
      appendFileSync(this.#reference as string, `#close\t${zeekStamp(closeMs)}\n`);
      closeSync(this.#fd);
      this.#fd = null;
      renameSync(live, live.replace(/\.log$/, `.${zeekStamp(this.#openMs)}.log`));
    }
    this.#openMs = closeMs;
    this.#rotations += 1;
    process.stdout.write(`${JSON.stringify({ event: 'rotated', rotations: this.#rotations, records: this.#written })}\n`);
  }

  async run(): Promise<void> {
    const interval = (): number => this.#o.rotateEveryMs * (0.2 + 1.6 * this.#random());
    let nextRotation = performance.now() + interval();
    let last = performance.now();
    let credit = 0;
    while (this.#written < this.#records.length) {
      const now = performance.now();
      if (now >= nextRotation) {
        this.#rotate();
        nextRotation = now + interval();
      }
      // Bursty: the rate of each 20 ms step is drawn from 0–2× the mean.
      credit += ((now - last) * this.#o.perSecond * 2 * this.#random()) / 1000;
      last = now;
      const n = Math.min(this.#records.length - this.#written, Math.floor(credit));
      if (n > 0) {
        credit -= n;
        // Several write(2)s per step, of random size, so reads see records cut anywhere.
        let done = 0;
        while (done < n) {
          const k = Math.min(n - done, 1 + Math.floor(this.#random() * 400));
          this.#write(this.#records.slice(this.#written + done, this.#written + done + k).join('\n') + '\n');
          done += k;
        }
        this.#written += n;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.#compressNow();
    if (this.#fd !== null) closeSync(this.#fd);
    process.stdout.write(`${JSON.stringify({ event: 'done', rotations: this.#rotations, copytruncates: this.#copytruncates, records: this.#written, files: this.#generation, truncatedInPlace: this.#truncatedInPlace })}\n`);
  }
}

if (process.argv[1] !== undefined && basename(process.argv[1]) === 'soak-fast-writer.js' && process.argv[2] !== undefined) {
  new FastWriter(JSON.parse(process.argv[2]) as FastWriterOptions).run().catch((error: unknown) => {
    process.stderr.write(`soak-fast-writer: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
