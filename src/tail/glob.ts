/**
 * Path patterns for followed logs (`spool/logger-*\/dce_rpc.log`). Only `*`, `?` and `[...]`
 * within one path segment are supported, which is what sensor layouts need; dotfiles are matched
 * only by a segment that itself starts with `.`, so Zeek's `.shadow.dce_rpc.log` is never picked.
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';

/** Whether a pattern contains glob syntax (otherwise it is a literal path). */
export function hasGlobSyntax(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Regular expression for one path segment of a glob. */
export function segmentRegExp(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i += 1) {
    const char = segment[i] ?? '';
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) source += '\\[';
      else {
        let body = segment.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        source += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Paths matching `pattern` now, sorted. A literal pattern is returned as is, existing or not
 * (a followed file may be missing for hours between rotations). Unreadable or missing
 * directories simply match nothing.
 */
export async function expandPattern(pattern: string): Promise<string[]> {
  if (!hasGlobSyntax(pattern)) return [pattern];
  const segments = pattern.split(sep);
  let bases = [isAbsolute(pattern) ? sep : ''];
  for (const [index, segment] of segments.entries()) {
    if (segment === '' && index === 0) continue;
    if (!hasGlobSyntax(segment)) {
      bases = bases.map((base) => (base === '' ? segment : join(base, segment)));
      continue;
    }
    const matcher = segmentRegExp(segment);
    const next: string[] = [];
    for (const base of bases) {
      let names: string[];
      try {
        names = await readdir(base === '' ? '.' : base);
      } catch (error) {
        // A directory that is absent or being moved (zeekctl post-terminate) matches nothing now.
        if (isExpectedDirError(error)) continue;
        throw error;
      }
      for (const name of names) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (matcher.test(name)) next.push(base === '' ? name : join(base, name));
      }
    }
    bases = next;
  }
  return bases.sort();
}

/**
 * Files matching any of `patterns` now, deduplicated and sorted; temp files (`*.tmp`, an archive
 * being written by zeek-archiver) are left out. For archive trees shared with offline commands.
 */
export async function expandPatterns(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    for (const path of await expandPattern(pattern)) if (!path.endsWith('.tmp')) found.add(path);
  }
  return [...found].sort();
}

function isExpectedDirError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES';
}
