/**
 * The workplace's ../shared folder (real logs, golden outputs) sits beside the checkout on
 * developer machines and in CI, but not in a user's fresh clone. Tests that need it call
 * `sharedPath()` and skip with this reason when it is null.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, whether running from src/ via tsx or from build/test/. */
export const repoRoot = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test helpers: cannot find the repository root');
    dir = parent;
  }
  return dir;
})();

const sharedRoot = resolve(repoRoot, '..', 'shared');

export const SHARED_ABSENT =
  '../shared is absent (a fresh clone has no workplace data); this test needs it';

/** Absolute path inside ../shared, or null when that file or folder is not there. */
export function sharedPath(...parts: string[]): string | null {
  const path = join(sharedRoot, ...parts);
  return existsSync(path) ? path : null;
}
