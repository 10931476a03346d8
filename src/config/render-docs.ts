/**
 * Regenerates docs/configuration.md and config/zeek-anomalyd.ini from the schema:
 * `npx tsc -p tsconfig.json && node build/src/config/render-docs.js [REPO_ROOT]`.
 * test/config/docs-sync.test.ts fails when the committed files are stale.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeWhenRunAsScript } from '../generated-files.js';
import { renderConfigurationMarkdown, renderExampleIni } from './render.js';

/** Repo-relative paths of the generated files. */
export const GENERATED_FILES = {
  markdown: 'docs/configuration.md',
  exampleIni: 'config/zeek-anomalyd.ini',
} as const;

/** Writes both generated files under `repoRoot`; returns the paths written. */
export function writeGeneratedFiles(repoRoot: string): string[] {
  const markdown = resolve(repoRoot, GENERATED_FILES.markdown);
  const exampleIni = resolve(repoRoot, GENERATED_FILES.exampleIni);
  writeFileSync(markdown, renderConfigurationMarkdown());
  writeFileSync(exampleIni, renderExampleIni());
  return [markdown, exampleIni];
}

writeWhenRunAsScript(import.meta.url, 'config', writeGeneratedFiles);
