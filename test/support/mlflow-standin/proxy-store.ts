/**
 * Where the artifact proxy (`--artifacts-destination`) keeps files: a local folder
 * (ArtifactStorage, artifacts.ts) or an S3 bucket (S3ProxyStorage, s3-proxy-storage.ts, golden
 * server s3-proxied). Paths are relative to the destination, '/'-separated, already checked by
 * validatePathIsSafe.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Entry } from './artifacts.js';
import type { MlflowError } from './errors.js';

export interface ProxyStore {
  /** The destination as the server names it in error messages (a folder, or s3://bucket/prefix). */
  readonly root: string;
  /** A file (with its size), a directory, or nothing. */
  kind(rel: string): Promise<{ isDir: boolean; size: number } | undefined>;
  /** One level below `rel`, sorted by name; undefined (or empty) when there is nothing below it. */
  list(rel: string): Promise<Entry[] | undefined>;
  /** Streams the request body into `rel`. */
  upload(rel: string, req: IncomingMessage): Promise<void>;
  /** Removes `rel` and everything below it. */
  remove(rel: string): Promise<void>;
  /** The streamed file of a download reply. */
  file(rel: string, size: number): { path: string; size: number; open?: () => Readable };
  /** The error a download of a missing `rel` raises; `shown` is the path the request named. */
  missing(rel: string, shown: string): MlflowError;
  readText(rel: string): Promise<string>;
}
