/**
 * The JSON report (= the engine's CopyReport) on disk: mode 0600, written atomically (a temporary
 * file in the same folder, then rename) so a reader never sees half a report, and redacted.
 */
import type { CopyReport } from '../engine/types.js';
import type { VerifyReport } from '../engine/verify.js';
import { writePrivateFile } from '../util/private-file.js';
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
  writePrivateFile(path, reportJson(report, redact), `--report ${path}`);
}
