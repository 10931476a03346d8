/**
 * Splits a byte stream into lines on 0x0a while keeping exact byte offsets, which the tailer
 * checkpoints and the reader reports. Zeek never writes a newline inside a record, so 0x0a is
 * exact; text decoding happens later, per field, so offsets are never lost to a decoder.
 *
 * An unterminated tail is held back until its newline arrives (a writer may be mid-line). A line
 * longer than `maxLineBytes` is reported once as over-long and its bytes are dropped as they
 * arrive, so memory stays bounded however long it grows.
 */

/** Called for each complete line; `bytes` excludes the newline and is only valid during the call. */
export type LineHandler = (bytes: Buffer, lineNumber: number, offset: number, end: number) => void;

/** The line `bytes[start, end)` as a Buffer: `bytes` itself when it is the whole line, else a view. */
export function lineBytes(bytes: Buffer, start: number, end: number): Buffer {
  return start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
}

/** Called once for each line longer than the maximum, when its newline arrives (or at finish). */
export type OverlongHandler = (
  lineNumber: number,
  offset: number,
  end: number,
  lengthBytes: number,
) => void;

/**
 * What `pushTo` hands lines to: methods of an object, not closures. A reader that scans file
 * after file with sinks of one class keeps one call target at each call in the splitter's loop,
 * so the loop compiled with the sink inlined stays valid for the next file; a new closure per
 * file is a new target each time ("wrong call target": deopt and recompile of the whole loop).
 */
export interface LineRangeSink {
  /**
   * A LineHandler without a Buffer view per line: the line is `bytes[start, end)`, valid only
   * during the call (for readers that decode from offsets, see DceRpcLineDecoder.decodeIn).
   */
  line(bytes: Buffer, start: number, end: number, lineNumber: number, offset: number, next: number): void;
  overlong(lineNumber: number, offset: number, end: number, lengthBytes: number): void;
}

/** `push`'s callbacks as a LineRangeSink: each line handed on as a Buffer of its own. */
class LineCallbacks implements LineRangeSink {
  constructor(
    readonly onLine: LineHandler,
    readonly onOverlong: OverlongHandler,
  ) {}

  line(bytes: Buffer, start: number, end: number, lineNumber: number, offset: number, next: number): void {
    this.onLine(lineBytes(bytes, start, end), lineNumber, offset, next);
  }

  overlong(lineNumber: number, offset: number, end: number, lengthBytes: number): void {
    this.onOverlong(lineNumber, offset, end, lengthBytes);
  }
}

export interface LineSplitterOptions {
  /** Longest line kept, in bytes, excluding the newline. @default 1048576 (1 MiB) */
  maxLineBytes?: number;
  /** Byte offset of the first byte that will be pushed (resuming mid-file). @default 0 */
  startOffset?: number;
  /** Line number of the first line that will be pushed, 1-based. @default 1 */
  startLine?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  readonly maxLineBytes: number;
  /**
   * Made holding a Buffer (emptied in the constructor), so its elements kind is final from the
   * start: a `[]` that got its first Buffer at the first held line changed map under the compiled
   * read loop (a deopt and a recompile of all that is inlined into it, `--trace-deopt`).
   */
  readonly #pending: Buffer[] = [EMPTY];
  #pendingLength = 0;
  #overlong = false;
  #lineStart: number;
  #lineNumber: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#lineStart = options.startOffset ?? 0;
    this.#lineNumber = options.startLine ?? 1;
    this.#pending.length = 0;
  }

  /** Byte offset just past the last complete line: the safe point to resume from. */
  get committedOffset(): number {
    return this.#lineStart;
  }

  /** Number of the next line to be completed. */
  get nextLineNumber(): number {
    return this.#lineNumber;
  }

  /** Bytes of an unterminated line seen so far (counted even when an over-long line drops them). */
  get pendingBytes(): number {
    return this.#pendingLength;
  }

  push(chunk: Buffer, onLine: LineHandler, onOverlong: OverlongHandler): void {
    this.pushTo(chunk, new LineCallbacks(onLine, onOverlong));
  }

  /**
   * As `push`, to a sink's methods (see LineRangeSink), handing each line on as a range of the
   * chunk (or of a joined copy).
   */
  pushTo(chunk: Buffer, sink: LineRangeSink): void {
    let position = 0;
    const length = chunk.length;
    while (position < length) {
      const newline = chunk.indexOf(0x0a, position);
      if (newline === -1) {
        this.#hold(chunk.subarray(position));
        return;
      }
      const lineLength = this.#pendingLength + (newline - position);
      const end = this.#lineStart + lineLength + 1;
      if (this.#overlong || lineLength > this.maxLineBytes) {
        sink.overlong(this.#lineNumber, this.#lineStart, end, lineLength);
      } else if (this.#pendingLength === 0) {
        sink.line(chunk, position, newline, this.#lineNumber, this.#lineStart, end);
      } else {
        this.#pending.push(chunk.subarray(position, newline));
        sink.line(Buffer.concat(this.#pending, lineLength), 0, lineLength, this.#lineNumber, this.#lineStart, end);
      }
      this.#resetLine(end);
      position = newline + 1;
    }
  }

  /**
   * End of input with no more bytes coming (a closed or rotated-away file): an unterminated last
   * line is delivered as a line, since nothing will ever complete it. Returns whether one was.
   */
  finish(onLine: LineHandler, onOverlong: OverlongHandler): boolean {
    if (this.#pendingLength === 0 && !this.#overlong) return false;
    const lineLength = this.#pendingLength;
    const end = this.#lineStart + lineLength;
    if (this.#overlong) onOverlong(this.#lineNumber, this.#lineStart, end, lineLength);
    else onLine(Buffer.concat(this.#pending, lineLength), this.#lineNumber, this.#lineStart, end);
    this.#resetLine(end);
    return true;
  }

  #hold(piece: Buffer): void {
    this.#pendingLength += piece.length;
    if (this.#overlong) return;
    if (this.#pendingLength > this.maxLineBytes) {
      this.#overlong = true;
      this.#pending.length = 0;
      return;
    }
    // Copy: the caller may reuse its read buffer for the next chunk.
    this.#pending.push(Buffer.from(piece));
  }

  #resetLine(nextStart: number): void {
    // Emptied in place, not replaced (one array a line was once the splitter's whole allocation;
    // a fresh `[]` after each held line changed its elements kind under compiled code: a deopt of
    // the whole inlined read loop, `--trace-deopt`). Buffer.concat copied the pieces.
    if (this.#pending.length > 0) this.#pending.length = 0;
    this.#pendingLength = 0;
    this.#overlong = false;
    this.#lineStart = nextStart;
    this.#lineNumber += 1;
  }
}
