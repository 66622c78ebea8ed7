/**
 * The one small interface every object store (S3 and S3-compatible, Azure Blob) offers the
 * backends: listing in pages, streamed reads, streamed writes (multipart for large files, a
 * broken part retried on its own) that hash what they send. Paths are relative to the store
 * location the store was opened at (an artifact URI), POSIX-style, never starting with '/'.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Relative to the location, '/'-separated. */
  path: string;
  size: number;
}

export interface WriteResult {
  bytes: number;
  /** Hex sha256 of the bytes sent, computed while streaming. */
  sha256: string;
}

export interface ObjectStore {
  /** The location as the user wrote it (never holds a credential: keys come from the environment). */
  readonly uri: string;
  /**
   * Every object below `dir` (recursively), one page per yield. Directory markers (keys ending in
   * '/', what consoles create for an empty folder) are not files and are left out.
   */
  list(dir?: string): AsyncIterable<StoredObject[]>;
  /** Size of one object, or undefined when it does not exist. */
  stat(path: string): Promise<number | undefined>;
  read(path: string): Promise<Readable>;
  write(path: string, data: Readable, size: number): Promise<WriteResult>;
  remove(path: string): Promise<void>;
  /**
   * Proves the location can be written: a small probe object is written and removed. Throws a
   * clear error (no credential in it) when the store refuses or cannot be reached.
   */
  checkWritable(): Promise<void>;
}

/** Object stores throw this with a message fit for a report (no credentials, no signed URLs). */
export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';

  constructor(
    message: string,
    /** Why the store could not be used at all (the server may still read it: read-fallback.ts); undefined for other failures. */
    readonly refusal?: 'credentials' | 'unreachable',
  ) {
    super(message);
  }
}
