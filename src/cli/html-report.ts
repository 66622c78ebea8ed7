/**
 * `--html PATH` for copy and verify: the path is checked before any work starts (like --report),
 * and the page (src/report/) is written at the end, private and redacted like the JSON reports.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeHtmlReport } from '../report/html.js';
import type { HtmlReportData } from '../report/report-data.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './context.js';

/** The absolute path for --html, its folder made (0700) and writable; undefined without --html. */
export function htmlReportPath(html: string | undefined, cwd: string): string | undefined {
  if (!html) return undefined;
  const path = resolve(cwd, html);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    throw new UsageError(`--html ${path}: cannot write in ${dirname(path)} (${(error as { code?: string }).code ?? 'not writable'})`);
  }
  return path;
}

export function writeHtmlFile(path: string, data: HtmlReportData, ctx: CliContext, toStderr: boolean): void {
  writeHtmlReport(path, data, ctx.term.redact);
  const line = `HTML report at ${path}`;
  if (toStderr) ctx.term.err(line);
  else ctx.term.out(line);
}
