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
 * The text of reportJson, in pieces: the lists that grow with the project (its runs, its traces)
 * one item at a time, everything else around them, indented as JSON.stringify indents them. Each
 * piece is redacted on its own; a secret never spans two, since a piece ends only between two
 * items of a list. (The traces went whole once: at 10,000 traces their text was the largest
 * thing a copy held, some 5 MB at its very end, and the CLI's peak memory grew with it.)
 */
export function* reportJsonChunks(report: CopyReport | VerifyReport, redact: Redactor): Generator<string> {
  const lists: Array<{ marker: string; items: readonly unknown[] }> = [];
  const listed = (items: readonly unknown[]): string => {
    const marker = `runs-migrator-list-${randomBytes(8).toString('hex')}`;
    lists.push({ marker: `"${marker}"`, items });
    return marker;
  };
  const outline: Record<string, unknown> = { ...report, runs: listed(report.runs) };
  if (report.traces) outline.traces = { ...report.traces, traces: listed(report.traces.traces) };
  const text = JSON.stringify(outline, bigintsAsText, 2);
  const found = lists.map((list) => ({ ...list, at: text.indexOf(list.marker) })).sort((a, b) => a.at - b.at);
  let from = 0;
  let pending = '';
  for (const { marker, items, at } of found) {
    pending += text.slice(from, at);
    from = at + marker.length;
    if (items.length === 0) {
      pending += '[]';
      continue;
    }
    yield redact(`${pending}[\n`);
    // The list's key starts its line: the items go one level deeper, the closing bracket at its level.
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const keyIndent = text.slice(lineStart, at).length - text.slice(lineStart, at).trimStart().length;
    const pad = ' '.repeat(keyIndent + 2);
    for (let i = 0; i < items.length; i++) {
      const item = JSON.stringify(items[i], bigintsAsText, 2).replaceAll('\n', `\n${pad}`);
      yield redact(`${pad}${item}${i < items.length - 1 ? ',' : ''}\n`);
    }
    pending = `${' '.repeat(keyIndent)}]`;
  }
  yield redact(pending + text.slice(from)) + '\n';
}

export function writeReportFile(path: string, report: CopyReport | VerifyReport, redact: Redactor): void {
  writePrivateFile(path, reportJsonChunks(report, redact), `--report ${path}`);
}
