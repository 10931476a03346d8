/**
 * Following logs across rotation: the LogFollower (rotation, truncation, resume from
 * checkpoints), the batches it hands over, and the glob expansion of configured paths, which the
 * archive hunt shares. `decide.ts` and `fingerprint.ts` are its pure kernels, not part of this
 * surface. Other stages import from here only.
 */
export { LogFollower } from './log-follower.js';
export type {
  BatchHandler,
  CatchUpProgress,
  FileLag,
  FollowerEventMap,
  GapEvent,
  GapSuspectedEvent,
  LogFollowerOptions,
  OverlongEvent,
  RotationEvent,
  RotationReason,
  TruncationEvent,
} from './log-follower.js';
export type { FileCheckpoint, FileIdentity, LineBatch, TailedLine } from './types.js';
export { expandPattern, expandPatterns, hasGlobSyntax } from './glob.js';
