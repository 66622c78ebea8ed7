/**
 * The JSON report (= the engine's CopyReport) on disk: mode 0600, written atomically (a temporary
 * file in the same folder, then rename) so a reader never sees half a report, and redacted.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CopyReport } from '../engine/types.js';
import type { VerifyReport } from '../engine/verify.js';
import { errorMessage, UsageError } from '../util/errors.js';
import type { Redactor } from '../util/redact.js';

/** Beside the log: the same stem with `.report.json`. */
export function defaultReportPath(logPath: string): string {
  return logPath.replace(/\.log$/i, '') + '.report.json';
}

export function reportJson(report: CopyReport | VerifyReport, redact: Redactor): string {
  const text = JSON.stringify(report, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
  return redact(text) + '\n';
}

export function writeReportFile(path: string, report: CopyReport | VerifyReport, redact: Redactor): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, reportJson(report, redact));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as { code?: string }).code;
    throw new UsageError(`--report ${path}: cannot write the report (${code ?? errorMessage(error)})`);
  }
}
