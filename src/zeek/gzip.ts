/**
 * Gzip decompression that keeps everything `zcat` keeps. Node's Gunzip, on bytes after a member
 * that are not another member (a half-copied archive, a log appended to after compression, a
 * filesystem's zero-filled tail), raises an error that throws away output it had already
 * inflated, and a stream destroyed on error drops what it had buffered: thousands of records lost
 * from the end of a file that `zcat` reads whole. Here each member's header is parsed by hand and
 * its deflate data inflated raw, so the reader knows where a member ends, can look at what comes
 * next, and stops at anything that is not gzip with all the output delivered, then reports the
 * problem with its compressed byte offset. Concatenated members and zero padding (tape/tar
 * blocking) are read as gzip(1) reads them. Each member's CRC-32 and length are checked.
 */
import { constants as zlibConstants, crc32, createInflateRaw, type InflateRaw } from 'node:zlib';

/** What stopped the decompression before the end of the file. */
export type GzipProblemKind = 'trailing-garbage' | 'truncated' | 'corrupt';

export interface GzipProblem {
  kind: GzipProblemKind;
  /** Compressed byte offset where it starts: the garbage's first byte, the cut member's start, the bad data. */
  offset: number;
  /** Uncompressed bytes delivered before it (every one of them is good data). */
  uncompressedOffset: number;
  /** 1-based number of the member concerned (for garbage: the members read before it). */
  member: number;
  /** For a person: what was wrong, with the offset. */
  detail: string;
}

export interface InflateGzipOptions {
  /** Size of the inflater's output chunks. @default 65536 */
  chunkSize?: number;
  /**
   * Inflate on the calling thread, synchronously, instead of in libuv's thread pool (see
   * SyncMemberInflater): for a worker thread that should carry its own file's inflate CPU, so
   * that N workers on N cores do not compete with pool threads. @default false
   */
  onThisThread?: boolean;
}

/** Compressed bytes handed to the inflater at a time: bounds the output held per step. */
const WRITE_SLICE = 64 * 1024;

const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FLAG_RESERVED = 0xe0;

/** Whether `bytes` starts with the gzip magic (the check every reader makes before using this). */
export function hasGzipMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Length of the member header at the start of `bytes`; 0 when more bytes are needed to tell;
 * -1 when it is not a gzip header gzip(1) would accept (RFC 1952 section 2.3).
 */
export function gzipHeaderLength(bytes: Buffer): number {
  if (bytes.length >= 1 && bytes[0] !== 0x1f) return -1;
  if (bytes.length >= 2 && bytes[1] !== 0x8b) return -1;
  if (bytes.length >= 3 && bytes[2] !== 8) return -1;
  if (bytes.length >= 4 && ((bytes[3] as number) & FLAG_RESERVED) !== 0) return -1;
  if (bytes.length < 10) return 0;
  const flags = bytes[3] as number;
  let at = 10;
  if ((flags & FLAG_EXTRA) !== 0) {
    if (bytes.length < at + 2) return 0;
    at += 2 + bytes.readUInt16LE(at);
  }
  for (const flag of [FLAG_NAME, FLAG_COMMENT]) {
    if ((flags & flag) === 0) continue;
    if (at >= bytes.length) return 0;
    const zero = bytes.indexOf(0, at);
    if (zero === -1) return 0;
    at = zero + 1;
  }
  if ((flags & FLAG_HCRC) !== 0) at += 2;
  return at <= bytes.length ? at : 0;
}

/** Feeds one member's deflate data to an InflateRaw and collects what comes out. */
class MemberInflater {
  readonly #inflater: InflateRaw;
  #output: Buffer[] = [];
  #error: Error | null = null;
  #written = 0;
  crc = 0;
  size = 0;

  constructor(chunkSize: number) {
    this.#inflater = createInflateRaw({ chunkSize });
    this.#inflater.on('data', (chunk: Buffer) => {
      this.crc = crc32(chunk, this.crc);
      this.size += chunk.length;
      this.#output.push(chunk);
    });
    this.#inflater.on('error', (error: Error) => {
      this.#error ??= error;
    });
  }

  /**
   * Inflates `input`. Returns the output and how many of its bytes were past the end of the
   * deflate data (> 0: the member's data ended inside `input`).
   */
  async write(input: Buffer): Promise<{ output: Buffer[]; unused: number; error: Error | null }> {
    this.#written += input.length;
    await this.#settle((done) => this.#inflater.write(input, () => done()));
    return { output: this.#take(), unused: this.#written - this.#inflater.bytesWritten, error: this.#error };
  }

  /** The input ended: flushes, and tells whether the deflate data was complete. */
  async end(): Promise<{ output: Buffer[]; complete: boolean; error: Error | null }> {
    await this.#settle((done) => {
      this.#inflater.once('end', done);
      this.#inflater.end();
    });
    return { output: this.#take(), complete: this.#error === null, error: this.#error };
  }

  close(): void {
    this.#inflater.destroy();
  }

  /** Runs `start` and waits for its callback or for an error or close, whichever comes first. */
  #settle(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        this.#inflater.off('error', done);
        this.#inflater.off('close', done);
        resolve();
      };
      this.#inflater.once('error', done);
      this.#inflater.once('close', done);
      start(done);
    });
  }

  #take(): Buffer[] {
    // Output pushed while our callback ran may still sit in the readable buffer: flush it out
    // through the 'data' listener.
    while (this.#inflater.readableLength > 0 && this.#inflater.read() !== null);
    const output = this.#output;
    this.#output = [];
    return output;
  }
}

/** Node's zlib binding as a stream holds it: `writeSync` runs one inflate() call on this thread. */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
}

/**
 * MemberInflater's work done synchronously, on the calling thread. Node has no public streaming
 * synchronous inflate (inflateRawSync takes a whole buffer and closes its engine), so this drives
 * the engine's zlib binding the way zlib.js's own synchronous path does: `_handle.writeSync`,
 * with the sizes left over in `_writeState` ([avail_out, avail_in]) and an error seen as the
 * engine's `errored` (the binding destroys the stream with it). Those are Node internals: when
 * they are missing (another Node), `create` returns null and the caller uses MemberInflater.
 */
class SyncMemberInflater {
  readonly #engine: InflateRaw;
  readonly #handle: ZlibHandle;
  readonly #state: Uint32Array;
  readonly #chunkSize: number;
  #out: Buffer;
  #outOffset = 0;
  crc = 0;
  size = 0;

  static create(chunkSize: number): SyncMemberInflater | null {
    const engine = createInflateRaw({ chunkSize });
    const internals = engine as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: unknown };
    if (typeof internals._handle?.writeSync !== 'function' || !(internals._writeState instanceof Uint32Array)) {
      engine.destroy();
      return null;
    }
    return new SyncMemberInflater(engine, internals._handle as ZlibHandle, internals._writeState, chunkSize);
  }

  private constructor(engine: InflateRaw, handle: ZlibHandle, state: Uint32Array, chunkSize: number) {
    this.#engine = engine;
    this.#handle = handle;
    this.#state = state;
    this.#chunkSize = chunkSize;
    this.#out = Buffer.allocUnsafe(chunkSize);
    // The binding's error also destroys the stream, which emits it later: it is read from `errored`.
    engine.on('error', () => undefined);
  }

  write(input: Buffer): { output: Buffer[]; unused: number; error: Error | null } {
    return this.#inflate(input, zlibConstants.Z_NO_FLUSH);
  }

  end(): { output: Buffer[]; complete: boolean; error: Error | null } {
    const { output, error } = this.#inflate(Buffer.alloc(0), zlibConstants.Z_FINISH);
    return { output, complete: error === null, error };
  }

  close(): void {
    this.#engine.destroy();
  }

  /** inflate() until `input` is used up, the deflate data ends (unused > 0) or it fails. */
  #inflate(input: Buffer, flush: number): { output: Buffer[]; unused: number; error: Error | null } {
    const output: Buffer[] = [];
    let inOffset = 0;
    let inLeft = input.length;
    for (;;) {
      const room = this.#out.length - this.#outOffset;
      this.#handle.writeSync(flush, input, inOffset, inLeft, this.#out, this.#outOffset, room);
      const error = this.#engine.errored;
      if (error !== null) return { output, unused: 0, error };
      const outLeft = this.#state[0] as number;
      const inAfter = this.#state[1] as number;
      inOffset += inLeft - inAfter;
      inLeft = inAfter;
      const produced = room - outLeft;
      if (produced > 0) {
        const chunk = this.#out.subarray(this.#outOffset, this.#outOffset + produced);
        this.crc = crc32(chunk, this.crc);
        this.size += produced;
        output.push(chunk);
        this.#outOffset += produced;
      }
      // The chunks handed out keep their bytes: a full buffer is replaced, never reused.
      if (outLeft > 0) return { output, unused: inLeft, error: null };
      this.#out = Buffer.allocUnsafe(this.#chunkSize);
      this.#outOffset = 0;
    }
  }
}

/**
 * Inflates the gzip file whose bytes `source` yields, member after member, yielding the
 * uncompressed bytes. When something other than a clean end follows (garbage, a cut member,
 * corrupt data, a CRC mismatch), everything inflated before it is yielded, `onProblem` is called
 * once, and the sequence ends without an error. An error of `source` itself (EIO) is thrown.
 */
export async function* inflateGzip(
  source: AsyncIterable<Buffer | Uint8Array>,
  onProblem: (problem: GzipProblem) => void,
  options: InflateGzipOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const input = source[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  /** Compressed offset of pending[0]. */
  let position = 0;
  let sourceDone = false;
  let delivered = 0;
  let members = 0;

  const pull = async (): Promise<boolean> => {
    if (sourceDone) return false;
    const next = await input.next();
    if (next.done === true) {
      sourceDone = true;
      return false;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    return true;
  };
  const consume = (n: number): void => {
    pending = pending.subarray(n);
    position += n;
  };
  const problem = (kind: GzipProblemKind, offset: number, member: number, detail: string): void => {
    onProblem({ kind, offset, uncompressedOffset: delivered, member, detail });
  };

  try {
    for (;;) {
      // Between members: the end, zero padding, another member, or garbage.
      while (pending.length > 0 && pending[0] === 0) {
        const nonZero = pending.findIndex((byte) => byte !== 0);
        consume(nonZero === -1 ? pending.length : nonZero);
      }
      if (pending.length === 0 && !(await pull())) return;
      if (pending[0] === 0) continue;
      const memberStart = position;
      let headerLength = gzipHeaderLength(pending);
      while (headerLength === 0 && (await pull())) headerLength = gzipHeaderLength(pending);
      if (headerLength === -1 || (headerLength === 0 && members > 0 && !hasGzipMagic(pending))) {
        const rest = await countRest(pending.length);
        if (members === 0) {
          problem('corrupt', memberStart, 1, `not a gzip header at byte ${memberStart}`);
        } else {
          problem('trailing-garbage', memberStart, members, `${rest} bytes of non-gzip data after gzip member ${members}, at byte ${memberStart}, ignored (as zcat does)`);
        }
        return;
      }
      members += 1;
      if (headerLength === 0) {
        problem('truncated', memberStart, members, `gzip member ${members} (at byte ${memberStart}) is cut off in its header`);
        return;
      }
      consume(headerLength);

      const inflater = (options.onThisThread === true ? SyncMemberInflater.create(chunkSize) : null) ?? new MemberInflater(chunkSize);
      try {
        // The member's deflate data.
        let dataEnded = false;
        while (!dataEnded) {
          if (pending.length === 0 && !(await pull())) {
            const { output, complete, error } = await inflater.end();
            for (const chunk of output) {
              delivered += chunk.length;
              yield chunk;
            }
            const why = complete ? 'its trailer is missing' : `the compressed data ends early (${error?.message ?? 'unexpected end of file'})`;
            problem('truncated', memberStart, members, `gzip member ${members} (at byte ${memberStart}) is cut off at byte ${position}: ${why}`);
            return;
          }
          const slice = pending.subarray(0, WRITE_SLICE);
          const { output, unused, error } = await inflater.write(slice);
          for (const chunk of output) {
            delivered += chunk.length;
            yield chunk;
          }
          if (error !== null) {
            problem('corrupt', position, members, `gzip member ${members} (at byte ${memberStart}) has invalid compressed data near byte ${position}: ${error.message}`);
            return;
          }
          consume(slice.length - Math.max(0, unused));
          dataEnded = unused > 0;
        }
        // The trailer: CRC-32 and length (mod 2^32) of the member's data.
        while (pending.length < 8 && (await pull()));
        if (pending.length < 8) {
          problem('truncated', memberStart, members, `gzip member ${members} (at byte ${memberStart}) is cut off at byte ${position + pending.length}: its trailer is missing`);
          return;
        }
        const expectedCrc = pending.readUInt32LE(0);
        const expectedSize = pending.readUInt32LE(4);
        if (expectedCrc !== inflater.crc >>> 0 || expectedSize !== inflater.size % 2 ** 32) {
          problem('corrupt', position, members, `gzip member ${members} (at byte ${memberStart}) fails its CRC/length check at byte ${position}`);
          return;
        }
        consume(8);
      } finally {
        inflater.close();
      }
    }
  } finally {
    await input.return?.();
  }

  /** Bytes from the current position to the end of the source (drains it). */
  async function countRest(already: number): Promise<number> {
    let count = already;
    for (;;) {
      const next = await input.next();
      if (next.done === true) return count;
      count += next.value.length;
    }
  }
}
