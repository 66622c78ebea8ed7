/**
 * verify: pairs every source run with its copy through the provenance tags and compares them
 * (verify-run.ts). Reports missing runs, duplicated copies, partial copies, copies whose source
 * is gone, and every difference. Streams like copy: one run's histories are fingerprinted, never
 * held.
 */
import type { SourceProject, SourceRun } from '../backends/contract.js';
import { formatProjectRef } from '../model/project-ref.js';
import { PROVENANCE } from '../model/provenance.js';
import type { RunInfo } from '../model/run.js';
import { UsageError, errorMessage } from '../util/errors.js';
import { VERSION } from '../util/version.js';
import { inShard, matchesInfo, rootOf } from './filters.js';
import { runPool } from './pool.js';
import { compareRun } from './runs/verify-run.js';
import type { CompareObserver } from './runs/compare-observer.js';
import { checkRegistryRequest, modelSelector } from './models/project-models.js';
import { verifyModels, type VerifyModelsReport } from './models/verify-models.js';
import { verifyTraces, type VerifyTracesReport } from './traces/verify-traces.js';
import { traceSelector } from './traces/select.js';
import { verifyScorers, type VerifyScorersReport } from './scorers/verify-scorers.js';
import { scorerSelector } from './scorers/project-scorers.js';
import { verifyDatasets, type VerifyDatasetsReport } from './datasets/verify-datasets.js';
import type { Endpoint, RunFilters, Shard } from './types.js';

export interface VerifyOptions {
  source: Endpoint;
  target: Endpoint;
  includeDeleted?: boolean;
  filters?: RunFilters;
  shard?: Shard;
  workers?: number;
  onRunChecked?: (result: VerifyRunResult) => void;
  /** Sees what is read while a run is compared (the HTML report's curves, src/report/). */
  observe?: (info: RunInfo) => CompareObserver | undefined;
  /** Also compare the registry entries copy --registry makes. */
  registry?: boolean;
}

export type VerifyStatus = 'ok' | 'missing' | 'partial' | 'duplicated' | 'different' | 'error';

export interface VerifyRunResult {
  sourceRunId: string;
  sourceName?: string;
  targetRunIds: string[];
  status: VerifyStatus;
  differences: string[];
  points: number;
  files: number;
  bytes: number;
}

export interface VerifyReport {
  tool: 'runs-migrator';
  version: string;
  command: 'verify';
  checkedAt: string;
  source: { uri: string; project: string; kind: string };
  target: { uri: string; project: string; kind: string };
  clean: boolean;
  summary: Record<VerifyStatus, number> & { runs: number; extra: number; points: number; files: number; bytes: number };
  runs: VerifyRunResult[];
  /** Copies in the target whose source run is not in the source project. */
  extra: Array<{ targetRunId: string; sourceRunId: string }>;
  /** Logged models, links and (with registry) the registry; absent when the source has no models. */
  models?: VerifyModelsReport;
  /** MLflow 3 traces (traces/verify-traces.ts); absent when neither side knows traces. */
  traces?: VerifyTracesReport;
  /** Scorers (scorers/verify-scorers.ts); absent when the source holds none. */
  scorers?: VerifyScorersReport;
  /** Evaluation datasets (datasets/verify-datasets.ts); absent when the source cannot hold them. */
  datasets?: VerifyDatasetsReport;
}

interface CopyInfo {
  targetRunId: string;
  complete: boolean;
  /** The copy as a run of the target; absent for a partial copy that is not a run yet. */
  info?: RunInfo;
}

export async function verifyProject(options: VerifyOptions): Promise<VerifyReport> {
  const { source, target } = options;
  const sourceName = formatProjectRef(source.project);
  const targetName = formatProjectRef(target.project);
  if (source.store.identity === target.store.identity && sourceName === targetName) {
    throw new UsageError('source and target are the same project: nothing to verify against');
  }
  checkRegistryRequest(source.store, target.store, options.registry, false);
  const sourceProject = await source.store.openSource(source.project);
  const targetProject = await target.store.openSource(target.project);
  try {
    return await verifyListedRuns(options, sourceProject, targetProject, sourceName, targetName);
  } finally {
    await sourceProject.close?.();
    await targetProject.close?.();
  }
}

async function verifyListedRuns(options: VerifyOptions, sourceProject: SourceProject, targetProject: SourceProject, sourceName: string, targetName: string): Promise<VerifyReport> {
  const { source, target } = options;
  const listed: RunInfo[] = [];
  for await (const info of sourceProject.listRuns({ includeDeleted: true })) listed.push(info);
  const byId = new Map(listed.map((info) => [info.runId, info]));
  const filters = options.filters ?? {};
  const selected = listed.filter(
    (info) =>
      (options.includeDeleted || !info.deleted) && matchesInfo(info, filters) && inShard(rootOf(info, byId), options.shard),
  );

  const copies = await copiesOf(target, targetProject, sourceName);
  const runs: VerifyRunResult[] = new Array(selected.length);
  await runPool(selected, options.workers ?? 4, async (info, index) => {
    const result = await verifyOne(info, copies.get(info.runId) ?? [], sourceProject, targetProject, options, copies);
    runs[index] = result;
    options.onRunChecked?.(result);
  });

  const extra: VerifyReport['extra'] = [];
  for (const [sourceRunId, list] of copies) {
    if (byId.has(sourceRunId)) continue;
    for (const copy of list) extra.push({ sourceRunId, targetRunId: copy.targetRunId });
  }

  const runCopies = new Map<string, RunInfo>();
  for (const info of selected) {
    const complete = (copies.get(info.runId) ?? []).filter((copy) => copy.complete && copy.info);
    if (complete.length === 1) runCopies.set(info.runId, complete[0]!.info!);
  }
  const models = await verifyModels({
    sourceStore: source.store, targetStore: target.store, source: sourceProject, target: targetProject,
    sourceProjectName: sourceName, sourceWorkspace: source.project.workspace, targetWorkspace: target.project.workspace,
    runs: selected, selectModel: modelSelector(filters, options.shard, byId, selected), runCopies,
    registry: options.registry ?? false, workers: options.workers ?? 4,
  });

  const traces = await verifyProjectTraces(options, sourceProject, targetProject, sourceName, runCopies, models, selected);
  const scorers = await verifyScorers({ targetStore: target.store, source: sourceProject, target: targetProject, select: scorerSelector(options) });

  const datasets = await verifyDatasets({ source: sourceProject, target: targetProject, targetKind: target.store.kind, shard: options.shard });

  const summary: VerifyReport['summary'] = {
    runs: runs.length, ok: 0, missing: 0, partial: 0, duplicated: 0, different: 0, error: 0,
    extra: extra.length, points: 0, files: 0, bytes: 0,
  };
  for (const run of runs) {
    summary[run.status]++;
    summary.points += run.points;
    summary.files += run.files;
    summary.bytes += run.bytes;
  }
  return {
    tool: 'runs-migrator',
    version: VERSION,
    command: 'verify',
    checkedAt: new Date().toISOString(),
    source: { uri: source.store.displayUri, project: sourceName, kind: source.store.kind },
    target: { uri: target.store.displayUri, project: targetName, kind: target.store.kind },
    clean: summary.ok === summary.runs && extra.length === 0 && (models?.clean ?? true) && (traces?.clean ?? true) && (scorers?.clean ?? true) && (datasets?.clean ?? true),
    summary,
    runs,
    extra,
    ...(models ? { models } : {}),
    ...(traces ? { traces } : {}),
    ...(scorers ? { scorers } : {}),
    ...(datasets ? { datasets } : {}),
  };
}

/**
 * Target runs that name a source run of `sourceName`; discarded partial copies are left out. A
 * writable target lists its copies itself (cheap, and it sees partial copies that are not runs
 * yet, like an mlruns staging folder); a read-only one is asked for every run's tags.
 */
async function copiesOf(endpoint: Endpoint, target: SourceProject, sourceName: string): Promise<Map<string, CopyInfo[]>> {
  const bySource = new Map<string, CopyInfo[]>();
  const add = (sourceRunId: string, copy: CopyInfo) => {
    const list = bySource.get(sourceRunId) ?? [];
    list.push(copy);
    bySource.set(sourceRunId, list);
  };
  const infos = new Map<string, RunInfo>();
  for await (const info of target.listRuns({ includeDeleted: true })) infos.set(info.runId, info);

  const writable = endpoint.store.capabilities.write
    ? await endpoint.store.openTarget(endpoint.project, { tags: [] }, { create: false })
    : undefined;
  if (writable) {
    for await (const copy of writable.listCopies()) {
      if (copy.sourceProject !== sourceName || (!copy.complete && copy.deleted)) continue;
      add(copy.sourceRunId, { targetRunId: copy.targetRunId, complete: copy.complete, info: infos.get(copy.targetRunId) });
    }
    return bySource;
  }
  for (const info of infos.values()) {
    const run = await target.openRun(info);
    const tags = new Map((await run.tags()).map((tag) => [tag.key, tag.value]));
    await run.close?.();
    const sourceRunId = tags.get(PROVENANCE.runId);
    if (sourceRunId === undefined || tags.get(PROVENANCE.project) !== sourceName) continue;
    const complete = tags.has(PROVENANCE.completed);
    if (!complete && info.deleted) continue;
    add(sourceRunId, { targetRunId: info.runId, complete, info });
  }
  return bySource;
}

async function verifyOne(
  info: RunInfo,
  found: CopyInfo[],
  sourceProject: SourceProject,
  targetProject: SourceProject,
  options: VerifyOptions,
  copies: Map<string, CopyInfo[]>,
): Promise<VerifyRunResult> {
  const result: VerifyRunResult = {
    sourceRunId: info.runId,
    sourceName: info.name,
    targetRunIds: found.map((copy) => copy.targetRunId),
    status: 'ok',
    differences: [],
    points: 0,
    files: 0,
    bytes: 0,
  };
  const complete = found.filter((copy) => copy.complete);
  if (found.length === 0) return { ...result, status: 'missing', differences: ['no copy in the target'] };
  if (complete.length === 0) return { ...result, status: 'partial', differences: ['the copy has no completion marker'] };
  if (complete.length > 1) return { ...result, status: 'duplicated', differences: [`${complete.length} complete copies`] };
  try {
    const parentCopy = info.parentRunId ? copies.get(info.parentRunId)?.find((copy) => copy.complete)?.targetRunId : undefined;
    const kept = complete[0]!;
    if (!kept.info) throw new Error(`the complete copy ${kept.targetRunId} is not listed as a run of the target`);
    const sourceRun: SourceRun = await sourceProject.openRun(info);
    const copyRun: SourceRun = await targetProject.openRun(kept.info);
    const comparison = await compareRun(
      sourceRun,
      copyRun,
      options.target.store,
      { sourceProject: formatProjectRef(options.source.project), sourceUri: options.source.store.displayUri },
      parentCopy,
      options.observe?.(info),
    ).finally(async () => {
      await sourceRun.close?.();
      await copyRun.close?.();
    });
    result.points = comparison.points;
    result.files = comparison.files;
    result.bytes = comparison.bytes;
    result.differences = comparison.differences;
    if (found.length > complete.length) result.differences.push(`${found.length - complete.length} partial copy(ies) left beside the complete one`);
    if (result.differences.length > 0) result.status = 'different';
  } catch (error) {
    result.status = 'error';
    result.differences.push(errorMessage(error));
  }
  return result;
}

/** Traces are compared with the links resolved to the runs and models verify paired. */
function verifyProjectTraces(
  options: VerifyOptions,
  source: SourceProject,
  target: SourceProject,
  sourceName: string,
  runCopies: Map<string, RunInfo>,
  models: VerifyModelsReport | undefined,
  selected: RunInfo[],
): Promise<VerifyTracesReport | undefined> {
  const modelCopies = new Map<string, string>();
  let selectedIds: Set<string> | undefined;
  for (const model of models?.models ?? []) if (model.targetModelIds.length === 1) modelCopies.set(model.sourceModelId, model.targetModelIds[0]!);
  return verifyTraces({
    sourceStore: options.source.store,
    targetStore: options.target.store,
    source,
    target,
    sourceProjectName: sourceName,
    links: { runCopies: new Map([...runCopies].map(([id, info]) => [id, info.runId])), modelCopies },
    workers: options.workers ?? 4,
    registry: options.registry ?? false,
    selectTrace: traceSelector(options.filters ?? {}, options.shard, () => (selectedIds ??= new Set(selected.map((run) => run.runId)))),
  });
}
