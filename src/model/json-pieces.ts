/**
 * JSON text in pieces: exactly the characters of `JSON.stringify(value, null, indent)`, yielded
 * member by member down to `depth` levels, so a large document (a flood's model, 7 MB of
 * pretty JSON) is written or hashed without its whole text, or a copy of its bytes, in memory.
 * Plain data only (what JSON.parse gives back): no toJSON methods, no replacer.
 */
import { createHash } from 'node:crypto';

/** sha256 (hex) of the bytes of `JSON.stringify(value)`, hashed piece by piece. */
export function jsonSha256(value: unknown): string {
  const hash = createHash('sha256');
  for (const piece of jsonPieces(value)) hash.update(piece);
  return hash.digest('hex');
}
export function* jsonPieces(value: unknown, indent: number | string = '', depth = 2): Generator<string> {
  const gap = typeof indent === 'number' ? ' '.repeat(Math.min(10, Math.max(0, indent))) : indent.slice(0, 10);
  yield* pieces(value, gap, '', depth);
}

/** Leaves as JSON.stringify leaves them out of an object (they become `null` in an array). */
const skipped = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function* pieces(value: unknown, gap: string, at: string, depth: number): Generator<string> {
  if (depth <= 0 || value === null || typeof value !== 'object') {
    const text = JSON.stringify(value, null, gap) ?? 'null';
    // A nested value's own line breaks carry the indentation of where it stands.
    yield at === '' || !text.includes('\n') ? text : text.replaceAll('\n', `\n${at}`);
    return;
  }
  const inner = at + gap;
  const open = gap === '' ? '' : `\n${inner}`;
  const comma = gap === '' ? ',' : `,\n${inner}`;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield `[${open}`;
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield comma;
      yield* pieces(skipped(value[i]) ? null : value[i], gap, inner, depth - 1);
    }
    yield gap === '' ? ']' : `\n${at}]`;
    return;
  }
  let first = true;
  for (const [key, member] of Object.entries(value)) {
    if (skipped(member)) continue;
    yield `${first ? `{${open}` : comma}${JSON.stringify(key)}:${gap === '' ? '' : ' '}`;
    first = false;
    yield* pieces(member, gap, inner, depth - 1);
  }
  yield first ? '{}' : gap === '' ? '}' : `\n${at}}`;
}

/** Text pieces re-cut into UTF-8 buffers of about `size` bytes (a piece is never split). */
export function* utf8Chunks(pieces: Iterable<string>, size: number): Generator<Uint8Array> {
  let parts: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    parts.push(piece);
    length += piece.length;
    if (length >= size) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      length = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}
