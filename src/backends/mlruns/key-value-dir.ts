/**
 * `params/`, `tags/` and experiment `tags/` folders: one file per key holding the value as UTF-8
 * without a trailing newline (file_store.py `_set_run_tag`: "Don't add trailing newline");
 * a key with '/' is a path of sub-directories, read back as the relative path
 * (`_get_resource_files` walks the folder).
 */
import { readFile } from 'node:fs/promises';
import type { KeyValue } from '../../model/run.js';
import { readTextIfExists, walkFiles, writePrivateFile } from './fs-util.js';
import { keyPath } from './layout.js';

/** Every key file below `dir`; a symlink is not followed but handed to `onSymlink` (a hostile store). */
export async function readKeyValues(dir: string, onSymlink?: (key: string) => void): Promise<KeyValue[]> {
  const values: KeyValue[] = [];
  for await (const file of walkFiles(dir, onSymlink)) {
    values.push({ key: file.path, value: await readFile(file.fullPath, 'utf8') });
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
