/**
 * Regenerates docs/configuration.md and config/zeek-anomalyd.ini from the schema:
 * `npx tsc -p tsconfig.json && node build/src/config/render-docs.js [REPO_ROOT]`.
 * test/config/docs-sync.test.ts fails when the committed files are stale.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The nearest ancestor of `start` that holds a package.json. */
function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`config: no package.json above ${start}; pass the repository root`);
    dir = parent;
  }
  return dir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? findRepoRoot(dirname(fileURLToPath(import.meta.url)));
  for (const path of writeGeneratedFiles(root)) process.stdout.write(`wrote ${path}\n`);
}
