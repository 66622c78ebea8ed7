/**
 * A run's artifact tree on the local disk. Paths from a store (or from a hostile source) never
 * reach outside the artifact root: listing does not follow symlinks, opening resolves the real
 * path and checks it is below the root, writing refuses '..' and absolute paths.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { realpath, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileEntry } from '../../model/run.js';
import { mkdirPrivate, PRIVATE_FILE_MODE, walkFiles } from './fs-util.js';
import { safeSegments } from './layout.js';

export async function* listArtifacts(root: string, onSymlink: (path: string) => void): AsyncGenerator<FileEntry> {
  for await (const file of walkFiles(root, onSymlink)) yield { path: file.path, size: file.size, modifiedMs: file.mtimeMs };
}

export async function openArtifact(root: string, path: string): Promise<Readable> {
  const full = join(root, ...safeSegments(path, 'artifact path'));
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(full)]);
  if (!realFile.startsWith(realRoot + sep)) {
    throw new Error(`refusing artifact path "${path}": it resolves outside the run's artifact folder`);
  }
  if (!(await stat(realFile)).isFile()) throw new Error(`artifact "${path}" is not a regular file`);
  return createReadStream(realFile);
}

/**
 * Removes `root/path` (a file deleted in the source, engine sync), and the folders it leaves empty
 * up to the root; a file already gone is fine (a retried pass).
 */
export async function deleteArtifact(root: string, path: string): Promise<void> {
  const segments = safeSegments(path, 'artifact path');
  await rm(join(root, ...segments), { force: true });
  for (let depth = segments.length - 1; depth > 0; depth--) {
    if (!(await rmdir(join(root, ...segments.slice(0, depth))).then(() => true, () => false))) break;
  }
}

/** Stream `data` into `root/path`; the stream must hold exactly `size` bytes. */
export async function writeArtifact(root: string, path: string, data: Readable, size: number): Promise<void> {
  const full = join(root, ...safeSegments(path, 'artifact path'));
  await mkdirPrivate(dirname(full));
  let written = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(data, count, createWriteStream(full, { mode: PRIVATE_FILE_MODE }));
  if (written !== size) {
    throw new Error(`artifact "${path}": expected ${size} bytes, the stream held ${written}`);
  }
}
