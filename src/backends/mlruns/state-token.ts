/**
 * The state token of a run folder (RunInfo.stateToken, engine/sync-copy.ts): a digest of the
 * path, size and modification time of every file below it - meta.yaml (name, status, end time,
 * lifecycle), params, tags, metric files (appends grow them), inputs and in-run artifacts. Any
 * write MLflow's FileStore makes to a run changes one of them, so an unchanged token means the
 * run need not be read again. Only stat calls: no file is opened.
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { walkFiles } from './fs-util.js';

export async function runStateToken(runDir: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const file of walkFiles(runDir)) {
    const stat = await lstat(file.fullPath);
    hash.update(`${file.path}\u0000${stat.size}\u0000${stat.mtimeMs}\n`);
  }
  return hash.digest('base64url').slice(0, 22);
}
