/**
 * The entry point the generator scripts (config/render-docs.ts, sink/render-assets.ts) share:
 * run as `node build/src/<stage>/<script>.js [REPO_ROOT]`, they write the files derived from the
 * code and list them; imported (by the tests that check the committed files), they do nothing.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Calls `write(repoRoot)` and prints each path it returns, but only when the module at
 * `moduleUrl` is the script node was started with. REPO_ROOT is the first argument, else the
 * nearest ancestor of the script that holds a package.json.
 */
export function writeWhenRunAsScript(moduleUrl: string, component: string, write: (repoRoot: string) => string[]): void {
  const script = process.argv[1];
  if (script === undefined || resolve(script) !== fileURLToPath(moduleUrl)) return;
  const root = process.argv[2] ?? findRepoRoot(dirname(fileURLToPath(moduleUrl)), component);
  for (const path of write(root)) process.stdout.write(`wrote ${path}\n`);
}

function findRepoRoot(start: string, component: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${component}: no package.json above ${start}; pass the repository root`);
    dir = parent;
  }
  return dir;
}
