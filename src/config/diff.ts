/** What changed between two configs, for the SIGHUP reload log line. */
import { isDeepStrictEqual } from 'node:util';
import { ALLOW_SECTION, FIXED_SECTIONS, IP_GROUPS_SECTION } from './schema.js';
import type { Config } from './types.js';
import type { ValueType } from './values.js';

function typeOf(section: string, key: string): ValueType<unknown> | null {
  if (Object.hasOwn(FIXED_SECTIONS, section)) {
    const keys = FIXED_SECTIONS[section as keyof typeof FIXED_SECTIONS].keys as Record<string, { type: ValueType<unknown> }>;
    return keys[key]?.type ?? null;
  }
  if (section === IP_GROUPS_SECTION.name) return IP_GROUPS_SECTION.value;
  if (section.startsWith(ALLOW_SECTION.prefix)) {
    return (ALLOW_SECTION.keys as Record<string, { type: ValueType<unknown> }>)[key]?.type ?? null;
  }
  return null;
}

/** Same meaning, even if spelled differently ("60s" and "1m"). */
function sameValue(section: string, key: string, a: string, b: string): boolean {
  if (a === b) return true;
  const type = typeOf(section, key);
  if (type === null) return false;
  const left = type.parse(a);
  const right = type.parse(b);
  return left.ok && right.ok && isDeepStrictEqual(left.value, right.value);
}

/**
 * Human-readable list of what differs between two configs, in INI terms, e.g.
 * `input.poll_interval: 1s -> 500ms`, `ip_groups.finance: added`, `allow.backup-scan: removed`.
 * Empty when nothing that matters changed.
 */
export function diffConfig(before: Config, after: Config): string[] {
  const changes: string[] = [];
  const sections = [...new Set([...Object.keys(before.effective), ...Object.keys(after.effective)])];
  for (const section of sections) {
    const old = before.effective[section];
    const now = after.effective[section];
    if (old === undefined || now === undefined) {
      changes.push(`${section}: ${old === undefined ? 'added' : 'removed'}`);
      continue;
    }
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
    for (const key of keys) {
      const a = old[key];
      const b = now[key];
      if (a === undefined && b !== undefined) changes.push(`${section}.${key}: added (${b})`);
      else if (a !== undefined && b === undefined) changes.push(`${section}.${key}: removed (was ${a})`);
      else if (a !== undefined && b !== undefined && !sameValue(section, key, a, b)) changes.push(`${section}.${key}: ${a} -> ${b}`);
    }
  }
  return changes;
}
