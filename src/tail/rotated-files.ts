/**
 * The look at the places a followed log's rotated files go: the files beside it (Zeek's
 * `dce_rpc.<date>.log`, the supervisor's `dce_rpc__<from>__<to>__.log`, logrotate's `.1` and
 * `.2.gz`) and the `[input] archives` globs, each described (identity, fingerprint, order key)
 * for planCatchUp. Descriptions are cached while a file's inode, size and mtime stay the same,
 * so a look over a year of archives inflates each head once.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { CatchUpCandidate, LiveFile } from './catch-up.js';
import { expandPattern } from './glob.js';
import { openLog, type LogFileInfo, type OpenedLog } from './log-file.js';
import { closeQuietly } from './open-file.js';

/** What one look found. */
export interface RotatedFilesLook {
  candidates: CatchUpCandidate[];
  /**
   * False when a name listed was gone (or held another file) by the time it was looked at:
   * files moved during the look, and what one held may be under a name not listed.
   */
  settled: boolean;
}

/** File names with their numbers compared as numbers: `dce_rpc.log.2.gz` before `.10.gz`. */
const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

export class RotatedFiles {
  readonly #archives: readonly string[];
  readonly #described = new Map<string, { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; info: LogFileInfo }>();

  /** `archives`: globs searched after the followed file's own directory, in this order. */
  constructor(archives: readonly string[]) {
    this.#archives = archives;
  }

  /**
   * Rotated and archived files that may belong to the log at `followedPath`, described; never
   * the live file, nor a path `isFollowed` (another followed log). Names are looked at in
   * natural order (`.2.gz` before `.10.gz`), so logrotate's shift (highest first) can hide from
   * one look at most the oldest file, never one in the middle.
   */
  async look(followedPath: string, live: LiveFile | null, isFollowed: (path: string) => boolean): Promise<RotatedFilesLook> {
    const dir = dirname(followedPath);
    const base = basename(followedPath);
    const stem = base.slice(0, base.length - extname(base).length);
    const found: { path: string; origin: CatchUpCandidate['origin'] }[] = [];
    const seen = new Set<string>();
    let names: string[] = [];
    try {
      names = (await readdir(dir)).sort(naturalOrder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    for (const name of names) {
      // Never the live file, a dotfile (.shadow.*) or a temp file.
      if (!(name.startsWith(`${stem}.`) || name.startsWith(`${stem}__`)) || name === base) continue;
      if (name.startsWith('.') || name.endsWith('.tmp')) continue;
      const path = join(dir, name);
      if (isFollowed(path)) continue;
      seen.add(path);
      found.push({ path, origin: 'beside' });
    }
    for (const pattern of this.#archives) {
      for (const path of (await expandPattern(pattern)).sort(naturalOrder)) {
        if (seen.has(path) || path === followedPath || path.endsWith('.tmp') || isFollowed(path)) continue;
        seen.add(path);
        found.push({ path, origin: 'archive' });
      }
    }
    const candidates: CatchUpCandidate[] = [];
    let settled = true;
    for (const { path, origin } of found) {
      const info = await this.#describe(path);
      if (info === 'moved') settled = false;
      if (info === null || info === 'moved') continue;
      if (live !== null && info.dev === live.dev && info.ino === live.ino) continue;
      candidates.push({ ...info, origin });
    }
    for (const path of this.#described.keys()) if (!seen.has(path)) this.#described.delete(path);
    return { candidates, settled };
  }

  /**
   * A listed file's description. null: not a log to read (yet); 'moved': gone, or replaced by
   * another file, since it was listed.
   */
  async #describe(path: string): Promise<LogFileInfo | null | 'moved'> {
    let info;
    try {
      info = await stat(path, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'moved';
      throw error;
    }
    if (!info.isFile()) return null;
    const cached = this.#described.get(path);
    if (cached !== undefined && cached.dev === info.dev && cached.ino === info.ino && cached.size === info.size && cached.mtimeNs === info.mtimeNs) {
      return cached.info;
    }
    let opened: OpenedLog | null;
    try {
      opened = await openLog(path);
    } catch (error) {
      // An archive still being written (archive-log's `gzip > file`): its plain copy is still
      // beside the path; look at it again next time.
      if (String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) return null;
      throw error;
    }
    if (opened === null) return 'moved';
    await closeQuietly(opened);
    // Renamed over between the stat and the open: the description is of another file.
    if (opened.info.dev !== String(info.dev) || opened.info.ino !== String(info.ino)) return 'moved';
    this.#described.set(path, { dev: info.dev, ino: info.ino, size: info.size, mtimeNs: info.mtimeNs, info: opened.info });
    return opened.info;
  }
}
