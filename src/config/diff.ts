/** What changed between two configs: what a SIGHUP reload applies, defers and logs. */
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

/** One difference between two configs, in INI terms. `key` is null for a whole section. */
export interface ConfigChange {
  section: string;
  key: string | null;
  kind: 'added' | 'removed' | 'changed';
  /** The old and new text values of a key (null where it was or is absent, or for a section). */
  before: string | null;
  after: string | null;
}

/**
 * What differs between two configs, section by section: changed, added and removed keys, and
 * added or removed sections (`[ip_groups]` entries, `[allow.*]` rules). Values spelled
 * differently with the same meaning ("60s" and "1m") are not changes. Empty when nothing that
 * matters changed.
 */
export function diffConfig(before: Config, after: Config): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const sections = [...new Set([...Object.keys(before.effective), ...Object.keys(after.effective)])];
  for (const section of sections) {
    const old = before.effective[section];
    const now = after.effective[section];
    if (old === undefined || now === undefined) {
      changes.push({ section, key: null, kind: old === undefined ? 'added' : 'removed', before: null, after: null });
      continue;
    }
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])];
    for (const key of keys) {
      const a = old[key];
      const b = now[key];
      if (a === undefined && b !== undefined) changes.push({ section, key, kind: 'added', before: null, after: b });
      else if (a !== undefined && b === undefined) changes.push({ section, key, kind: 'removed', before: a, after: null });
      else if (a !== undefined && b !== undefined && !sameValue(section, key, a, b)) changes.push({ section, key, kind: 'changed', before: a, after: b });
    }
  }
  return changes;
}

/** A change as the reload log line says it: `input.poll_interval: 1s -> 500ms`, `allow.x: removed`. */
export function formatConfigChange(change: ConfigChange): string {
  const name = change.key === null ? change.section : `${change.section}.${change.key}`;
  if (change.kind === 'changed') return `${name}: ${change.before} -> ${change.after}`;
  if (change.key === null) return `${name}: ${change.kind}`;
  return change.kind === 'added' ? `${name}: added (${change.after})` : `${name}: removed (was ${change.before})`;
}
