/**
 * `params/`, `tags/` and experiment `tags/` folders: one file per key holding the value as UTF-8
 * without a trailing newline (file_store.py `_set_run_tag`: "Don't add trailing newline");
 * a key with '/' is a path of sub-directories, read back as the relative path
 * (`_get_resource_files` walks the folder).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValue } from '../../model/run.js';
import { isErrorCode, readTextIfExists, walkFiles, writePrivateFile } from './fs-util.js';
import { keyPath } from './layout.js';

/** Every key file below `dir`; a symlink is not followed but handed to `onSymlink` (a hostile store). */
export async function readKeyValues(dir: string, onSymlink?: (key: string) => void): Promise<KeyValue[]> {
  const values: KeyValue[] = [];
  for await (const file of walkFiles(dir, onSymlink)) {
    values.push({ key: file.path, value: await readFile(file.fullPath, 'utf8') });
  }
  return values;
}

/**
 * readKeyValues, synchronously: the same keys in the same order. For the many small folders of a
 * trace copy (tags/ and request_metadata/ of every trace), where a promise and a thread-pool trip
 * per file cost more than the read itself.
 */
export function readKeyValuesSync(dir: string, onSymlink?: (key: string) => void, prefix = ''): KeyValue[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (isErrorCode(error, 'ENOENT', 'ENOTDIR')) return [];
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const values: KeyValue[] = [];
  for (const entry of entries) {
    const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const fullPath = join(dir, entry.name);
    if (entry.isSymbolicLink()) onSymlink?.(key);
    else if (entry.isDirectory()) values.push(...readKeyValuesSync(fullPath, onSymlink, key));
    else if (entry.isFile()) values.push({ key, value: readFileSync(fullPath, 'utf8') });
  }
  return values;
}

export async function readKeyValue(dir: string, key: string): Promise<string | undefined> {
  return readTextIfExists(keyPath(dir, key));
}

export async function writeKeyValue(dir: string, key: string, value: string): Promise<void> {
  try {
    await writePrivateFile(keyPath(dir, key), value);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // "a" and "a/b" cannot both exist: one is a file, the other needs it to be a directory.
    if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
      throw new Error(`cannot store key "${key}": it collides with another key as a file path (${code})`);
    }
    throw error;
  }
}
