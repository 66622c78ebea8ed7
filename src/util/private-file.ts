/**
 * Writes a file that may hold run data the way every report is written: private to the user
 * (0600) and atomically (a temp file beside it, fsynced, then renamed), so a reader never sees
 * half a report and other users never see any of it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errorMessage, UsageError } from './errors.js';

/** `what` names the file in the error, e.g. `--report out.json`. */
export function writePrivateFile(path: string, text: string | Iterable<string>, what: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      if (typeof text === 'string') writeSync(fd, text);
      else writeChunks(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as { code?: string }).code;
    throw new UsageError(`${what}: cannot write the report (${code ?? errorMessage(error)})`);
  }
}

/** Chunks gathered into writes of about 64 KB: a report of 10,000 runs is never one string. */
function writeChunks(fd: number, chunks: Iterable<string>): void {
  let pending = '';
  for (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= 65_536) {
      writeSync(fd, pending);
      pending = '';
    }
  }
  if (pending !== '') writeSync(fd, pending);
}
