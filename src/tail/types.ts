/**
 * Contracts between the follower and its consumers (the decoder, the daemon, the checkpoint
 * store). Device and inode numbers are decimal strings: 64-bit inode numbers (xfs, btrfs) do not
 * fit a double, and strings survive JSON unchanged.
 */

/** Which file a batch came from: the followed path plus the identity of the file read there. */
export interface FileIdentity {
  /** The followed path (after glob expansion), or the rotated sibling being finished. */
  path: string;
  dev: string;
  ino: string;
  /** Hash of the first data line past the `#` header; '' until that line is complete. */
  fingerprint: string;
}

/** Where reading of one followed path stands, persisted so a restart resumes exactly there. */
export interface FileCheckpoint extends FileIdentity {
  /** Byte offset just past the last line handled. */
  offset: number;
  /** 1-based number of the next line at `offset`. */
  line: number;
  /** Zeek's `#open` stamp of the file, kept so a restart can order files even if this one is gone. */
  openStamp?: string | null;
  /** ts of the file's first record, for the same purpose. */
  firstTs?: number | null;
  /** Digest of the file's first 4 KiB (headDigestOf), once it has them: tells apart files that start alike. */
  headDigest?: string;
  /** The file was rotated away and read to its end; nothing more will come from it. */
  finished?: boolean;
}

/** One complete line of a followed file. `bytes` excludes the newline. */
export interface TailedLine {
  bytes: Buffer;
  /** 1-based line number within the file. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline. */
  end: number;
}

/** A bounded run of lines from one file, handed to the consumer before anything more is read. */
export interface LineBatch {
  file: FileIdentity;
  lines: TailedLine[];
  /**
   * True when these are the file's leading `#` header lines, re-delivered because reading resumes
   * past them (a restart): the decoder needs the schema but must not count them again.
   */
  headerReplay: boolean;
  /**
   * True on the first batch of a new reading of a file (a new file, a truncated file read again
   * from 0, or a resume): a decoder drops the schema it had and expects a header.
   */
  fileStart: boolean;
  /** Over-long lines skipped in this batch. */
  overlong: number;
  /** Offset just past the last line (or skipped over-long line) in this batch. */
  endOffset: number;
  /**
   * Where its followed path resumes once this batch is handled (`path` is the followed path,
   * which differs from `file.path` while a rotated sibling is finished).
   */
  resumeAt: FileCheckpoint;
}
