/**
 * A line index of an INI text, tokenised exactly as the `ini` package tokenises it (same
 * patterns, and ini's own `unsafe()` for quoting, escapes and inline comments), so every
 * section and key keeps the line number that `ini.decode()` throws away. Also catches the
 * lines `ini` silently misreads (an indented section header becomes a key; a line without `=`
 * becomes `key = true`).
 */
import { unsafe } from 'ini';

/** One `[section]` header occurrence. */
export interface IniSectionHeader {
  name: string;
  line: number;
}

/** One `key = value` line. */
export interface IniEntry {
  /** Null when the key comes before any section header. */
  section: string | null;
  key: string;
  /** Decoded value text. */
  value: string;
  /** True for the `key[] = item` array form. */
  isArrayItem: boolean;
  line: number;
}

/** A line that is not a comment, a section header or `key = value`. */
export interface IniSyntaxProblem {
  line: number;
  section: string | null;
  message: string;
  /** Warnings flag lines ini reads in a way the author probably did not mean. */
  severity: 'error' | 'warning';
}

/** The whole index, in file order. */
export interface IniScan {
  headers: IniSectionHeader[];
  entries: IniEntry[];
  problems: IniSyntaxProblem[];
}

// The same patterns as ini 6's decode().
const COMMENT_OR_BLANK = /^\s*([;#]|$)/;
const SECTION = /^\[([^\]]*)\]\s*$/;
const KEY_VALUE = /^([^=]+)(=(.*))?$/;

/** Indexes every section header and key line of `text` (1-based line numbers). */
export function scanIni(text: string): IniScan {
  const scan: IniScan = { headers: [], entries: [], problems: [] };
  let section: string | null = null;
  // A UTF-8 byte-order mark (Windows editors) would make ini misread the first header.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (COMMENT_OR_BLANK.test(raw)) return;
    const header = SECTION.exec(raw);
    if (header !== null) {
      section = unsafe(header[1] ?? '');
      scan.headers.push({ name: section, line });
      return;
    }
    if (raw.trimStart().startsWith('[')) {
      scan.problems.push({
        line,
        section,
        message: `'${raw.trim()}' is not read as a section header (ini would take it as a key), expected '[name]' at the start of the line with nothing after it`,
        severity: 'error',
      });
      return;
    }
    const match = KEY_VALUE.exec(raw);
    if (match === null) {
      scan.problems.push({ line, section, message: `'${raw.trim()}' has no key, expected key = value`, severity: 'error' });
      return;
    }
    const rawKey = unsafe(match[1] ?? '');
    if (match[2] === undefined) {
      scan.problems.push({ line, section, message: `'${rawKey}' has no '=', expected key = value`, severity: 'error' });
      return;
    }
    const value = unsafe(match[3] ?? '');
    if (/^["']/.test(value) && value.length > 1 && value.endsWith(value[0] ?? '')) {
      // ini only unquotes a value that ends at the closing quote; a comment after it keeps the quotes.
      scan.problems.push({
        line,
        section,
        message: `${rawKey}: the quotes are kept as part of the value because text follows the closing quote, expected nothing after a quoted value`,
        severity: 'warning',
      });
    }
    const isArrayItem = rawKey.length > 2 && rawKey.endsWith('[]');
    scan.entries.push({
      section,
      key: isArrayItem ? rawKey.slice(0, -2) : rawKey,
      value,
      isArrayItem,
      line,
    });
  });
  return scan;
}
