/**
 * Reading back the file the writer appends to: a byte range, and where its last complete line
 * ends. Used at open (is the file ours, does it end mid-line?), before an append (cut a torn last
 * line) and by the restart replay (`readTail`).
 */
import type { FileHandle } from 'node:fs/promises';

/** How far back one read looks for a newline. */
export const TAIL_BYTES = 4096;

/** Bytes [from, to) of the file (fewer if it is shorter). */
export async function readRange(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  const length = Math.max(0, to - from);
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, from + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** The offset just after the last newline among the first `size` bytes; 0 when there is none. */
export async function lastLineEnd(handle: FileHandle, size: number): Promise<number> {
  for (let end = size; end > 0; ) {
    const from = Math.max(0, end - TAIL_BYTES);
    const chunk = await readRange(handle, from, end);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) return from + newline + 1;
    end = from;
  }
  return 0;
}
