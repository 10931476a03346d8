/**
 * A tiny real filesystem (tmpfs of a few MB) to run out of space on, for the full-disk tests.
 * Needs root (mount); elsewhere `mountSmallFs` returns the reason to skip.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export interface SmallFs {
  /** The mount point. */
  dir: string;
  /** Fills the filesystem with a filler file until a write fails with ENOSPC. */
  fill(): void;
  /** Removes the filler file. */
  free(): void;
}

/** Mounts a tmpfs of `sizeMb` MB, unmounted after the test file; or a reason it cannot be. */
export function mountSmallFs(sizeMb: number): SmallFs | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  const dir = mkdtempSync(join(tmpdir(), 'zeek-anomalyd-smallfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${mounted.stderr.trim() || `exit ${mounted.status}`}`;
  }
  after(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      mkdirSync(dir, { recursive: true });
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x2e);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      // Small writes may still fit in the last partial block: take those bytes too.
      const tail = openSync(filler, 'a');
      try {
        for (;;) writeSync(tail, Buffer.alloc(512, 0x2e));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(tail);
      }
    },
    free() {
      try {
        unlinkSync(filler);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}
