/**
 * The JSON report (= the engine's CopyReport) on disk: mode 0600, written atomically (a temporary
 * file in the same folder, then rename) so a reader never sees half a report, and redacted.
 * The file is written run by run: the whole text of a report of 10,000 runs (6 MB, and its
 * redacted and encoded copies) would be the largest thing a copy ever holds at once.
 */
import { randomBytes } from 'node:crypto';
import type { CopyReport } from '../engine/types.js';
import type { VerifyReport } from '../engine/verify.js';
import { writePrivateFile } from '../util/private-file.js';
import type { Redactor } from '../util/redact.js';

/** Beside the log: the same stem with `.report.json`. */
export function defaultReportPath(logPath: string): string {
  return logPath.replace(/\.log$/i, '') + '.report.json';
}

const bigintsAsText = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

export function reportJson(report: CopyReport | VerifyReport, redact: Redactor): string {
  return redact(JSON.stringify(report, bigintsAsText, 2)) + '\n';
}

/**
 * The text of reportJson, in pieces: everything but the runs, then one run at a time, indented
 * as JSON.stringify indents them. Each piece is redacted on its own; a secret never spans two,
 * since a piece ends only between two runs' objects.
 */
export function* reportJsonChunks(report: CopyReport | VerifyReport, redact: Redactor): Generator<string> {
  const runs: readonly unknown[] = report.runs;
  const marker = `runs-migrator-runs-${randomBytes(8).toString('hex')}`;
  const [head, tail] = JSON.stringify({ ...report, runs: marker }, bigintsAsText, 2).split(`"${marker}"`) as [string, string];
  if (runs.length === 0) {
    yield redact(`${head}[]${tail}`) + '\n';
    return;
  }
  yield redact(`${head}[\n`);
  for (let i = 0; i < runs.length; i++) {
    const run = JSON.stringify(runs[i], bigintsAsText, 2).replaceAll('\n', '\n    ');
    yield redact(`    ${run}${i < runs.length - 1 ? ',' : ''}\n`);
  }
  yield redact(`  ]${tail}`) + '\n';
}

export function writeReportFile(path: string, report: CopyReport | VerifyReport, redact: Redactor): void {
  writePrivateFile(path, reportJsonChunks(report, redact), `--report ${path}`);
}
