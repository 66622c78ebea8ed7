/**
 * `runs-migrator copy`: flags (or questions on a terminal) -> credentials -> log file -> open both
 * stores -> copyProject with progress -> report file, summary, exit code. The work is the
 * library's; this file only wires it to the terminal.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Credentials, Store } from '../backends/contract.js';
import type { CopyEvent, CopyReport } from '../engine/types.js';
import { formatProjectRef, type ProjectRef } from '../model/project-ref.js';
import { errorMessage, UsageError, UserError } from '../util/errors.js';
import { COPY_HELP, DEFAULT_WORKERS, parseCopyArgs, type CopyArgs } from './args.js';
import type { Command } from './command.js';
import type { CliContext, StopSignal } from './context.js';
import { resolveCredentials, secretsInUri, secretsOf, type ResolvedCredentials } from './credentials.js';
import { EXIT, reportError } from './exit-codes.js';
import { EventRecord, logEvent } from './copy-events.js';
import { planText, plural, summaryLine } from './format.js';
import { defaultLogName, fileTimestamp, NULL_LOGGER, openLogFile, type Logger } from './log-file.js';
import { watchCopy, type WatchControl } from './watch.js';
import { createProgress, progressMode } from './progress.js';
import { heapNudger } from './heap.js';
import { verifyStores } from './verify.js';
import { askCopySettings } from './prompts.js';
import { copyAllProjects } from './all-projects.js';
import { defaultReportPath, reportJson, writeReportFile } from './report-file.js';
import { htmlReportPath, writeHtmlFile } from './html-report.js';
import { HtmlReportCollector } from '../report/collect.js';
import type { HtmlReportData } from '../report/report-data.js';
import type { VerifyReport } from '../engine/verify.js';
import { modelsFailed } from '../engine/models/model-types.js';
import { modelsLine } from './models-format.js';
import { tracesLines } from './traces-format.js';
import { datasetsLines } from './datasets-format.js';
import { datasetsFailed } from '../engine/datasets/types.js';
import { tracesFailed } from '../engine/traces/types.js';
import { scorersLines } from './scorers-format.js';
import { scorersFailed } from '../engine/scorers/types.js';

export const copyCommand: Command = {
  summary: 'copy runs from one project to another, exactly once',
  run: runCopy,
};

/** Everything the copy needs, after flags, environment and questions. */
export interface CopySettings {
  args: CopyArgs;
  sourceUri: string;
  sourceProject: ProjectRef;
  targetUri: string;
  targetProject: ProjectRef;
  sourceCredentials: Credentials;
  targetCredentials: Credentials;
  workers: number;
  warnings: string[];
  /** Set when this copy is one pass of --watch (watch.ts). */
  watch?: WatchControl;
  /** Given by a caller that copies many projects (--all-projects): the copy adds its report here. */
  collect?: CollectedReport[];
}

export interface CollectedReport {
  report: CopyReport;
  reportPath?: string;
  /** verify's verdict and counts, when it ran after the copy (--verify, --html). */
  verify?: { clean: boolean; summary: VerifyReport['summary'] };
  /** With --html: the project's page data, for the caller's one page (no file of its own is written). */
  html?: HtmlReportData;
}

async function runCopy(argv: string[], ctx: CliContext): Promise<number> {
  const args = parseCopyArgs(argv, { cwd: ctx.cwd });
  if (args.help) {
    ctx.term.out(COPY_HELP.trimEnd());
    return EXIT.ok;
  }
  if (args.version) {
    ctx.term.out(ctx.version);
    return EXIT.ok;
  }
  if (args.watchSeconds !== undefined) return watchFromArgs(args, args.watchSeconds, ctx);
  if (args.allProjects) return copyAllProjects(args, ctx, { settle, copySettled });
  return copySettled(await settle(args, ctx), ctx);
}

/** --watch: the same copy (one project or --all-projects) pass after pass, one log for the passes. */
async function watchFromArgs(args: CopyArgs, seconds: number, ctx: CliContext): Promise<number> {
  const started = ctx.now();
  if (args.allProjects) {
    const logPath = resolve(ctx.cwd, `all-projects_watch_${fileTimestamp(started)}.log`);
    return watchCopy(ctx, {
      seconds,
      ...(args.untilIdle !== undefined ? { untilIdle: args.untilIdle } : {}),
      openLog: () => openLogFile(logPath, (text) => ctx.term.redact(text)),
      runPass: (control) => copyAllProjects(args, ctx, { settle, copySettled }, { control, logStamp: started }),
    });
  }
  const settings = await settle(args, ctx);
  // Every pass appends to one log (a copy's default log name carries the time it started).
  const logFile = args.logFile ?? defaultLogName(settings.sourceProject, settings.targetProject, started);
  const watched: CopySettings = { ...settings, args: { ...settings.args, logFile } };
  let pass = 0;
  return watchCopy(ctx, {
    seconds,
    ...(args.untilIdle !== undefined ? { untilIdle: args.untilIdle } : {}),
    openLog: () => openLogFile(resolve(ctx.cwd, logFile), (text) => ctx.term.redact(text)),
    // Warnings are said once, on the first pass.
    runPass: (control) => copySettled({ ...watched, warnings: pass++ === 0 ? watched.warnings : [], watch: control }, ctx),
  });
}

/** One project's copy, once flags, questions and credentials are settled. */
export async function copySettled(settings: CopySettings, ctx: CliContext): Promise<number> {
  const { args } = settings;
  if (args.dryRun && args.logFile) settings.warnings.push('--log-file is ignored with --dry-run: a dry run writes nothing');
  if (args.dryRun && args.html) settings.warnings.push('--html is ignored with --dry-run: a dry run writes nothing');
  for (const warning of settings.warnings) ctx.term.err(`runs-migrator: warning: ${warning}`);

  const now = ctx.now();
  const logPath = args.dryRun ? undefined : resolve(ctx.cwd, args.logFile ?? defaultLogName(settings.sourceProject, settings.targetProject, now));
  const reportPath = args.report ? resolve(ctx.cwd, args.report) : logPath ? defaultReportPath(logPath) : undefined;
  for (const path of [logPath, reportPath]) {
    // A log or report in a folder that does not exist yet: make it, private like the files.
    if (path) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  if (reportPath) {
    try {
      accessSync(dirname(reportPath), constants.W_OK);
    } catch {
      throw new UsageError(`--report ${reportPath}: cannot write in ${dirname(reportPath)}`);
    }
  }
  // A bad --html path is a usage error before anything is copied; the page is written at the end.
  if (!args.dryRun) htmlReportPath(args.html, ctx.cwd);
  const log = logPath ? openLogFile(logPath, (text) => ctx.term.redact(text)) : NULL_LOGGER;
  try {
    for (const warning of settings.warnings) log.warning(warning);
    return await execute(settings, ctx, log, reportPath);
  } catch (error) {
    log.error(error instanceof UserError ? error.message : `internal error: ${errorMessage(error)}`);
    const code = reportError(error, ctx, 'copy');
    if (log.path) ctx.term.err(`Check logs at ${log.path}`);
    return code;
  } finally {
    log.close();
  }
}

/** Fills in defaults, asks on a terminal what is still missing, resolves credentials. */
export async function settle(args: CopyArgs, ctx: CliContext): Promise<CopySettings> {
  const warnings = [...args.warnings];
  const credentialsOf = (side: 'source' | 'target', tokenFile: string | undefined): ResolvedCredentials => {
    const resolved = resolveCredentials(side, ctx.env, { tokenFile, cwd: ctx.cwd, platform: ctx.platform });
    warnings.push(...resolved.warnings);
    ctx.term.addSecrets(secretsOf(resolved.credentials));
    return resolved;
  };
  const source = credentialsOf('source', args.sourceTokenFile);
  const target = credentialsOf('target', args.targetTokenFile);

  const envUri = ctx.env.MLFLOW_TRACKING_URI?.trim() || undefined;
  let sourceUri = args.sourceUri ?? (args.empty ? undefined : envUri);
  let { sourceProject, targetProject } = args;
  let targetUri = args.targetUri;
  let workers = args.workers;
  let sourceCredentials = source.credentials;
  let targetCredentials = target.credentials;

  if (args.empty || !sourceUri || !sourceProject || !targetProject) {
    if (!(ctx.stdin.isTTY && ctx.stdout.isTTY)) throw new UsageError(missingMessage(sourceUri, sourceProject, targetProject));
    const answers = await askCopySettings(ctx.prompts(args.json ? ctx.stderr : ctx.stdout), {
      full: args.empty,
      sourceUri,
      sourceProject,
      targetUri,
      targetProject,
      defaultSourceUri: envUri,
      credentials: { source, target },
    });
    ({ sourceUri, sourceProject, targetUri, targetProject } = answers);
    workers ??= answers.workers;
    if (answers.sourceCredentials) sourceCredentials = answers.sourceCredentials;
    if (answers.targetCredentials) targetCredentials = answers.targetCredentials;
    ctx.term.addSecrets([...secretsOf(sourceCredentials), ...secretsOf(targetCredentials)]);
  }
  if (!sourceUri || !sourceProject || !targetProject) throw new UsageError(missingMessage(sourceUri, sourceProject, targetProject));
  targetUri ??= sourceUri;
  if (args.stepMultiplier !== undefined) sourceUri = withStepMultiplier(sourceUri, args.stepMultiplier);
  if (target.origin.startsWith('MLFLOW_TRACKING_') && targetCredentials === target.credentials && targetUri !== sourceUri) {
    // MLflow's own variables belong to the server MLFLOW_TRACKING_URI names: never send them to another one.
    targetCredentials = {};
    if (/^https?:/i.test(targetUri)) warnings.push(`${target.origin} are sent to the source server only; for the target at another URI set RUNS_MIGRATOR_TARGET_TOKEN (or _USERNAME/_PASSWORD) or --target-token-file`);
  }
  ctx.term.addSecrets([...secretsInUri(sourceUri), ...secretsInUri(targetUri)]);
  return {
    args,
    sourceUri,
    sourceProject,
    targetUri,
    targetProject,
    sourceCredentials,
    targetCredentials,
    workers: workers ?? DEFAULT_WORKERS,
    warnings,
  };
}

/** --step-multiplier is a reading option of Neptune archives: it goes into the source URI. */
function withStepMultiplier(uri: string, multiplier: number): string {
  if (!uri.startsWith('neptune-export:')) throw new UsageError('--step-multiplier applies to a neptune-export: source only');
  if (/[?&]step_multiplier=/.test(uri)) throw new UsageError('--step-multiplier and step_multiplier= in the source URI: give one of them');
  return `${uri}${uri.includes('?') ? '&' : '?'}step_multiplier=${multiplier}`;
}

function missingMessage(sourceUri?: string, sourceProject?: ProjectRef, targetProject?: ProjectRef): string {
  const missing: string[] = [];
  if (!sourceUri) missing.push('missing --source-uri (or set MLFLOW_TRACKING_URI)');
  if (!sourceProject) missing.push('missing --source-project (WORKSPACE/PROJECT)');
  if (!targetProject) missing.push('missing --target-project (WORKSPACE/PROJECT)');
  return missing.join('; ');
}

/** Where the stores' retries and slow-down notices go once the progress display exists. */
interface StoreListeners {
  listener?: (event: CopyEvent) => void;
  notice?: (message: string) => void;
}

async function execute(settings: CopySettings, ctx: CliContext, log: Logger, reportPath: string | undefined): Promise<number> {
  const { args } = settings;
  const sourceLabel = formatProjectRef(settings.sourceProject);
  const targetLabel = formatProjectRef(settings.targetProject);
  const stores: Store[] = [];
  try {
    // Retries happen inside the stores; they reach the log and progress display through the copy's events.
    const retries: StoreListeners = {};
    const onRetry = (event: { what: string; attempt: number; reason: string }) => retries.listener?.({ type: 'retry', ...event });
    // Slow-downs for an overloaded server and recoveries go to the log as they happen.
    const gentle = { ...(args.maxRps !== undefined ? { maxRps: args.maxRps } : {}), onNotice: (message: string) => {
      log.warning(message);
      retries.notice?.(message);
    } };
    const source = await ctx.openStore(settings.sourceUri, { credentials: settings.sourceCredentials, role: 'source', onRetry, ...gentle });
    stores.push(source);
    const target = await ctx.openStore(settings.targetUri, { credentials: settings.targetCredentials, role: 'target', onRetry, ...gentle });
    stores.push(target);
    log.info(
      `${args.dryRun ? 'Planning' : 'Copying'} ${sourceLabel} (${source.displayUri}) to ${targetLabel} (${target.displayUri}) ` +
        `with ${settings.workers} workers`,
    );
    for (const note of [...(source.notes ?? []), ...(target.notes ?? [])]) log.info(note);
    return await copyWithProgress(settings, ctx, log, reportPath, source, target, retries);
  } finally {
    for (const store of stores.reverse()) {
      await store.close().catch(() => undefined);
    }
  }
}

async function copyWithProgress(
  settings: CopySettings,
  ctx: CliContext,
  log: Logger,
  reportPath: string | undefined,
  source: Store,
  target: Store,
  retries: StoreListeners,
): Promise<number> {
  const { args } = settings;
  const startedAt = ctx.now().toISOString();
  const progress = createProgress({
    mode: progressMode({ quiet: args.quiet, noProgress: args.noProgress, isTTY: Boolean(ctx.stderr.isTTY) }),
    stream: ctx.stderr,
    redact: (text) => ctx.term.redact(text),
    sourceName: settings.sourceProject.project,
    dryRun: args.dryRun,
  });
  const seen = new EventRecord();
  const heap = heapNudger();
  const onEvent = (event: CopyEvent) => {
    try {
      seen.add(event);
      logEvent(event, log);
      progress.onEvent(event);
      if (event.type === 'progress') heap.nudge();
    } catch {
      // onEvent must not throw; a display problem never stops a copy.
    }
  };

  retries.listener = onEvent;
  retries.notice = (message) => {
    try {
      progress.note(message);
    } catch {
      // a display problem never stops a copy
    }
  };

  const partialReport = (): CopyReport =>
    seen.report({
      source: { store: source, project: settings.sourceProject },
      target: { store: target, project: settings.targetProject },
      startedAt,
      finishedAt: ctx.now().toISOString(),
      dryRun: args.dryRun,
      version: ctx.version,
    });
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopCode = () => (stoppedBy === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
  let draining = false;
  const removeHandler = ctx.onSignal((signal) => {
    if (settings.watch && !draining && !stoppedBy) {
      // --watch: the first signal lets this pass finish its writes; the watch then ends.
      draining = true;
      settings.watch.stopRequested ??= signal;
      log.warning(`${signal}: finishing this pass (runs in flight complete), then the watch stops; again to stop at once`);
      progress.note('Stopping after this pass (press Ctrl-C again to stop at once)');
      return;
    }
    if (stoppedBy) {
      // Second signal: keep what is known and leave now.
      log.warning(`${signal} again: leaving without waiting for runs in flight`);
      try {
        if (reportPath) writeReportFile(reportPath, partialReport(), ctx.term.redact);
      } catch (error) {
        ctx.term.err(`runs-migrator: ${errorMessage(error)}`);
      }
      ctx.exit(stopCode());
      return;
    }
    stoppedBy = signal;
    log.warning(`${signal}: stopping; runs in flight are abandoned and will be redone by the next run`);
    progress.note('Interrupted: stopping and writing the report (press Ctrl-C again to quit at once)');
    controller.abort(new Error(`interrupted by ${signal}`));
  });

  let report: CopyReport;
  try {
    report = await ctx.copyProject({
      source: { store: source, project: settings.sourceProject },
      target: { store: target, project: settings.targetProject },
      workers: settings.workers,
      dryRun: args.dryRun,
      update: !args.noUpdate,
      registry: args.registry,
      ...(args.targetArtifactLocation !== undefined ? { targetArtifactLocation: args.targetArtifactLocation } : {}),
      includeDeleted: args.includeDeleted,
      filters: args.filters,
      shard: args.shard,
      onEvent,
      signal: controller.signal,
    });
  } catch (error) {
    if (!stoppedBy) throw error;
    report = partialReport();
  } finally {
    heap.stop();
    progress.stop();
    removeHandler();
  }

  settings.watch?.passReports.push(report);
  const collected: CollectedReport = { report, ...(reportPath ? { reportPath } : {}) };
  settings.collect?.push(collected);
  if (reportPath) writeReportFile(reportPath, report, ctx.term.redact);
  for (const run of report.runs) {
    if (run.outcome === 'failed' && !seen.toldFailed(run.sourceRunId)) {
      log.error(`Failed to copy ${report.source.project}/${run.sourceRunId}: ${run.reason ?? 'unknown error'}`);
    }
  }
  const summary = summaryLine(report);
  log.info(stoppedBy ? `Interrupted. ${summary}` : summary);

  const say = (text: string) => (args.json ? ctx.term.err(text) : ctx.term.out(text));
  if (args.json) ctx.stdout.write(reportJson(report, ctx.term.redact));
  if (args.dryRun) {
    say(planText(report, { listRuns: !args.quiet }));
  } else {
    say(stoppedBy ? `Interrupted. ${summary}` : summary);
    if (report.summary.failed > 0) say(`${plural(report.summary.failed, 'run')} failed: see the log or the report for the reasons`);
  }
  const models = report.models && modelsLine(report.models);
  if (models) say(models);
  for (const line of tracesLines(report.traces)) say(line);
  for (const line of scorersLines(report.scorers)) say(line);
  for (const line of datasetsLines(report.datasets)) say(line);
  if (reportPath) say(`Report at ${reportPath}`);
  if (log.path) say(`Check logs at ${log.path}`);

  // --html shows verify's comparison, so it runs verify too.
  const htmlPath = args.dryRun ? undefined : htmlReportPath(args.html, ctx.cwd);
  const collector = htmlPath ? new HtmlReportCollector() : undefined;
  const finish = (code: number, verified?: VerifyReport): number => {
    if (verified) collected.verify = { clean: verified.clean, summary: verified.summary };
    if (htmlPath && collector) {
      const durationMs = ctx.now().getTime() - Date.parse(startedAt);
      const data = collector.build({ command: 'copy', copy: report, verify: verified, durationMs, exitStatus: code });
      // A copy of many projects (--all-projects) makes one page of them all.
      if (settings.collect) collected.html = data;
      else writeHtmlFile(htmlPath, data, ctx, args.json);
    }
    return code;
  };
  if (stoppedBy) return finish(stopCode());
  if ((args.verify || htmlPath) && !args.dryRun) {
    const verifyPath = reportPath ? reportPath.replace(/\.report\.json$|\.json$|$/, '.verify.json') : undefined;
    const verified = await verifyStores(settings, source, target, ctx, verifyPath, collector);
    log.info(verified.clean ? 'Verify clean' : 'Verify FAILED: see the verify report');
    if (!verified.clean) return finish(EXIT.runsFailed, verified);
    return finish(report.summary.failed > 0 || tracesFailed(report.traces) || scorersFailed(report.scorers) || datasetsFailed(report.datasets) ? EXIT.runsFailed : EXIT.ok, verified);
  }
  return finish(report.summary.failed > 0 || modelsFailed(report.models) || tracesFailed(report.traces) || scorersFailed(report.scorers) || datasetsFailed(report.datasets) ? EXIT.runsFailed : EXIT.ok);
}
