/**
 * Small file-system helpers for the mlruns backend. Everything the backend creates is private to
 * the user (0700 directories, 0600 files): runs hold experiment data.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function isErrorCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes((error as { code?: string }).code ?? '');
}

export async function mkdirPrivate(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export async function writePrivateFile(path: string, data: string): Promise<void> {
  await mkdirPrivate(dirname(path));
  await writeFile(path, data, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
}

/** A name no other writer picks: for temp files and dirs beside their final place. */
export function tempName(base: string): string {
  return `.${base}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Replace `path` with `data` so that a reader sees the old or the new content, never a part
 * (write a temp file beside it, then rename over it) - like MLflow's `overwrite_yaml`.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = join(dirname(path), tempName('write'));
  await writePrivateFile(temp, data);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/**
 * The same, read synchronously: for the small files of one trace (a few KB each) a blocking read
 * costs a few system calls, where the promise API pays a thread-pool round trip for each of open,
 * fstat, read and close; profiles of trace copies spent more time there than in the reads.
 */
export function readSmallTextIfExistsSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  }
}

/** Names of the sub-directories of `dir`, sorted; none when `dir` is missing. Symlinks are not followed. */
export async function listSubdirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
}

export interface WalkedFile {
  /** POSIX path relative to the walked root. */
  path: string;
  fullPath: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every regular file below `root`, depth first in name order. Symlinks are never followed, so a
 * hostile store cannot lead a walk outside its root; they are handed to `onSymlink` instead.
 */
export async function* walkFiles(
  root: string,
  onSymlink?: (path: string) => void,
  prefix = '',
): AsyncGenerator<WalkedFile> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const fullPath = join(root, entry.name);
    if (entry.isSymbolicLink()) onSymlink?.(path);
    else if (entry.isDirectory()) yield* walkFiles(fullPath, onSymlink, path);
    else if (entry.isFile()) {
      const stat = await lstat(fullPath);
      yield { path, fullPath, size: stat.size, mtimeMs: stat.mtimeMs };
    }
  }
}
