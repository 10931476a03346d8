/**
 * Following logs across rotation: the LogFollower (rotation, truncation, resume from
 * checkpoints), the batches it hands over, and the glob expansion of configured paths, which the
 * archive hunt shares. `decide.ts` and `fingerprint.ts` are its pure kernels, not part of this
 * surface. Other stages import from here only.
 */
export { LogFollower, type LogFollowerOptions } from './log-follower.js';
export type {
  BatchHandler,
  CatchUpProgress,
  FileLag,
  FollowerEventMap,
  GapEvent,
  GapSuspectedEvent,
  OverlongEvent,
  ReadRecoveredEvent,
  RotationEvent,
  RotationReason,
  TruncationEvent,
} from './events.js';
export type { FileCheckpoint, FileIdentity, LineBatch, TailedLine } from './types.js';
export { expandPattern, expandPatterns, hasGlobSyntax } from './glob.js';
