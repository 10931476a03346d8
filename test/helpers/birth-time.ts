/**
 * Finding files that were created and rotated away between two polls needs file birth times
 * (statx btime), which some filesystems do not record (ext4 with 128-byte inodes, some network
 * and overlay filesystems). Tests of that behaviour skip with this reason where the temp dir lacks
 * them, instead of failing for a reason that is not the code's.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A skip reason when files under the OS temp dir have no birth time, else false. */
export const BIRTH_TIMES_ABSENT: string | false = ((): string | false => {
  const dir = mkdtempSync(join(tmpdir(), 'zeek-anomalyd-btime-'));
  try {
    const file = join(dir, 'probe');
    writeFileSync(file, '');
    if (statSync(file, { bigint: true }).birthtimeNs > 0n) return false;
    return `the filesystem of ${tmpdir()} records no file birth times (statx btime), which finding files rotated away unseen needs`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
