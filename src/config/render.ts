/**
 * Text generated from the schema: the reference page docs/configuration.md, the commented
 * config/zeek-anomalyd.ini, and the effective config as INI (check-config --print). Pure.
 */
import { safe } from 'ini';
import { ALLOW_SECTION, FIXED_SECTIONS, IP_GROUPS_SECTION, type KeySpec } from './schema.js';
import type { Config } from './types.js';

/** Section order of the docs and the shipped file. */
const ORDER = ['input', 'features', 'ip_groups', 'training', 'model', 'scoring', 'allow', 'output', 'logging', 'metrics'] as const;

type FixedSection = Exclude<(typeof ORDER)[number], 'ip_groups' | 'allow'>;

/** How one generated text renders each kind of section. */
interface SectionRenderer {
  ipGroups(): string[];
  allow(): string[];
  fixed(section: FixedSection, spec: { doc: string; keys: Record<string, KeySpec<unknown>> }): string[];
}

/** The intro, then every section in ORDER as `renderer` renders it, ending in one newline. */
function renderSections(intro: readonly string[], renderer: SectionRenderer): string {
  const out = [...intro];
  for (const section of ORDER) {
    if (section === 'ip_groups') out.push(...renderer.ipGroups());
    else if (section === 'allow') out.push(...renderer.allow());
    else out.push(...renderer.fixed(section, FIXED_SECTIONS[section]));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}

function wrap(text: string, width: number, prefix: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && prefix.length + current.length + 1 + word.length > width) {
      lines.push(prefix + current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(prefix + current);
  return lines;
}

function defaultDescription(spec: KeySpec<unknown>): string {
  switch (spec.default.kind) {
    case 'text':
      return spec.default.text === '' ? '(empty)' : spec.default.text;
    case 'env':
      return `$${spec.default.variable}, else ${spec.default.fallback}`;
    case 'unset':
      return '(unset)';
    case 'required':
      return '(required)';
  }
}

function markdownKey(section: string, key: string, spec: KeySpec<unknown>): string[] {
  const lines = [`### \`${section}.${key}\``, '', spec.doc, ''];
  lines.push(`- **Type:** ${spec.type.name}: ${spec.type.expected}`);
  const fallback = spec.default.kind === 'text' && spec.default.text !== '' ? `\`${spec.default.text}\`` : defaultDescription(spec);
  lines.push(`- **Default:** ${spec.default.kind === 'env' ? `\`$${spec.default.variable}\`, else \`${spec.default.fallback}\`` : fallback}`);
  lines.push(`- **Units:** ${spec.units ?? '-'}`);
  lines.push(`- **Example:** \`${key} = ${spec.example}\``, '');
  return lines;
}

const MARKDOWN_INTRO: readonly string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `node build/src/config/render-docs.js`. Do not edit by hand: a test fails when this page and the schema disagree. -->',
    '',
    'zeek-anomalyd reads one INI file, by default `/etc/zeek-anomalyd/zeek-anomalyd.ini` (`-c FILE` to choose another).',
    'Every key is optional unless marked required; a commented copy with every key is shipped as `config/zeek-anomalyd.ini`.',
    'Check a file with `zeek-anomalyd check-config -c FILE`: it lists every problem with its line number and exits 78 when',
    'there are errors, 0 when the file is good (`--print` shows the effective settings, defaults included).',
    'A running daemon re-reads the file on SIGHUP and keeps its old settings if the new file is invalid.',
    '',
    '## Syntax',
    '',
    '- `[section]` headers start at the beginning of the line; `key = value` lines follow. Comments start with `;` or `#`,',
    '  also after an unquoted value. Quote a value with `"…"` to keep `;` or `#` in it; a quoted value cannot be followed',
    '  by a comment (the quotes would then be kept as part of the value).',
    '- Each key appears once per section (a duplicate is an error). Unknown sections and keys are errors, with the nearest',
    '  known name suggested.',
    '- Lists are comma-separated (`a, b, c`); `key[] = item` lines are accepted for list keys too.',
    '- Durations: a whole number and a unit, `ms`, `s`, `m`, `h` or `d` (`90s`, `15m`, `6h`, `14d`, also sums like `1h30m`).',
    '- Byte sizes: `B`, `KiB`, `MiB`, `GiB` (powers of 1024) or `kB`, `MB`, `GB` (powers of 1000); a bare number is bytes.',
    '- Booleans: `true`/`false` (also `yes`/`no`, `on`/`off`).',
    '- CIDRs: IPv4 or IPv6, host bits zero (`10.1.0.0/16`, `2001:db8::/32`); a bare address is a /32 or /128.',
    '  A CIDR with host bits set (`10.1.2.3/16`) is an error that names the network probably meant, because silently',
    '  masking it would hide a typo in the department map.',
    '- Time zones: IANA names (`UTC`, `Europe/Berlin`).',
    '',
    '## Environment',
    '',
    'Under systemd, `StateDirectory=` and `LogsDirectory=` set `$STATE_DIRECTORY` and `$LOGS_DIRECTORY`. When',
    '`input.state_directory` or `output.directory` is not set in the file, the first path in those variables is used,',
    'else `/var/lib/zeek-anomalyd` and `/var/log/zeek-anomalyd`.',
    '',
];

/** docs/configuration.md: every section and key with meaning, type, default, units and example. */
export function renderConfigurationMarkdown(): string {
  return renderSections(MARKDOWN_INTRO, {
    ipGroups: () => [
      `## \`[${IP_GROUPS_SECTION.name}]\``, '', IP_GROUPS_SECTION.doc, '',
      `- **Keys:** group names (${IP_GROUPS_SECTION.groupName.expected})`,
      `- **Values:** ${IP_GROUPS_SECTION.value.name}: ${IP_GROUPS_SECTION.value.expected}`,
      '- **Default:** no groups (every address gets `features.ip_group_fallback`)', '', '```ini', `[${IP_GROUPS_SECTION.name}]`,
      ...IP_GROUPS_SECTION.example.map(([name, value]) => `${name} = ${value}`),
      '```', '',
    ],
    allow: () => [
      '## `[allow.NAME]`', '', ALLOW_SECTION.doc, '',
      ...Object.entries(ALLOW_SECTION.keys).flatMap(([key, spec]) => markdownKey('allow.NAME', key, spec)),
      'Example:', '', '```ini', `[allow.${ALLOW_SECTION.example.name}]`,
      ...ALLOW_SECTION.example.entries.map(([key, value]) => `${key} = ${value}`),
      '```', '',
    ],
    fixed: (section, spec) => [
      `## \`[${section}]\``, '', spec.doc, '',
      ...Object.entries(spec.keys).flatMap(([key, keySpec]) => markdownKey(section, key, keySpec)),
    ],
  });
}

function iniKey(key: string, spec: KeySpec<unknown>): string[] {
  const lines = wrap(spec.doc, 100, '; ');
  lines.push(...wrap(`Type: ${spec.type.name}${spec.units === null ? '' : `; units: ${spec.units}`}; default: ${defaultDescription(spec)}.`, 100, '; '));
  const shown = spec.default.kind === 'text' ? spec.default.text : spec.default.kind === 'env' ? spec.default.fallback : spec.example;
  lines.push(`;${key} = ${shown}`.trimEnd(), '');
  return lines;
}

const INI_INTRO: readonly string[] = [
    '; zeek-anomalyd configuration. Generated from src/config/schema.ts; the full reference is',
    '; docs/configuration.md. Every key is commented out at its default: uncomment to change it.',
    '; Check a file with: zeek-anomalyd check-config -c /etc/zeek-anomalyd/zeek-anomalyd.ini',
    '',
];

/**
 * The shipped config/zeek-anomalyd.ini: every key, documented and commented out at its default
 * (optional keys at their example), so the file loads clean as shipped and an admin uncomments
 * what to change.
 */
export function renderExampleIni(): string {
  return renderSections(INI_INTRO, {
    ipGroups: () => [
      `[${IP_GROUPS_SECTION.name}]`, ...wrap(IP_GROUPS_SECTION.doc, 100, '; '),
      ...IP_GROUPS_SECTION.example.map(([name, value]) => `;${name} = ${value}`), '',
    ],
    allow: () => [
      ...wrap(ALLOW_SECTION.doc, 100, '; '),
      ...wrap(`Keys: ${Object.keys(ALLOW_SECTION.keys).join(', ')} (see docs/configuration.md).`, 100, '; '),
      `;[allow.${ALLOW_SECTION.example.name}]`, ...ALLOW_SECTION.example.entries.map(([key, value]) => `;${key} = ${value}`), '',
    ],
    fixed: (section, spec) => [
      `[${section}]`, ...wrap(spec.doc, 100, '; '), '',
      ...Object.entries(spec.keys).flatMap(([key, keySpec]) => iniKey(key, keySpec)),
    ],
  });
}

/** The effective settings (defaults filled in) as INI text that loads back to the same config. */
export function renderEffectiveIni(config: Config): string {
  const out: string[] = [`; effective configuration of ${config.sourceFile ?? 'the built-in defaults'}`];
  for (const [section, entries] of Object.entries(config.effective)) {
    out.push('', `[${section}]`);
    for (const [key, value] of Object.entries(entries)) out.push(`${key} = ${safe(value)}`.trimEnd());
  }
  return out.join('\n') + '\n';
}
