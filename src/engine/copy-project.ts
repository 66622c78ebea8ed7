/**
 * plan -> copy: every run of one project into another, exactly once.
 *
 * 1. Check the request (source != target, capabilities) before anything is written.
 * 2. List the source runs (a snapshot of their infos), apply filters and the shard.
 * 3. Open (or create) the target project and list the copies already there by provenance.
 * 4. Per run, parents first, `workers` at a time: a complete copy is skipped; partial copies are
 *    discarded and the run is copied again; the parent link is remapped to the parent's copy.
 * A re-run therefore converges like rsync: done runs are skipped, partial ones redone, new ones
 * copied.
 */
import type { CopyRecord, SourceProject, TargetProject } from '../backends/contract.js';
import { formatProjectRef } from '../model/project-ref.js';
import type { RunInfo } from '../model/run.js';
import { UsageError, errorMessage } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { copyRun, emptyCounts, type RunCopy } from './runs/copy-run.js';
import { inShard, matchesInfo, matchesTags, rootOf } from './filters.js';
import { parentsFirst } from './order.js';
import { checkRegistryRequest, copyProjectModels } from './models/project-models.js';
import { copyProjectTraces } from './traces/project-traces.js';
import { copyProjectScorers } from './scorers/project-scorers.js';
import { copyProjectDatasets } from './datasets/project-datasets.js';
import { runAdaptivePool } from './adaptive-pool.js';
import { Deferred, runPool } from './pool.js';
import { summarise } from './report.js';
import { CopyReader, copyMayBeBehind, emptySync, syncCopy } from './runs/sync-copy.js';
import type { CopyEvent, CopyOptions, CopyReport, ProjectIssue, RunCounts, RunFilters, RunIssue, RunOutcome, RunResult } from './types.js';

/** What a child needs to know of its parent's copy. */
interface ParentCopy {
  targetRunId?: string;
  failed?: boolean;
}

export async function copyProject(options: CopyOptions): Promise<CopyReport> {
  const startedAt = new Date();
  const { source, target } = options;
  const dryRun = options.dryRun ?? false;
  const filters: RunFilters = options.filters ?? {};
  const workers = Math.max(1, options.workers ?? 4);
  const emit = (event: CopyEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A broken progress display must not break the migration.
    }
  };
  const sourceName = formatProjectRef(source.project);
  const targetName = formatProjectRef(target.project);

  if (source.store.identity === target.store.identity && sourceName === targetName) {
    throw new UsageError(`source and target are the same project (${sourceName} on ${source.store.displayUri}); choose another target project`);
  }
  if (!source.store.capabilities.read) throw new UsageError(`${source.store.kind} stores cannot be read`);
  if (!target.store.capabilities.write) {
    throw new UsageError(`${target.store.kind} stores cannot be written to; choose an mlruns folder, an MLflow server or a neptune-export archive as target`);
  }
  checkRegistryRequest(source.store, target.store, options.registry, !dryRun);
  if (filters.nativeFilter && !source.store.capabilities.nativeFilter) {
    throw new UsageError(`--filter takes an MLflow search filter, which ${source.store.kind} sources do not understand`);
  }

  const sourceProject = await source.store.openSource(source.project);
  try {
    return await copyListedRuns(options, sourceProject, { startedAt, dryRun, filters, workers, emit, sourceName, targetName });
  } finally {
    await sourceProject.close?.();
  }
}

/** What copyProject worked out before it opened the source project. */
interface CopySetup {
  startedAt: Date;
  dryRun: boolean;
  filters: RunFilters;
  workers: number;
  emit(event: CopyEvent): void;
  sourceName: string;
  targetName: string;
}

async function copyListedRuns(options: CopyOptions, sourceProject: SourceProject, setup: CopySetup): Promise<CopyReport> {
  const { source, target, signal } = options;
  const { startedAt, dryRun, filters, workers, emit, sourceName, targetName } = setup;
  const update = options.update ?? true;
  // A sync also lists the source's deleted runs, to follow a deletion into the copy (sync-copy.ts).
  const followDeletions = update && !(options.includeDeleted ?? false);
  const includeDeleted = options.includeDeleted ?? false;
  const listing: RunInfo[] = [];
  const runs = sourceProject.listRuns({ includeDeleted: includeDeleted || followDeletions, filter: filters.nativeFilter })[Symbol.asyncIterator]();
  // The source's first page answers for the request (a refused filter, a missing experiment):
  // only then is the target opened (created) and its copies listed, while the source listing goes
  // on - the two servers work at the same time instead of one after the other.
  const first = await runs.next();
  const opening = openTargetCopies(options, sourceProject, dryRun, sourceName);
  opening.catch(() => undefined); // awaited below; a failed source listing must not leave it unhandled
  for (let next = first; !next.done; next = await runs.next()) listing.push(next.value);
  const { existing, copies } = await opening;
  // Deleted source runs listed only to be followed stay in the plan only where a live copy has to
  // follow them; the rest of the copy sees the listing the user asked for.
  const listed = includeDeleted ? listing : listing.filter((info) => !info.deleted);
  const followed = followDeletions
    ? listing.filter((info) => info.deleted && Boolean(copies.get(info.runId)?.some((copy) => copy.complete && !copy.deleted)))
    : [];
  const byId = new Map(listed.map((info) => [info.runId, info]));

  let filteredOut = 0;
  let outOfShard = 0;
  const selected: RunInfo[] = [];
  for (const info of [...listed, ...followed]) {
    if (!matchesInfo(info, filters)) filteredOut++;
    else if (!inShard(rootOf(info, byId), options.shard)) outOfShard++;
    else selected.push(info);
  }
  const tagFiltered = await applyTagFilter(sourceProject, selected, filters);
  filteredOut += selected.length - tagFiltered.length;

  const reader = new CopyReader(target.store, target.project);
  const projectChanges = update && !dryRun && existing?.updateMeta ? await existing.updateMeta(sourceProject.meta) : [];
  for (const change of projectChanges) emit({ type: 'info', message: `Updated the target project: ${change}` });

  const ordered = parentsFirst(tagFiltered);
  const alreadyDone = ordered.filter((info) => copies.get(info.runId)?.some((copy) => copy.complete)).length;
  const projectIssues: ProjectIssue[] = [
    ...(sourceProject.issues ?? []).map((issue) => ({ side: 'source' as const, ...issue })),
    ...(existing?.issues ?? []).map((issue) => ({ side: 'target' as const, ...issue })),
  ];
  emit({ type: 'plan', toCopy: ordered.length - alreadyDone, alreadyDone, filteredOut, outOfShard, projectIssues });
  sourceProject.readAhead?.(ordered.filter((info) => !copies.get(info.runId)?.some((copy) => copy.complete)));

  // Only runs with children in the plan are waited for: a promise per run would cost ~200 bytes each.
  const parentIds = new Set<string>();
  for (const info of ordered) if (info.parentRunId) parentIds.add(info.parentRunId);
  const parents = new Map<string, Deferred<ParentCopy>>();
  for (const info of ordered) if (parentIds.has(info.runId)) parents.set(info.runId, new Deferred<ParentCopy>());
  const results: RunResult[] = new Array(ordered.length);

  const pool = options.adaptiveWorkers ? runAdaptivePool : runPool;
  await pool(ordered, workers, async (info, index) => {
    const began = Date.now();
    const done = (result: RunResult, parent: ParentCopy): void => {
      result.durationMs = Date.now() - began;
      results[index] = result;
      parents.get(info.runId)?.resolve(parent);
      emit({ type: 'run-done', result, sourceProject: sourceName, targetProject: targetName });
    };

    const runCopies = copies.get(info.runId) ?? [];
    const complete = runCopies.filter((copy) => copy.complete);
    const partial = runCopies.filter((copy) => !copy.complete && !copy.deleted);

    if (complete.length > 0 && update && existing?.openCopy && copyMayBeBehind(info, complete[0]!, target.store)) {
      const kept = complete[0]!;
      const sync = emptySync();
      emit({ type: 'run-start', sourceRunId: info.runId });
      try {
        if (!dryRun) for (const leftover of partial) await existing.discardRun(leftover.targetRunId);
        const parent = await parentCopy(info, parents, copies);
        const outcome = await syncCopy(
          {
            sourceProject, target: existing, targetStore: target.store, reader, dryRun, signal,
            origin: { sourceProject: sourceName, sourceUri: source.store.displayUri },
            onProgress: (points, bytes) => emit({ type: 'progress', points, bytes }),
          },
          info, kept, parent?.targetRunId, sync,
        );
        const result = runResult(info, outcome.outcome, sync.counts, sync.issues, kept.targetRunId, outcome.reason);
        if (sync.changes.length > 0) result.changes = sync.changes;
        if (sync.conflicts.length > 0) result.conflicts = sync.conflicts;
        done(result, { targetRunId: kept.targetRunId });
      } catch (error) {
        const result = runResult(info, 'failed', sync.counts, sync.issues, kept.targetRunId, `bringing the copy up to date failed: ${errorMessage(error)}`);
        if (sync.changes.length > 0) result.changes = sync.changes;
        done(result, { targetRunId: kept.targetRunId });
      }
      return;
    }

    if (complete.length > 0) {
      const kept = complete[0]!;
      const notes = [`already copied to ${kept.targetRunId}`];
      if (complete.length > 1) notes.push(`duplicate complete copies: ${complete.slice(1).map((c) => c.targetRunId).join(', ')}`);
      try {
        if (!dryRun && existing) {
          for (const leftover of partial) await existing.discardRun(leftover.targetRunId);
          if (info.deleted && !kept.deleted && target.store.capabilities.keepsDeletedRuns) {
            await existing.deleteRun(kept.targetRunId);
            notes.push('deleted it like its source');
          }
        }
      } catch (error) {
        done(runResult(info, 'failed', emptyCounts(), [], kept.targetRunId, `repairing the copy failed: ${errorMessage(error)}`), { targetRunId: kept.targetRunId });
        return;
      }
      done(runResult(info, 'skipped', emptyCounts(), [], kept.targetRunId, notes.join('; ')), { targetRunId: kept.targetRunId });
      return;
    }

    const progress: RunCopy = { counts: emptyCounts(), issues: [] };
    if (signal?.aborted) {
      done(runResult(info, 'failed', progress.counts, [], undefined, 'not started: the migration was interrupted'), { failed: true });
      return;
    }
    emit({ type: 'run-start', sourceRunId: info.runId });
    try {
      const parent = await parentCopy(info, parents, copies);
      if (parent?.failed) throw new Error(`its parent run ${info.parentRunId} failed to copy; both are copied again on the next run`);
      const discarded: string[] = [];
      if (!dryRun && existing) {
        for (const leftover of partial) {
          await existing.discardRun(leftover.targetRunId);
          discarded.push(leftover.targetRunId);
        }
      }
      const run = await sourceProject.openRun(info);
      const parentTargetId = dryRun && parent ? (parent.targetRunId ?? `(new copy of ${info.parentRunId})`) : parent?.targetRunId;
      try {
        await copyRun(
          {
            targetStore: target.store,
            target: dryRun ? undefined : existing,
            origin: { sourceProject: sourceName, sourceUri: source.store.displayUri },
            onProgress: (points, bytes) => emit({ type: 'progress', points, bytes }),
            signal,
            stateToken: info.stateToken,
          },
          run,
          parentTargetId,
          progress,
        );
      } finally {
        await run.close?.();
      }
      const result = runResult(info, dryRun ? 'planned' : 'copied', progress.counts, progress.issues, progress.targetRunId);
      if (discarded.length > 0) result.discarded = discarded;
      done(result, { targetRunId: progress.targetRunId ?? (dryRun ? `(new copy of ${info.runId})` : undefined) });
    } catch (error) {
      done(runResult(info, 'failed', progress.counts, progress.issues, progress.targetRunId, errorMessage(error)), { failed: true });
    }
  });

  await reader.close();

  // Logged models, links and the registry come after the runs (project-models.ts says why).
  const models = await copyProjectModels({
    options, source: sourceProject, target: existing, emit, runs: ordered, results,
    listedRunIds: byId, earlierCopies: completeCopies(copies),
    origin: { sourceProject: sourceName, sourceUri: source.store.displayUri },
  });

  // Traces come after runs and models: their links point at the copies (traces/project-traces.ts).
  const traces = await copyProjectTraces({
    options, source: sourceProject, target: existing, emit, results, models, runs: ordered,
    earlierCopies: completeCopies(copies),
    origin: { sourceProject: sourceName, sourceUri: source.store.displayUri },
  });

  // Scorers belong to the experiment, not to runs (scorers/project-scorers.ts).
  const scorers = await copyProjectScorers({ options, source: sourceProject, target: existing, emit });
  // Evaluation datasets last (datasets/project-datasets.ts says why).
  const datasets = options.signal?.aborted
    ? undefined
    : await copyProjectDatasets({ options, source: sourceProject, target: existing, emit, origin: { sourceProject: sourceName, sourceUri: source.store.displayUri } });

  const retries = (source.store.retryCount?.() ?? 0) + (target.store === source.store ? 0 : (target.store.retryCount?.() ?? 0));
  return {
    tool: 'runs-migrator',
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    dryRun,
    source: { uri: source.store.displayUri, project: sourceName, kind: source.store.kind },
    target: { uri: target.store.displayUri, project: targetName, kind: target.store.kind, projectId: existing?.id },
    summary: summarise(results, { listed: listed.length, filteredOut, outOfShard, retries }),
    projectIssues,
    ...(projectChanges.length > 0 ? { projectChanges } : {}),
    runs: results,
    ...(models ? { models } : {}),
    ...(traces ? { traces } : {}),
    ...(scorers ? { scorers } : {}),
    ...(datasets ? { datasets } : {}),
  };
}

/**
 * One run's result. Every result has the same fields in the same order, so V8 gives them all one
 * hidden class: a spread with fields added after it got a class of its own per object once
 * optimised (about 400 bytes a run, kept to the end of the copy for the report).
 */
function runResult(info: RunInfo, outcome: RunOutcome, counts: RunCounts, issues: RunIssue[], targetRunId?: string, reason?: string): RunResult {
  return { sourceRunId: info.runId, sourceName: info.name, targetRunId, outcome, reason, counts, issues, durationMs: 0 };
}

async function applyTagFilter(project: SourceProject, runs: RunInfo[], filters: RunFilters): Promise<RunInfo[]> {
  if (!filters.tags || filters.tags.length === 0) return runs;
  const kept: RunInfo[] = [];
  for (const info of runs) {
    const run = await project.openRun(info);
    if (matchesTags(await run.tags(), filters)) kept.push(info);
    await run.close?.();
  }
  return kept;
}

/** Opens (creates) the target project and lists the copies it holds of the source's runs. */
async function openTargetCopies(
  options: CopyOptions,
  sourceProject: SourceProject,
  dryRun: boolean,
  sourceName: string,
): Promise<{ existing: TargetProject | undefined; copies: Map<string, CopyRecord[]> }> {
  const { target } = options;
  const existing = await target.store.openTarget(target.project, sourceProject.meta, {
    create: !dryRun,
    ...(options.targetArtifactLocation !== undefined ? { artifactLocation: options.targetArtifactLocation } : {}),
  });
  if (!dryRun && !existing) throw new Error(`${target.store.kind} did not open the target project ${formatProjectRef(target.project)}`);
  return { existing, copies: await copiesBySourceRun(existing, sourceName) };
}

async function copiesBySourceRun(target: TargetProject | undefined, sourceProject: string): Promise<Map<string, CopyRecord[]>> {
  const bySource = new Map<string, CopyRecord[]>();
  if (!target) return bySource;
  for await (const copy of target.listCopies()) {
    if (copy.sourceProject !== sourceProject) continue;
    const list = bySource.get(copy.sourceRunId) ?? [];
    list.push(copy);
    bySource.set(copy.sourceRunId, list);
  }
  return bySource;
}

/** Source run id -> target run id of the complete copies found before this copy. */
function completeCopies(copies: Map<string, CopyRecord[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [sourceRunId, list] of copies) {
    const done = list.find((copy) => copy.complete && !copy.deleted) ?? list.find((copy) => copy.complete);
    if (done) out.set(sourceRunId, done.targetRunId);
  }
  return out;
}

/** The parent's copy: one made in this migration (waited for) or a complete one from before. */
async function parentCopy(
  info: RunInfo,
  parents: Map<string, Deferred<ParentCopy>>,
  copies: Map<string, CopyRecord[]>,
): Promise<ParentCopy | undefined> {
  if (!info.parentRunId) return undefined;
  const pending = parents.get(info.parentRunId);
  if (pending) return pending.promise;
  const earlier = copies.get(info.parentRunId)?.find((copy) => copy.complete);
  return earlier ? { targetRunId: earlier.targetRunId } : undefined;
}
