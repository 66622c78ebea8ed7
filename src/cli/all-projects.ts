/**
 * `copy --all-projects`: a whole store in one command - the move off an mlruns folder is one.
 * The source lists its active projects (Store.listProjects); each is copied into the project of
 * the same WORKSPACE/NAME in the target by the ordinary one-project copy, so exactly-once, the
 * report, the log and --verify all work per project, and a second run copies nothing.
 */
import type { CopyArgs } from './args.js';
import type { CliContext } from './context.js';
import type { CopySettings } from './copy.js';
import { EXIT } from './exit-codes.js';
import { formatProjectRef, type ProjectRef } from '../model/project-ref.js';
import { UsageError } from '../util/errors.js';
import { childUri } from '../backends/object-store/location.js';

export interface OneProjectCopy {
  settle(args: CopyArgs, ctx: CliContext): Promise<CopySettings>;
  copySettled(settings: CopySettings, ctx: CliContext): Promise<number>;
}

/** Stands for "every project" until the source has listed them. */
const EVERY_PROJECT: ProjectRef = { workspace: 'default', project: '*' };

export async function copyAllProjects(args: CopyArgs, ctx: CliContext, copy: OneProjectCopy): Promise<number> {
  if (args.sourceProject || args.targetProject) {
    throw new UsageError('--all-projects copies every project into the project of the same name: leave out --source-project and --target-project');
  }
  if (args.logFile || args.report) {
    throw new UsageError('--all-projects writes a log and a report per project, named after it: leave out --log-file and --report');
  }
  if (args.empty) throw new UsageError('--all-projects needs --source-uri (or MLFLOW_TRACKING_URI) and --target-uri');
  const settings = await copy.settle({ ...args, sourceProject: EVERY_PROJECT, targetProject: EVERY_PROJECT }, ctx);
  const source = await ctx.openStore(settings.sourceUri, { credentials: settings.sourceCredentials, role: 'source' });
  let projects: ProjectRef[];
  try {
    if (!source.listProjects) {
      throw new UsageError(`--all-projects: ${source.kind} stores cannot list their projects; copy them one at a time with --source-project and --target-project`);
    }
    projects = await source.listProjects();
  } finally {
    await source.close();
  }
  const say = (text: string) => (args.json ? ctx.term.err(text) : ctx.term.out(text));
  say(`${projects.length} project(s) in ${source.displayUri}: ${projects.map(formatProjectRef).join(', ')}`);

  let code: number = EXIT.ok;
  const unclean: string[] = [];
  for (const project of projects) {
    say(`== ${formatProjectRef(project)}`);
    // Relocation: each project's files in a folder of its own below the given location.
    const relocated = args.targetArtifactLocation !== undefined ? { ...settings.args, targetArtifactLocation: childUri(args.targetArtifactLocation, project.workspace, project.project) } : settings.args;
    const result = await copy.copySettled({ ...settings, args: relocated, sourceProject: project, targetProject: project }, ctx);
    if (result !== EXIT.ok) {
      unclean.push(formatProjectRef(project));
      if (code === EXIT.ok) code = result;
    }
    if (result === EXIT.interrupted || result === EXIT.terminated) return result;
  }
  say(
    unclean.length === 0
      ? `All ${projects.length} project(s) done`
      : `${projects.length - unclean.length} of ${projects.length} project(s) done; not clean: ${unclean.join(', ')}`,
  );
  return code;
}
