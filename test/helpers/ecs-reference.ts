/**
 * Elastic's own ECS field definitions (`@elastic/ecs`, a pinned dev dependency) and the checks
 * every ECS-named output is held to. Loaded with require: the package is CommonJS and its typed
 * flat table (~870 KB of .d.ts) would slow every typecheck for no benefit.
 */
import { createRequire } from 'node:module';

/** One field of ECS's flat definition table (the parts we check). */
export interface EcsFieldDefinition {
  type: string;
  level: string;
  normalize?: string[];
  allowed_values?: { name: string }[];
}

const require = createRequire(import.meta.url);
const ecs = require('@elastic/ecs') as { EcsFlat: Record<string, EcsFieldDefinition>; EcsVersion: string };

/** ECS's fields by flat name (`source.ip`). */
export const ECS_FLAT: Readonly<Record<string, EcsFieldDefinition>> = ecs.EcsFlat;

/** The ECS release of the installed `@elastic/ecs`. */
export const ECS_REFERENCE_VERSION: string = ecs.EcsVersion;

// Elasticsearch types an ECS type accepts a value of ours as, by family.
const FAMILIES: readonly (readonly string[])[] = [
  ['keyword', 'constant_keyword', 'wildcard'],
  ['match_only_text', 'text'],
  ['long', 'integer', 'short', 'byte', 'unsigned_long'],
  ['double', 'float', 'half_float', 'scaled_float'],
  ['date', 'date_nanos'],
  ['ip'],
  ['boolean'],
  ['flattened'],
  ['object'],
];

/** Whether a value mapped as `ours` fits a field ECS types as `theirs` (same type family). */
export function compatibleTypes(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  return FAMILIES.some((family) => family.includes(ours) && family.includes(theirs));
}

/** One field an output writes: its name, the Elasticsearch type it needs, and a constant value. */
export interface WrittenField {
  name: string;
  type: string;
  value?: string;
}

/**
 * Every way `fields` break ECS: a name that is neither an ECS field nor under one of
 * `ownNamespaces`, an ECS field with an incompatible type, a constant outside ECS's allowed
 * values, or a field of ours placed inside an ECS field set (`source.ipaddr`).
 */
export function ecsProblems(fields: readonly WrittenField[], ownNamespaces: readonly string[]): string[] {
  const problems: string[] = [];
  const fieldSets = new Set(Object.keys(ECS_FLAT).filter((name) => name.includes('.')).map((name) => name.slice(0, name.indexOf('.'))));
  for (const field of fields) {
    const definition = ECS_FLAT[field.name];
    if (definition === undefined) {
      if (ownNamespaces.some((prefix) => field.name.startsWith(prefix))) {
        const top = field.name.slice(0, field.name.indexOf('.'));
        if (fieldSets.has(top)) problems.push(`${field.name}: our namespace ${top}.* is an ECS field set`);
        continue;
      }
      problems.push(`${field.name}: not an ECS ${ECS_REFERENCE_VERSION} field and not under ${ownNamespaces.join(', ')}`);
      continue;
    }
    if (!compatibleTypes(field.type, definition.type)) problems.push(`${field.name}: we write ${field.type}, ECS says ${definition.type}`);
    const allowed = definition.allowed_values?.map((v) => v.name);
    if (field.value !== undefined && allowed !== undefined && !allowed.includes(field.value)) {
      problems.push(`${field.name}: "${field.value}" is not one of ECS's ${allowed.join(', ')}`);
    }
  }
  return problems;
}
