/**
 * `runs-migrator verify`: the same location flags as copy; pairs every source run with its copy
 * and compares them (src/engine/verify.ts). Exit 0 only when clean. `copy --verify` calls
 * `verifyStores` after the copy.
 */
import { resolve } from 'node:path';
import type { Store } from '../backends/contract.js';
import { verifyProject, type VerifyReport } from '../engine/verify.js';
import { verifyModelsText } from './models-format.js';
import { verifyTracesLines } from './traces-format.js';
import { verifyScorersLines } from './scorers-format.js';
import { verifyDatasetsLines } from './datasets-format.js';
import { parseCopyArgs } from './args.js';
import type { Command } from './command.js';
import type { CliContext } from './context.js';
import { settle, type CopySettings } from './copy.js';
import { EXIT } from './exit-codes.js';
import { reportJson, writeReportFile } from './report-file.js';
import { htmlReportPath, writeHtmlFile } from './html-report.js';
import { HtmlReportCollector } from '../report/collect.js';

export const VERIFY_HELP = `Usage: runs-migrator verify [options]

Pairs every source run with its copy (through old_sys/run_id) and compares run info, params, tags
(parent ids mapped), full metric histories point by point, dataset inputs, and every artifact by
size and sha256. Reports missing runs, duplicated copies, partial copies, copies whose source is
gone, and each difference. Exit code 0 only when clean.

Takes the location, credential and run-selection flags of \`runs-migrator copy\` (see
\`runs-migrator copy --help\`), and:
  --report PATH             write the JSON verify report here
  --html PATH               write a one-file HTML report: every run's status, params and tags side
                            by side, files with sha256 match, source-versus-copy metric curves
  --json                    print the JSON verify report on stdout
  --workers N               runs compared in parallel (default 4)
`;

export const verifyCommand: Command = {
  summary: 'prove a copy: compare every run with its source, field by field',
  async run(argv, ctx) {
    const args = parseCopyArgs(argv, { cwd: ctx.cwd });
    if (args.help) {
      ctx.term.out(VERIFY_HELP.trimEnd());
      return EXIT.ok;
    }
    const settings = await settle(args, ctx);
    for (const warning of settings.warnings) ctx.term.err(`runs-migrator: warning: ${warning}`);
    const htmlPath = htmlReportPath(args.html, ctx.cwd);
    const started = Date.now();
    // Notices (e.g. files read through the server after the store refused the direct path) go to stderr.
    const onNotice = (message: string) => ctx.term.err(`runs-migrator: ${message}`);
    const source = await ctx.openStore(settings.sourceUri, { credentials: settings.sourceCredentials, role: 'source', onNotice });
    try {
      const target = await ctx.openStore(settings.targetUri, { credentials: settings.targetCredentials, role: 'target', onNotice });
      try {
        const collector = htmlPath ? new HtmlReportCollector() : undefined;
        const report = await verifyStores(settings, source, target, ctx, args.report ? resolve(ctx.cwd, args.report) : undefined, collector);
        const code = report.clean ? EXIT.ok : EXIT.runsFailed;
        if (htmlPath && collector) {
          writeHtmlFile(htmlPath, collector.build({ command: 'verify', verify: report, durationMs: Date.now() - started, exitStatus: code }), ctx, args.json);
        }
        return code;
      } finally {
        await target.close().catch(() => undefined);
      }
    } finally {
      await source.close().catch(() => undefined);
    }
  },
};

/** Runs verify on two open stores, prints the result, writes the report when asked. */
export async function verifyStores(
  settings: CopySettings,
  source: Store,
  target: Store,
  ctx: CliContext,
  reportPath: string | undefined,
  collector?: HtmlReportCollector,
): Promise<VerifyReport> {
  const { args } = settings;
  const report = await verifyProject({
    source: { store: source, project: settings.sourceProject },
    target: { store: target, project: settings.targetProject },
    includeDeleted: args.includeDeleted,
    registry: args.registry,
    filters: args.filters,
    shard: args.shard,
    workers: settings.workers,
    observe: collector?.observe,
    onRunChecked: collector?.runChecked,
  });
  if (reportPath) writeReportFile(reportPath, report, ctx.term.redact);
  if (args.json) ctx.stdout.write(reportJson(report, ctx.term.redact));
  const say = (text: string) => (args.json ? ctx.term.err(text) : ctx.term.out(text));
  say(verifyText(report));
  const models = report.models && verifyModelsText(report.models);
  if (models) say(models);
  for (const line of verifyTracesLines(report.traces)) say(line);
  for (const line of verifyScorersLines(report.scorers)) say(line);
  for (const line of verifyDatasetsLines(report.datasets)) say(line);
  if (reportPath) say(`Verify report at ${reportPath}`);
  return report;
}

export function verifyText(report: VerifyReport): string {
  const s = report.summary;
  const lines: string[] = [];
  for (const run of report.runs) {
    if (run.status === 'ok') continue;
    lines.push(`${run.status.toUpperCase()} ${report.source.project}/${run.sourceRunId}${run.sourceName ? ` (${run.sourceName})` : ''}${run.targetRunIds.length ? ` -> ${run.targetRunIds.join(', ')}` : ''}`);
    for (const difference of run.differences) lines.push(`  - ${difference}`);
  }
  for (const extra of report.extra) {
    lines.push(`EXTRA ${report.target.project}/${extra.targetRunId}: copy of ${extra.sourceRunId}, which is not in ${report.source.project}`);
  }
  const counts = `${s.runs} run(s): ${s.ok} ok, ${s.missing} missing, ${s.partial} partial, ${s.duplicated} duplicated, ${s.different} different, ${s.error} unreadable; ${s.extra} extra copies; ${s.points} points, ${s.files} files, ${s.bytes} bytes compared`;
  lines.push(`${report.clean ? 'Verify clean' : 'Verify FAILED'}: ${counts}`);
  return lines.join('\n');
}
