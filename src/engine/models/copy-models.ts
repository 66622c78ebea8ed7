/**
 * Logged models and run<->model links, after the runs (copy-project.ts calls this once every run
 * is done). Order, and why:
 *
 * 1. Runs first (with their own completion markers): a model's `source_run_id` can only be set at
 *    creation, and it must name the run's copy.
 * 2. Models: each is created with the remapped source run, provenance tags and params, then its
 *    files, its metrics (run ids remapped), its final status, and the completion marker last. A
 *    complete copy is skipped on a re-run; a partial one is discarded and copied again.
 * 3. Links: a run copy's `model_outputs` / `model_inputs` are written after the models exist,
 *    with the models' new ids. Links are not part of a run's completion marker: this step runs on
 *    every copy for every selected run with a copy, and only adds the links the copy lacks, so a
 *    crash between steps is repaired by the next run. Links to models that were not copied are
 *    reported and kept as JSON in old_sys/model_outputs / old_sys/model_inputs.
 *
 * Without a run filter every model of the experiment is copied, also those without a source run
 * or whose run is not copied (deleted); with a filter (or a shard), models follow their source run.
 * A run copy that is deleted takes no writes on an MLflow server: its links are reported as not
 * written (skipped), not as a failure.
 */
import type { SourceProject, Store, TargetProject } from '../../backends/contract.js';
import {
  readRunLinks,
  sourceModelsOf,
  targetModelsOf,
  type LoggedModelInfo,
  type ModelCopyRecord,
  type ModelLinks,
  type ModelMetric,
  type SourceModels,
  type TargetModel,
  type TargetModels,
} from '../../backends/model-contract.js';
import { LINK_PROVENANCE, MODEL_PROVENANCE, MODEL_PROVENANCE_KEYS, MODEL_VERSIONS_TAG } from '../../model/model-provenance.js';
import type { KeyValue, RunInfo } from '../../model/run.js';
import { errorMessage } from '../../util/errors.js';
import { counted, failOnLostData } from '../runs/copy-run.js';
import { emptyModelCounts, type LinkResult, type ModelResult } from './model-types.js';
import { unsafePathReason } from '../paths.js';
import { runPool } from '../pool.js';
import { PROVENANCE } from '../../model/provenance.js';
import type { ModelCopyReader } from './model-copy-reader.js';
import { modelCopyMayBeBehind, syncModel, type ModelSync } from './sync-model.js';
import { prepareValues, type Provenance } from '../runs/prepare.js';
import type { RunIssue } from '../types.js';

export interface ModelCopyContext {
  source: SourceProject;
  targetStore: Store;
  /** Undefined in a dry run (or when the target project does not exist yet). */
  target: TargetProject | undefined;
  dryRun: boolean;
  origin: Provenance;
  /** The selected runs (after filters and shard). */
  runs: RunInfo[];
  /** Which models go with the selected runs (project-models.ts modelSelector). */
  selectModel(info: LoggedModelInfo): boolean;
  /** Source run id -> target run id of its complete copy (this copy's and earlier ones). */
  runCopies: Map<string, string>;
  /** Every run the source listed (before filters and shard). */
  listedRunIds: { has(runId: string): boolean };
  workers: number;
  onBytes(bytes: number): void;
  onModelDone?(result: ModelResult): void;
  signal?: AbortSignal;
  /** A re-run brings complete copies up to date (sync-model.ts); false: `--no-update`, a snapshot. */
  update?: boolean;
  /** Reads copies back for that (undefined: no sync of models). */
  copyReader?: ModelCopyReader;
}

export interface ModelCopyOutcome {
  models: ModelResult[];
  links: LinkResult[];
  /** Source model id -> target model id of a complete copy (for links and the registry). */
  modelCopies: Map<string, string>;
}

export async function copyModels(context: ModelCopyContext): Promise<ModelCopyOutcome | undefined> {
  const sourceModels = sourceModelsOf(context.source);
  if (!sourceModels) return undefined;
  const listed: LoggedModelInfo[] = [];
  let projectModels = 0;
  for await (const info of sourceModels.listModels()) {
    projectModels++;
    if (context.selectModel(info)) listed.push(info);
  }
  const targetModels = targetModelsOf(context.target);
  const modelCopies = new Map<string, string>();
  const models: ModelResult[] = new Array(listed.length);

  if (!context.dryRun && !targetModels) {
    const reason = `${context.targetStore.kind} stores cannot hold MLflow logged models`;
    listed.forEach((info, i) => (models[i] = { ...baseResult(info), outcome: 'unsupported', reason }));
    // The runs' links are listed too, so that none is dropped silently.
    const links = projectModels > 0 ? await linkRuns(context, undefined, modelCopies) : [];
    for (const link of links) Object.assign(link, { outcome: 'skipped', reason: `${context.targetStore.kind} stores cannot hold links to logged models` });
    return { models, links, modelCopies };
  }

  const copies = await copiesBySourceModel(targetModels, context.origin.sourceProject);
  const selectedRuns = new Set(listed.length > 0 ? context.runs.map((run) => run.runId) : []);
  await runPool(listed, context.workers, async (info, index) => {
    const result = await copyOneModel(context, sourceModels, targetModels, info, copies.get(info.modelId) ?? [], selectedRuns);
    if (result.targetModelId && (result.outcome === 'copied' || result.outcome === 'skipped' || result.outcome === 'updated')) modelCopies.set(info.modelId, result.targetModelId);
    models[index] = result;
    context.onModelDone?.(result);
  });
  // Complete copies of models not selected this time still resolve links (an earlier copy).
  for (const [sourceId, list] of copies) {
    const done = list.find((copy) => copy.complete);
    if (done && !modelCopies.has(sourceId)) modelCopies.set(sourceId, done.targetModelId);
  }
  // Links are looked up (one more read per run) only in a project that has logged models.
  const links = projectModels > 0 ? await linkRuns(context, targetModels, modelCopies) : [];
  return { models, links, modelCopies };
}

function baseResult(info: LoggedModelInfo): ModelResult {
  return {
    sourceModelId: info.modelId,
    name: info.name,
    ...(info.sourceRunId ? { sourceRunId: info.sourceRunId } : {}),
    outcome: 'planned',
    counts: emptyModelCounts(),
    issues: [],
  };
}

async function copiesBySourceModel(target: TargetModels | undefined, sourceProject: string): Promise<Map<string, ModelCopyRecord[]>> {
  const out = new Map<string, ModelCopyRecord[]>();
  if (!target) return out;
  for await (const copy of target.listModelCopies()) {
    if (copy.sourceProject !== sourceProject) continue;
    out.set(copy.sourceModelId, [...(out.get(copy.sourceModelId) ?? []), copy]);
  }
  return out;
}

async function copyOneModel(
  context: ModelCopyContext,
  source: SourceModels,
  target: TargetModels | undefined,
  info: LoggedModelInfo,
  copies: ModelCopyRecord[],
  selectedRuns: Set<string>,
): Promise<ModelResult> {
  const result = baseResult(info);
  const complete = copies.filter((copy) => copy.complete);
  const partial = copies.filter((copy) => !copy.complete);
  try {
    if (complete.length > 0) {
      const kept = complete[0]!;
      const notes = [`already copied to ${kept.targetModelId}`];
      if (complete.length > 1) notes.push(`duplicate complete copies: ${complete.slice(1).map((c) => c.targetModelId).join(', ')}`);
      if (!context.dryRun && target) for (const leftover of partial) await target.discardModel(leftover.targetModelId);
      if (context.update && context.copyReader && target?.openModelCopy && modelCopyMayBeBehind(info.stateToken, kept)) {
        return await syncOneModel(context, source, target, info, kept, { ...result, targetModelId: kept.targetModelId });
      }
      return { ...result, targetModelId: kept.targetModelId, outcome: 'skipped', reason: notes.join('; ') };
    }
    context.signal?.throwIfAborted();
    const discarded: string[] = [];
    if (!context.dryRun && target) {
      for (const leftover of partial) {
        await target.discardModel(leftover.targetModelId);
        discarded.push(leftover.targetModelId);
      }
    }
    if (discarded.length) result.discarded = discarded;
    // A model whose run is being copied but failed waits for it: made now, it would keep no link.
    if (!context.dryRun && info.sourceRunId && !context.runCopies.has(info.sourceRunId) && selectedRuns.has(info.sourceRunId)) {
      throw new Error(`its source run ${info.sourceRunId} failed to copy; the model is copied with it on the next copy`);
    }
    const model = await source.openModel(info);
    const [params, tags, metrics] = await Promise.all([model.params(), model.tags(), model.metrics()]);
    const { issues } = result;
    const values = prepareValues(params, modelTags(tags, issues), context.targetStore, undefined, issues);
    const targetRunId = info.sourceRunId ? context.runCopies.get(info.sourceRunId) : undefined;
    const provenance = modelProvenance(info, context.origin);
    if (info.sourceRunId && !targetRunId) {
      provenance.push({ key: MODEL_PROVENANCE.sourceRunId, value: info.sourceRunId });
      issues.push({ field: 'source_run_id', action: 'dropped', reason: `source run ${info.sourceRunId} was not copied; its id is kept in ${MODEL_PROVENANCE.sourceRunId}` });
    }
    const rows = modelMetrics(metrics, context, issues);

    const copy =
      context.dryRun || !target
        ? undefined
        : await target.createModel({
            name: info.name,
            ...(info.modelType ? { modelType: info.modelType } : {}),
            ...(targetRunId ? { sourceRunId: targetRunId } : {}),
            params: values.params,
            // The source's state token from the start: the next pass need not open an unchanged model.
            tags: [...provenance, ...values.tags, ...(info.stateToken !== undefined ? [{ key: PROVENANCE.sourceState, value: info.stateToken }] : [])],
          });
    result.targetModelId = copy?.modelId;
    result.counts.params = values.params.length;
    result.counts.tags = provenance.length + values.tags.length;

    for await (const file of model.files()) {
      context.signal?.throwIfAborted();
      const unsafe = unsafePathReason(file.path);
      const refused = unsafe ? `unsafe artifact path from the source: ${unsafe}` : context.targetStore.rejectPath?.(file.path);
      if (refused) {
        issues.push({ field: 'file', key: file.path, action: 'dropped', reason: refused });
        continue;
      }
      if (copy) await copy.writeFile(file.path, counted(await model.openFile(file.path), file.size, file.path, context.onBytes), file.size);
      else context.onBytes(file.size);
      result.counts.files++;
      result.counts.bytes += file.size;
    }
    if (copy && rows.length) await logModelMetrics(context, copy, rows, issues);
    result.counts.metrics = rows.length;
    const readIssues = model.readIssues?.() ?? [];
    for (const issue of readIssues) issues.push({ field: issue.field, action: 'dropped', reason: issue.reason });
    failOnLostData(readIssues);
    if (info.status === 'PENDING') issues.push({ field: 'status', action: 'mapped', reason: 'the source model is still PENDING (never finalised); the copy stays PENDING' });
    if (copy) await copy.finish(info.status, { key: MODEL_PROVENANCE.completed, value: new Date().toISOString() });
    result.outcome = context.dryRun ? 'planned' : 'copied';
  } catch (error) {
    result.outcome = 'failed';
    result.reason = errorMessage(error);
  }
  return result;
}

/** A complete copy whose source's token moved: compared and brought up to date (sync-model.ts). */
async function syncOneModel(
  context: ModelCopyContext,
  source: SourceModels,
  target: TargetModels,
  info: LoggedModelInfo,
  kept: ModelCopyRecord,
  result: ModelResult,
): Promise<ModelResult> {
  const sync: ModelSync = { changes: [], conflicts: [], problems: [], counts: result.counts, issues: result.issues };
  const [model, copy, editor] = await Promise.all([source.openModel(info), context.copyReader!.open(kept.targetModelId), target.openModelCopy!(kept.targetModelId)]);
  await syncModel({ targetStore: context.targetStore, editor, dryRun: context.dryRun, runCopies: context.runCopies, onBytes: context.onBytes, signal: context.signal }, model, copy, info.stateToken, sync);
  const readIssues = [...(model.readIssues?.() ?? [])];
  for (const issue of readIssues) result.issues.push({ field: issue.field, action: 'dropped', reason: issue.reason });
  if (sync.changes.length > 0) result.changes = sync.changes;
  if (sync.conflicts.length > 0) {
    return { ...result, conflicts: sync.conflicts, outcome: 'failed', reason: `params changed in the source, the copy was left as it is: ${sync.conflicts.join('; ')}` };
  }
  const lost = readIssues.filter((issue) => issue.lost).map((issue) => `${issue.field}: ${issue.reason}`);
  if (sync.problems.length > 0 || lost.length > 0) return { ...result, outcome: 'failed', reason: `not brought fully up to date: ${[...sync.problems, ...lost].join('; ')}` };
  if (sync.changes.length === 0) return { ...result, outcome: 'skipped', reason: `already copied to ${kept.targetModelId}, up to date` };
  return { ...result, outcome: context.dryRun ? 'planned' : 'updated', reason: `${context.dryRun ? 'would update' : 'updated'}: ${sync.changes.join('; ')}` };
}

/**
 * Model metrics are logged through their run; a deleted run copy may take no writes (MLflow
 * server): its rows are tried apart and, when refused, reported instead of failing the model.
 */
async function logModelMetrics(context: ModelCopyContext, copy: TargetModel, rows: ModelMetric[], issues: RunIssue[]): Promise<void> {
  const deleted = new Set(context.runs.filter((run) => run.deleted).map((run) => context.runCopies.get(run.runId)));
  const live = rows.filter((row) => !deleted.has(row.runId));
  const dead = rows.filter((row) => deleted.has(row.runId));
  if (live.length) await copy.logMetrics(live);
  if (dead.length) {
    try {
      await copy.logMetrics(dead);
    } catch (error) {
      issues.push({ field: 'metric', action: 'dropped', reason: `${dead.length} metric row(s) logged by deleted runs: the deleted run copies take no writes (${errorMessage(error)})` });
    }
  }
}

function modelProvenance(info: LoggedModelInfo, origin: Provenance): KeyValue[] {
  const tags: KeyValue[] = [
    { key: MODEL_PROVENANCE.modelId, value: info.modelId },
    { key: MODEL_PROVENANCE.project, value: origin.sourceProject },
    { key: MODEL_PROVENANCE.uri, value: origin.sourceUri },
  ];
  if (info.experimentId) tags.push({ key: MODEL_PROVENANCE.experimentId, value: info.experimentId });
  if (info.artifactUri) tags.push({ key: MODEL_PROVENANCE.artifactUri, value: info.artifactUri });
  if (info.creationTime !== undefined) tags.push({ key: MODEL_PROVENANCE.creationTime, value: String(info.creationTime) });
  return tags;
}

/** Source tags minus what belongs to an earlier copy or to the registry (each reported). */
function modelTags(tags: KeyValue[], issues: RunIssue[]): KeyValue[] {
  return tags.filter((tag) => {
    if (tag.key === MODEL_VERSIONS_TAG) {
      issues.push({ field: 'tag', key: tag.key, action: 'mapped', reason: `kept by the registry itself: rebuilt by copy --registry when the versions are copied (was "${tag.value}")` });
      return false;
    }
    if (MODEL_PROVENANCE_KEYS.has(tag.key)) {
      issues.push({ field: 'tag', key: tag.key, action: 'mapped', reason: `replaced by this copy's provenance (was "${tag.value}")` });
      return false;
    }
    return true;
  });
}

/**
 * Metrics with their run remapped. A row whose run was not copied cannot be logged (MLflow logs a
 * model metric through its run) and is reported; exact duplicate rows (the file store appends one
 * per log_model call) are written once and reported.
 */
function modelMetrics(metrics: ModelMetric[], context: ModelCopyContext, issues: RunIssue[]): ModelMetric[] {
  const seen = new Set<string>();
  const out: ModelMetric[] = [];
  let duplicates = 0;
  for (const metric of metrics) {
    const runId = metric.runId ? context.runCopies.get(metric.runId) : undefined;
    // A run of the project that is not copied yet (another shard, or its copy failed): wait for it.
    if (!runId && !context.dryRun && metric.runId && context.listedRunIds.has(metric.runId)) {
      throw new Error(`its metric ${metric.key} was logged by run ${metric.runId}, which has no copy yet (another shard, or its copy failed); the model is copied once it has`);
    }
    if (!runId) {
      issues.push({
        field: 'metric',
        key: metric.key,
        action: 'dropped',
        reason: metric.runId ? `logged by run ${metric.runId}, which was not copied` : 'logged without a run; MLflow logs model metrics through a run',
      });
      continue;
    }
    const id = JSON.stringify([metric.key, metric.value, metric.timestamp, String(metric.step), runId, metric.datasetName ?? '', metric.datasetDigest ?? '']);
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    out.push({ ...metric, runId });
  }
  if (duplicates) issues.push({ field: 'metric', action: 'mapped', reason: `${duplicates} exact duplicate metric row(s) written once` });
  return out;
}

async function linkRuns(context: ModelCopyContext, target: TargetModels | undefined, modelCopies: Map<string, string>): Promise<LinkResult[]> {
  const results: LinkResult[] = [];
  await runPool(context.runs, context.workers, async (info) => {
    const targetRunId = context.runCopies.get(info.runId);
    if (!targetRunId && !context.dryRun) return;
    let links: ModelLinks | undefined;
    const result: LinkResult = { sourceRunId: info.runId, ...(targetRunId ? { targetRunId } : {}), outcome: 'linked', outputs: 0, inputs: 0, unresolved: [] };
    try {
      links = await readRunLinks(context.source, info);
      if (!links || (links.outputs.length === 0 && links.inputs.length === 0)) return;
      const remapped: ModelLinks = { outputs: [], inputs: [] };
      const lostOutputs: Array<{ model_id: string; step: string }> = [];
      const lostInputs: Array<{ model_id: string }> = [];
      for (const output of links.outputs) {
        const id = modelCopies.get(output.modelId);
        if (id) remapped.outputs.push({ modelId: id, step: output.step });
        else {
          lostOutputs.push({ model_id: output.modelId, step: String(output.step) });
          result.unresolved.push({ kind: 'output', modelId: output.modelId });
        }
      }
      for (const input of links.inputs) {
        const id = modelCopies.get(input.modelId);
        if (id) remapped.inputs.push({ modelId: id });
        else {
          lostInputs.push({ model_id: input.modelId });
          result.unresolved.push({ kind: 'input', modelId: input.modelId });
        }
      }
      const tags: KeyValue[] = [];
      if (lostOutputs.length) tags.push({ key: LINK_PROVENANCE.outputs, value: JSON.stringify(lostOutputs) });
      if (lostInputs.length) tags.push({ key: LINK_PROVENANCE.inputs, value: JSON.stringify(lostInputs) });
      result.outputs = remapped.outputs.length;
      result.inputs = remapped.inputs.length;
      if (context.dryRun || !target || !targetRunId) result.outcome = 'planned';
      else {
        try {
          await target.linkRun(targetRunId, remapped, tags);
        } catch (error) {
          if (!info.deleted) throw error;
          result.outcome = 'skipped';
          result.reason = `the run copy is deleted and takes no more writes here; its model links are not written (${errorMessage(error)})`;
          results.push(result);
          return;
        }
      }
      if (result.unresolved.length) result.reason = 'links to models that were not copied: old ids kept in old_sys/model_outputs / old_sys/model_inputs';
    } catch (error) {
      result.outcome = 'failed';
      result.reason = errorMessage(error);
    }
    results.push(result);
  });
  return results.sort((a, b) => (a.sourceRunId < b.sourceRunId ? -1 : 1));
}
