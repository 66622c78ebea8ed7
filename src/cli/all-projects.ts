/**
 * `copy --all-projects`: a whole store in one command - the move off an mlruns folder, or off an
 * MLflow server, is one. The source lists its active projects (Store.listProjects: for a server,
 * the experiments of one workspace or, with --all-workspaces, of every workspace); each is copied
 * into the project of the same WORKSPACE/NAME in the target by the ordinary one-project copy, so
 * exactly-once, the log and report per project, --registry and --verify all work per project, and a
 * second run copies nothing. A workspace the target lacks is created first where the target can.
 * One more report, `all-projects_<time>.json`, has a section per project.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CopyReport } from '../engine/types.js';
import type { CopyArgs } from './args.js';
import type { CliContext } from './context.js';
import type { CollectedReport, CopySettings } from './copy.js';
import { EXIT } from './exit-codes.js';
import { defaultLogName, fileTimestamp } from './log-file.js';
import type { WatchControl } from './watch.js';
import { DEFAULT_WORKSPACE, formatProjectRef, type ProjectRef } from '../model/project-ref.js';
import { errorMessage, UsageError } from '../util/errors.js';
import { writePrivateFile } from '../util/private-file.js';
import { childUri } from '../backends/object-store/location.js';
import { htmlReportPath, writeHtmlFile } from './html-report.js';
import { wholeStoreReport, type ProjectPage } from '../report/whole-store.js';

/** The absolute --report path, its folder writable: checked before anything is copied. */
function writableReportPath(report: string, ctx: CliContext): string {
  const path = resolve(ctx.cwd, report);
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new UsageError(`--report ${path}: cannot write in ${dirname(path)}`);
  }
  return path;
}

export interface OneProjectCopy {
  settle(args: CopyArgs, ctx: CliContext): Promise<CopySettings>;
  copySettled(settings: CopySettings, ctx: CliContext): Promise<number>;
}

/** A pass of --watch: its control, and the time that names the logs every pass appends to. */
export interface WatchPass {
  control: WatchControl;
  logStamp: Date;
}

/** Stands for "every project" until the source has listed them. */
const EVERY_PROJECT: ProjectRef = { workspace: 'default', project: '*' };

/** One project's section of the whole-store report. */
interface ProjectSection {
  project: string;
  exitCode: number;
  /** The project's own report (every run), beside its log. */
  report?: string;
  summary?: CopyReport['summary'];
  models?: NonNullable<CopyReport['models']>['summary'];
  failedRuns?: Array<{ sourceRunId: string; reason: string }>;
  /** verify's verdict and counts for the project (--verify, --html). */
  verify?: CollectedReport['verify'];
  /** Why the project was not copied at all (e.g. its workspace could not be created). */
  error?: string;
}

export async function copyAllProjects(args: CopyArgs, ctx: CliContext, copy: OneProjectCopy, watch?: WatchPass): Promise<number> {
  if (args.sourceProject || args.targetProject) {
    throw new UsageError('--all-projects copies every project into the project of the same name: leave out --source-project and --target-project');
  }
  if (args.logFile) {
    throw new UsageError('--all-projects writes a log and a report per project, named after it: leave out --log-file');
  }
  // --report and --html name the whole-store report and page; each project's report keeps its own name.
  const wholeReportPath = args.report !== undefined ? writableReportPath(args.report, ctx) : undefined;
  const htmlPath = args.dryRun ? undefined : htmlReportPath(args.html, ctx.cwd);
  if (args.empty) throw new UsageError('--all-projects needs --source-uri (or MLFLOW_TRACKING_URI) and --target-uri');
  const settings = await copy.settle({ ...args, sourceProject: EVERY_PROJECT, targetProject: EVERY_PROJECT }, ctx);
  const gentle = args.maxRps !== undefined ? { maxRps: args.maxRps } : {};
  const source = await ctx.openStore(settings.sourceUri, { credentials: settings.sourceCredentials, role: 'source', ...gentle });
  let projects: ProjectRef[];
  try {
    if (!source.listProjects) {
      throw new UsageError(`--all-projects: ${source.kind} stores cannot list their projects; copy them one at a time with --source-project and --target-project`);
    }
    projects = await source.listProjects({ workspaces: args.allWorkspaces ? 'all' : [DEFAULT_WORKSPACE] });
  } finally {
    await source.close();
  }
  const say = (text: string) => (args.json ? ctx.term.err(text) : ctx.term.out(text));
  say(`${projects.length} project(s) in ${source.displayUri}: ${projects.map(formatProjectRef).join(', ')}`);

  const started = ctx.now();
  const sections: ProjectSection[] = [];
  const pages: ProjectPage[] = [];
  const unusable = args.dryRun ? new Map<string, string>() : await prepareWorkspaces(projects, settings, ctx, say);

  let code: number = EXIT.ok;
  const unclean: string[] = [];
  for (const project of projects) {
    const name = formatProjectRef(project);
    say(`== ${name}`);
    const blocked = unusable.get(project.workspace);
    if (blocked !== undefined) {
      say(`${name}: not copied: ${blocked}`);
      sections.push({ project: name, exitCode: EXIT.runsFailed, error: blocked });
      pages.push({ project: name, exitStatus: EXIT.runsFailed, error: blocked });
      unclean.push(name);
      if (code === EXIT.ok) code = EXIT.runsFailed;
      continue;
    }
    const reports: CollectedReport[] = [];
    // Under --watch every pass appends to the same per-project log (named after the watch's start).
    const logFile = watch && !args.dryRun ? defaultLogName(project, project, watch.logStamp) : undefined;
    const { report: _wholeReport, ...projectArgs } = settings.args;
    const projectSettings: CopySettings = {
      ...settings,
      args: {
        ...projectArgs,
        ...(logFile ? { logFile } : {}),
        // Relocation: each project's files in a folder of its own below the given location.
        ...(args.targetArtifactLocation !== undefined ? { targetArtifactLocation: childUri(args.targetArtifactLocation, project.workspace, project.project) } : {}),
      },
      sourceProject: project,
      targetProject: project,
      collect: reports,
      ...(watch ? { watch: watch.control } : {}),
    };
    const result = await copy.copySettled(projectSettings, ctx);
    sections.push(section(name, result, reports[0]));
    if (htmlPath) pages.push({ project: name, exitStatus: result, ...(reports[0]?.html ? { data: reports[0].html } : {}) });
    if (result !== EXIT.ok) {
      unclean.push(name);
      if (code === EXIT.ok) code = result;
    }
    if (result === EXIT.interrupted || result === EXIT.terminated) break;
    if (watch?.control.stopRequested) {
      const left = projects.length - sections.length;
      if (left > 0) say(`${watch.control.stopRequested}: stopping after ${name}; ${left} project(s) not copied in this pass`);
      break;
    }
  }
  if (!args.dryRun) {
    const path = wholeReportPath ?? resolve(ctx.cwd, `all-projects_${fileTimestamp(watch?.logStamp ?? started)}.json`);
    const whole = {
      tool: 'runs-migrator',
      kind: 'all-projects',
      version: ctx.version,
      source: source.displayUri,
      startedAt: started.toISOString(),
      finishedAt: ctx.now().toISOString(),
      allWorkspaces: args.allWorkspaces,
      projects: sections,
    };
    writePrivateFile(path, ctx.term.redact(JSON.stringify(whole, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)) + '\n', `report ${path}`);
    say(`Whole-store report at ${path}`);
  }
  if (htmlPath) {
    const label = `${projects.length} project(s)${args.allWorkspaces ? ', every workspace' : ''}`;
    const page = wholeStoreReport({
      version: ctx.version,
      createdAt: ctx.now().toISOString(),
      source: { uri: source.displayUri, kind: source.kind },
      target: { uri: settings.targetUri, kind: '' },
      label,
      durationMs: ctx.now().getTime() - started.getTime(),
      exitStatus: code,
      projects: pages,
    });
    writeHtmlFile(htmlPath, page, ctx, args.json);
  }
  say(
    unclean.length === 0
      ? `All ${projects.length} project(s) done`
      : `${projects.length - unclean.length} of ${projects.length} project(s) done; not clean: ${unclean.join(', ')}`,
  );
  return code;
}

/**
 * Creates the workspaces the target lacks (where it can). Returns the workspaces that cannot be
 * used, with the reason: their projects are reported as not copied, the others go ahead.
 */
async function prepareWorkspaces(
  projects: readonly ProjectRef[],
  settings: CopySettings,
  ctx: CliContext,
  say: (text: string) => void,
): Promise<Map<string, string>> {
  const unusable = new Map<string, string>();
  const names = [...new Set(projects.map((p) => p.workspace))].filter((w) => w !== DEFAULT_WORKSPACE);
  if (names.length === 0) return unusable;
  const gentle = settings.args.maxRps !== undefined ? { maxRps: settings.args.maxRps } : {};
  const target = await ctx.openStore(settings.targetUri, { credentials: settings.targetCredentials, role: 'target', ...gentle });
  try {
    for (const name of names) {
      if (!target.ensureWorkspace) {
        unusable.set(name, `${target.kind} stores have only the default workspace; workspace '${name}' cannot be created there`);
        continue;
      }
      try {
        if ((await target.ensureWorkspace(name)) === 'created') say(`Created workspace '${name}' on ${target.displayUri}`);
      } catch (error) {
        unusable.set(name, `workspace '${name}' is missing on ${target.displayUri} and cannot be created: ${errorMessage(error)}`);
      }
    }
  } finally {
    await target.close();
  }
  return unusable;
}

function section(project: string, exitCode: number, collected: CollectedReport | undefined): ProjectSection {
  const out: ProjectSection = { project, exitCode };
  if (!collected) return out;
  const { report, reportPath } = collected;
  if (reportPath) out.report = reportPath;
  out.summary = report.summary;
  if (collected.verify) out.verify = collected.verify;
  if (report.models) out.models = report.models.summary;
  const failed = report.runs.filter((run) => run.outcome === 'failed').map((run) => ({ sourceRunId: run.sourceRunId, reason: run.reason ?? 'unknown error' }));
  if (failed.length > 0) out.failedRuns = failed;
  return out;
}
