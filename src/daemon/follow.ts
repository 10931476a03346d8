/**
 * The daemon's LogFollower: built from `[input]` and the saved checkpoints, its routine events
 * logged here (rotation, truncation, new files, over-long lines, retried read errors, catch-up),
 * the ones the daemon acts on (a gap, catch-up progress, a fatal error) handed to it.
 */
import type { Config } from '../config/index.js';
import type { DaemonError } from '../errors.js';
import { LogFollower, type GapEvent } from '../tail/index.js';
import type { Logger } from '../log.js';
import type { Progress } from './progress.js';

export interface FollowHandlers {
  /** A file was lost before it could be read (already logged). */
  gap: (gap: GapEvent) => void;
  /** Catch-up progress changed (already logged). */
  catchUp: () => void;
  /** The follower has stopped for good. */
  fatal: (error: DaemonError) => void;
}

/**
 * A follower of the configured paths from the checkpoints in `progress` (not started yet);
 * `installedAt` (progress.installedAt) bounds which rotated, never-read files are ours.
 */
export function followInputs(config: Config, progress: Progress, installedAt: string, log: Logger, on: FollowHandlers): LogFollower {
  const follower = new LogFollower({
    patterns: config.input.paths,
    archives: config.input.archives,
    newInstallSinceMs: Date.parse(installedAt),
    pollIntervalMs: config.input.pollIntervalMs,
    maxLineBytes: config.input.maxLineBytes,
    checkpoints: progress.files,
    checkpointsSavedAtMs: progress.savedAt === '' ? null : Date.parse(progress.savedAt),
    wakeWithChokidar: true,
  });
  follower.on('rotated', (event) => log.info('input rotated', { path: event.path, reason: event.reason }));
  follower.on('truncated', (event) => log.warn('input truncated, reading it again from the start', { path: event.path, reason: event.reason }));
  follower.on('file-added', (file) => log.info('following', { path: file.path }));
  follower.on('gap', (gap) => {
    // Never silently: what was lost, where, from which byte and line.
    const why =
      gap.reason === 'unreadable'
        ? `input lost: the rest of a rotated file cannot be read (${gap.detail ?? 'unreadable'}); reading goes on with the files after it`
        : 'input lost: the file being read was deleted before its rest could be read (not beside the path nor in [input] archives)';
    log.warn(why, {
      path: gap.path,
      file: gap.file.path,
      dev: gap.file.dev,
      ino: gap.file.ino,
      fingerprint: gap.file.fingerprint,
      lost_from_byte: gap.fromOffset,
      lost_from_line: gap.fromLine,
      lost_to_byte: 'end of file (unknown)',
    });
    on.gap(gap);
  });
  follower.on('gap-suspected', (event) => {
    if (event.looks === 1) log.info('the file being read is not where rotated files go; looking again before counting its rest as lost', { path: event.path, fingerprint: event.file.fingerprint, from_byte: event.fromOffset });
  });
  follower.on('catch-up', (state) => {
    if (state.filesLeft > 0) log.info('catching up', { path: state.path, files_left: state.filesLeft, bytes_left: state.bytesLeft, reading: state.current ?? '' });
    on.catchUp();
  });
  follower.on('overlong', (event) => log.warn('over-long line skipped', { path: event.path, line: event.line, bytes: event.lengthBytes }));
  follower.on('tail-error', (error) => log.warn(error.message));
  follower.on('read-recovered', (event) => log.info('input readable again', { path: event.path, errno: event.code, failed_tries: event.failures }));
  follower.on('fatal', on.fatal);
  return follower;
}
