/**
 * Value types of the config file: each one turns the text of one INI value into a typed value,
 * or into the list of everything wrong with it. Messages read "what is wrong, expected what".
 */
import { validateDetailed } from 'node-cron';
import { isLoopback, parseAddressBytes, parseConfigCidr } from './cidr.js';
import { nearest } from './suggest.js';

/** The outcome of parsing one value. */
export type Parsed<T> = { ok: true; value: T; warnings: string[] } | { ok: false; problems: string[] };

/** A kind of value: its name and accepted syntax (for the docs) and its parser. */
export interface ValueType<T> {
  /** Short type name for the docs, e.g. "duration". */
  readonly name: string;
  /** What a valid value looks like, used after "expected" in messages and in the docs. */
  readonly expected: string;
  /** True for comma-separated lists (these also accept the `key[] = item` INI form). */
  readonly isList: boolean;
  parse(text: string): Parsed<T>;
}

function valueType<T>(
  name: string,
  expected: string,
  parse: (text: string, fail: (what: string) => Parsed<T>) => Parsed<T>,
  isList = false,
): ValueType<T> {
  const fail = (what: string): Parsed<T> => ({ ok: false, problems: [`${what}, expected ${expected}`] });
  return { name, expected, isList, parse: (text) => parse(text.trim(), fail) };
}

function ok<T>(value: T, warnings: string[] = []): Parsed<T> {
  return { ok: true, value, warnings };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Formats milliseconds as the shortest duration text (`1500ms`, `90s`, `14d`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit] ?? 1;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Parses "90s", "15m", "6h", "14d", "100ms" and sums like "1h30m" into milliseconds. */
export function parseDurationMs(text: string): number | null {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(text)) return null;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? ''] ?? 0);
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** A duration in milliseconds within [minMs, maxMs]; `allowZero` also accepts a bare 0 meaning "never". */
export function duration(minMs: number, maxMs: number, allowZero = false): ValueType<number> {
  const range = `${formatDuration(minMs)} to ${formatDuration(maxMs)}`;
  const expected = `a duration like 90s, 15m, 6h or 14d (units ms, s, m, h, d) from ${range}${allowZero ? ', or 0 for never' : ''}`;
  return valueType('duration', expected, (text, fail) => {
    if (allowZero && text === '0') return ok(0);
    if (/^\d+$/.test(text)) return fail(`'${text}' has no unit`);
    const ms = parseDurationMs(text);
    if (ms === null) return fail(`'${text}' is not a duration`);
    if (ms < minMs || ms > maxMs) return fail(`${text} is out of range`);
    return ok(ms);
  });
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
};

/** Formats a byte count with the largest exact binary unit (`1MiB`, `1536B`). */
export function formatBytes(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes % size === 0 && bytes >= size) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** A byte size like 1MiB, 512KiB, 64kB or a plain number of bytes, within [min, max]. */
export function byteSize(min: number, max: number): ValueType<number> {
  const expected = `a size like 512KiB or 1MiB (units B, KiB, MiB, GiB; kB, MB, GB are powers of 1000) from ${formatBytes(min)} to ${formatBytes(max)}`;
  return valueType('byte size', expected, (text, fail) => {
    const match = /^(\d+)\s*([A-Za-z]*)$/.exec(text);
    const unit = SIZE_UNITS[match?.[2] ?? 'x'];
    if (match === null || unit === undefined) {
      if (/^\d+\s*[KMG]$/i.test(text)) return fail(`'${text}' is ambiguous (write ${text}iB or ${text}B)`);
      return fail(`'${text}' is not a byte size`);
    }
    const bytes = Number(match[1]) * unit;
    if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) return fail(`${text} is out of range`);
    return ok(bytes);
  });
}

/** An integer within [min, max]; `_` may group digits (1_000_000). */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): ValueType<number> {
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return valueType('integer', expected, (text, fail) => {
    if (!/^-?\d+(_\d+)*$/.test(text)) return fail(`'${text}' is not an integer`);
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(value) || value < min || value > max) return fail(`${text} is out of range`);
    return ok(value);
  });
}

/** The word `auto` or an integer within [min, max]. */
export function autoOrInteger(min: number, max: number = Number.MAX_SAFE_INTEGER): ValueType<number | 'auto'> {
  const number = integer(min, max);
  const expected = `auto or ${number.expected}`;
  return valueType(`auto | ${number.name}`, expected, (text, fail) => {
    if (text === 'auto') return ok('auto');
    const parsed = number.parse(text);
    return parsed.ok ? parsed : fail(/^-?\d+(_\d+)*$/.test(text) ? `${text} is out of range` : `'${text}' is neither auto nor an integer`);
  });
}

/** A finite decimal number within [min, max] (`minExclusive` makes the lower bound strict). */
export function decimal(min: number, max: number, minExclusive = false): ValueType<number> {
  const expected = `a number ${minExclusive ? '>' : '>='} ${min}${max === Infinity ? '' : ` and <= ${max}`}`;
  return valueType('number', expected, (text, fail) => {
    if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return fail(`'${text}' is not a number`);
    const value = Number(text);
    // 1e309 parses as Infinity: a limit no value can reach is a typo, not a setting.
    if (!Number.isFinite(value)) return fail(`${text} is too large to be a number`);
    if (!(minExclusive ? value > min : value >= min) || value > max) return fail(`${text} is out of range`);
    return ok(value);
  });
}

/** A fraction in (0, max], as a number (0.0005) or a percentage (0.05%). */
export function fraction(max: number): ValueType<number> {
  const expected = `a fraction > 0 and <= ${max}, as a number (0.0005) or a percentage (0.05%)`;
  return valueType('fraction', expected, (text, fail) => {
    const percent = text.endsWith('%');
    const body = percent ? text.slice(0, -1).trim() : text;
    if (!/^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(body)) return fail(`'${text}' is not a fraction`);
    const value = Number(body) / (percent ? 100 : 1);
    if (!(value > 0) || value > max) return fail(`${text} is out of range`);
    return ok(value);
  });
}

const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

/** true/false (also yes/no, on/off). */
export const bool: ValueType<boolean> = valueType('boolean', 'true or false', (text, fail) => {
  const lower = text.toLowerCase();
  if (TRUE_WORDS.has(lower)) return ok(true);
  if (FALSE_WORDS.has(lower)) return ok(false);
  return fail(`'${text}' is not a boolean`);
});

/** One of a fixed set of words (case-sensitive); suggests the nearest. */
export function oneOf<const T extends string>(values: readonly T[]): ValueType<T> {
  const expected = `one of ${values.join(', ')}`;
  return valueType(`one of: ${values.join(' | ')}`, expected, (text, fail) => {
    if ((values as readonly string[]).includes(text)) return ok(text as T);
    const guess = nearest(text, values);
    return fail(`'${text}' is not allowed${guess === null ? '' : ` (did you mean ${guess}?)`}`);
  });
}

/** A non-empty word without whitespace or commas (it ends up inside TSV feature values). */
export const token: ValueType<string> = valueType(
  'word',
  'a non-empty word without spaces, tabs or commas',
  (text, fail) => (/^[^\s,]+$/.test(text) ? ok(text) : fail(`'${text}' is not a single word`)),
);

/** Any non-empty text. */
export const text: ValueType<string> = valueType('text', 'non-empty text', (value, fail) =>
  value === '' ? fail('the value is empty') : ok(value),
);

/** An absolute filesystem path. */
export const absolutePath: ValueType<string> = valueType('path', 'an absolute path', (value, fail) =>
  value.startsWith('/') ? ok(value) : fail(`'${value}' is not an absolute path`),
);

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A comma-separated list whose items `check` takes one by one (given the items accepted before
 * it): a value, or the problem with the item. Every bad item is reported, not only the first; fewer
 * than `minItems` items is "the list is empty".
 */
function listType<T>(
  name: string,
  expected: string,
  check: (item: string, accepted: readonly T[]) => { value: T } | { problem: string },
  minItems = 1,
): ValueType<T[]> {
  return valueType(
    name,
    expected,
    (value, fail) => {
      const items = splitList(value);
      if (items.length < minItems) return fail('the list is empty');
      const problems: string[] = [];
      const accepted: T[] = [];
      for (const item of items) {
        const checked = check(item, accepted);
        if ('problem' in checked) problems.push(checked.problem);
        else accepted.push(checked.value);
      }
      return problems.length > 0 ? { ok: false, problems } : ok(accepted);
    },
    true,
  );
}

/** A comma-separated list of absolute paths or globs; `minItems` 1 makes it required non-empty. */
export function pathList(minItems: number): ValueType<string[]> {
  const expected = `a comma-separated list of absolute paths or globs${minItems > 0 ? ' (at least one)' : ' (may be empty)'}`;
  return listType<string>(
    'list of paths/globs',
    expected,
    (item) => (item.startsWith('/') ? { value: item } : { problem: `'${item}' is not an absolute path, expected ${expected}` }),
    minItems,
  );
}

/** A non-empty, duplicate-free, ordered list of words from `allowed`. */
export function orderedSubset(allowed: readonly string[]): ValueType<string[]> {
  const expected = `a comma-separated list of distinct names from: ${allowed.join(', ')}`;
  return listType<string>('ordered list', expected, (item, accepted) => {
    if (!allowed.includes(item)) {
      const guess = nearest(item, allowed);
      return { problem: `'${item}' is not known${guess === null ? '' : ` (did you mean ${guess}?)`}, expected ${expected}` };
    }
    return accepted.includes(item) ? { problem: `'${item}' is listed twice, expected ${expected}` } : { value: item };
  });
}

/** One IP address or CIDR, returned as canonical CIDR text (bare address → /32 or /128). */
export const cidr: ValueType<string> = valueType(
  'IP or CIDR',
  'an IPv4/IPv6 address or CIDR with zero host bits (10.1.0.0/16, 2001:db8::/32)',
  (value, fail) => {
    const parsed = parseConfigCidr(value);
    return parsed.ok ? ok(parsed.cidr.text) : fail(parsed.reason);
  },
);

/** A comma-separated list of CIDRs (each canonicalised). */
export const cidrList: ValueType<string[]> = listType<string>(
  'list of CIDRs',
  'a comma-separated list of IPv4/IPv6 CIDRs or addresses with zero host bits (10.1.0.0/16, 2001:db8::/32)',
  (item) => {
    const parsed = parseConfigCidr(item);
    return parsed.ok ? { value: parsed.cidr.text } : { problem: `${parsed.reason}, expected ${cidrList.expected}` };
  },
);

/** An IANA time zone name known to this Node's ICU (case normalised: utc → UTC). */
export const timeZone: ValueType<string> = valueType(
  'IANA time zone',
  'an IANA time zone name such as UTC or Europe/Berlin',
  (value, fail) => {
    let resolved: string;
    try {
      resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    } catch (error) {
      if (error instanceof RangeError) return fail(`'${value}' is not a known time zone`);
      throw error;
    }
    // Keep the admin's zone when ICU maps it to a different one (EST → America/Panama); only fix the case.
    return ok(resolved.toLowerCase() === value.toLowerCase() ? resolved : value);
  },
);

/** A node-cron expression (5 fields, or 6 with seconds first). */
export const cronExpression: ValueType<string> = valueType(
  'cron expression',
  'a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, e.g. "17 3 * * *"',
  (value, fail) => {
    const result = validateDetailed(value);
    if (result.valid) return ok(value);
    const why = result.errors.map((error) => error.message).join('; ');
    return fail(`'${value}' is not a valid cron expression (${why})`);
  },
);

/** A time-of-day bin, hours inclusive. */
export interface TimeBinValue {
  fromHour: number;
  toHour: number;
  label: string;
}

/** "0-1:late_night, 2-5:early_morning, …" covering every hour 0..23 exactly once. */
export const timeBins: ValueType<TimeBinValue[]> = valueType(
  'hour bins',
  'comma-separated FROM-TO:label (or H:label) items, hours 0-23 inclusive, covering every hour exactly once',
  (value, fail) => {
    const problems: string[] = [];
    const bins: TimeBinValue[] = [];
    const expected = timeBins.expected;
    for (const item of splitList(value)) {
      const match = /^(\d{1,2})(?:\s*-\s*(\d{1,2}))?\s*:\s*([^\s,:]+)$/.exec(item);
      if (match === null) {
        problems.push(`'${item}' is not a bin, expected ${expected}`);
        continue;
      }
      const fromHour = Number(match[1]);
      const toHour = match[2] === undefined ? fromHour : Number(match[2]);
      if (fromHour > 23 || toHour > 23) {
        problems.push(`'${item}' has an hour above 23, expected ${expected}`);
      } else if (fromHour > toHour) {
        problems.push(`'${item}' runs backwards; split a bin that crosses midnight into two (e.g. 22-23 and 0-1)`);
      } else {
        bins.push({ fromHour, toHour, label: match[3] ?? '' });
      }
    }
    if (problems.length > 0) return { ok: false, problems };
    if (bins.length === 0) return fail('no bins are given');
    const owner = new Array<string[]>(24).fill([]).map(() => [] as string[]);
    for (const bin of bins) {
      for (let hour = bin.fromHour; hour <= bin.toHour; hour++) owner[hour]?.push(`${bin.fromHour}-${bin.toHour}:${bin.label}`);
    }
    const gaps = owner.flatMap((owners, hour) => (owners.length === 0 ? [hour] : []));
    if (gaps.length > 0) problems.push(`hour${gaps.length > 1 ? 's' : ''} ${gaps.join(', ')} ${gaps.length > 1 ? 'are' : 'is'} in no bin, expected ${expected}`);
    owner.forEach((owners, hour) => {
      if (owners.length > 1) problems.push(`hour ${hour} is in ${owners.length} bins (${owners.join(', ')}), expected ${expected}`);
    });
    return problems.length > 0 ? { ok: false, problems } : ok(bins);
  },
  true,
);

/** A listen address: host and port. */
export interface HostPort {
  host: string;
  port: number;
}

/** host:port or [ipv6]:port; warns when the host is not a loopback address. */
export const hostPort: ValueType<HostPort> = valueType(
  'host:port',
  'HOST:PORT or [IPv6]:PORT with a port from 1 to 65535, e.g. 127.0.0.1:9464',
  (value, fail) => {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
    if (match === null) return fail(`'${value}' is not host:port`);
    const host = match[1] ?? match[2] ?? '';
    const port = Number(match[3]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(`port ${match[3]} is out of range`);
    if (match[1] !== undefined && parseAddressBytes(host)?.version !== 6) return fail(`'${host}' in brackets is not an IPv6 address`);
    const address = parseAddressBytes(host);
    // Digits and dots only, yet no IPv4 address (999.0.0.1): binding would fail at start.
    if (address === null && /^[\d.]+$/.test(host)) return fail(`'${host}' is not an IP address`);
    if (address === null && host !== 'localhost' && !/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) {
      return fail(`'${host}' is neither an IP address nor a host name`);
    }
    const loopback = address === null ? host === 'localhost' : isLoopback(address.bytes);
    const warnings = loopback ? [] : [`${value} is not a loopback address; the metrics endpoint has no authentication`];
    return ok({ host, port }, warnings);
  },
);

/**
 * An ISO date (YYYY-MM-DD: the rule lasts through that whole UTC day) or date-time with Z or an
 * offset; returns the epoch ms at which it has expired. A date-time without a zone is refused
 * because the daemon and the admin may not share one.
 */
export const expiry: ValueType<number> = valueType(
  'ISO date or date-time',
  'an ISO date (2026-12-31, meaning the end of that UTC day) or date-time with zone (2026-12-31T18:00:00Z, 2026-12-31T18:00+01:00)',
  (value, fail) => {
    const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (date !== null) {
      const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
      const start = Date.UTC(year, month - 1, day);
      const check = new Date(start);
      if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return fail(`'${value}' is not a real date`);
      return ok(start + 86_400_000);
    }
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
      if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) return fail(`'${value}' has no time zone (add Z or an offset)`);
      return fail(`'${value}' is not an ISO date`);
    }
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? fail(`'${value}' is not a real date-time`) : ok(ms);
  },
);
