/**
 * `copy --registry`: every registered model of the source workspace that has a version whose run
 * or logged model belongs to the copied project, with its description, tags and aliases, and its
 * versions with description, tags, stage, source, run and model remapped to the copies.
 *
 * - Version numbers are kept when the target model is new (or holds nothing but our copies): the
 *   backend is asked for the source number. In a model that already holds other versions each copy
 *   gets the next number; the source number is kept in the version's old_sys/model_version tag
 *   and both numbers are in the report. Aliases follow that mapping.
 * - A version is matched to its source by (old_sys/registered_model, old_sys/model_version) and
 *   counts as copied once its completion marker (written last) is there: a re-run skips it, a
 *   partial one is deleted and made again, nothing is duplicated.
 * - Versions of the model whose run and logged model are not in the project are reported as
 *   `outside` and not copied; a source the copy cannot reach (s3://..., a local path) is kept as
 *   it is and reported: its files are not copied.
 */
import type { Store } from '../../backends/contract.js';
import { registryOf, type ModelVersionInfo, type RegisteredModelInfo, type TargetRegistry, type VersionInit } from '../../backends/model-contract.js';
import { VERSION_PROVENANCE } from '../../model/model-provenance.js';
import { isPrompt, PROMPT_NOT_COPIED } from '../prompts/prompt-tags.js';
import type { KeyValue } from '../../model/run.js';
import { errorMessage } from '../../util/errors.js';
import type { RegisteredModelResult, VersionResult } from '../models/model-types.js';
import type { Provenance } from '../runs/prepare.js';
import type { CopyEvent, RunIssue } from '../types.js';

export interface RegistryCopyContext {
  sourceStore: Store;
  targetStore: Store;
  sourceWorkspace: string;
  targetWorkspace: string;
  dryRun: boolean;
  origin: Provenance;
  /** Source run id -> target run id (complete copies). */
  runCopies: Map<string, string>;
  selectedRuns: Set<string>;
  /** Source model id -> target model id (complete copies). */
  modelCopies: Map<string, string>;
  selectedModels: Set<string>;
  emit(event: CopyEvent): void;
}

const byNumber = (a: ModelVersionInfo, b: ModelVersionInfo) => Number(a.version) - Number(b.version);

export async function copyRegistry(context: RegistryCopyContext): Promise<RegisteredModelResult[]> {
  const sourceRegistry = await registryOf(context.sourceStore)?.openSourceRegistry(context.sourceWorkspace);
  if (!sourceRegistry) return [];
  const targetAccess = registryOf(context.targetStore);
  const target = context.dryRun ? undefined : await targetAccess?.openTargetRegistry?.(context.targetWorkspace);
  const results: RegisteredModelResult[] = [];
  for await (const model of sourceRegistry.listRegisteredModels()) {
    const versions = (await sourceRegistry.listVersions(model.name)).sort(byNumber);
    if (!versions.some((v) => inProject(context, v))) continue;
    if (isPrompt(model.tags)) {
      results.push({ name: model.name, outcome: 'not-copied', reason: PROMPT_NOT_COPIED, versions: [], aliases: [] });
      context.emit({ type: 'info', message: `registered model ${model.name}: not copied - ${PROMPT_NOT_COPIED}` });
      continue;
    }
    const result: RegisteredModelResult = { name: model.name, outcome: 'planned', versions: [], aliases: [] };
    results.push(result);
    if (!context.dryRun && !target) {
      result.outcome = 'failed';
      result.reason = `${context.targetStore.kind} stores cannot hold a model registry`;
      continue;
    }
    try {
      await copyRegisteredModel(context, target, model, versions, result);
    } catch (error) {
      result.outcome = 'failed';
      result.reason = errorMessage(error);
    }
    context.emit({ type: 'info', message: `registered model ${model.name}: ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}` });
  }
  return results;
}

function inProject(context: RegistryCopyContext, version: ModelVersionInfo): boolean {
  return (version.runId !== undefined && context.selectedRuns.has(version.runId)) || (version.modelId !== undefined && context.selectedModels.has(version.modelId));
}

async function copyRegisteredModel(
  context: RegistryCopyContext,
  target: TargetRegistry | undefined,
  model: RegisteredModelInfo,
  versions: ModelVersionInfo[],
  result: RegisteredModelResult,
): Promise<void> {
  const existing = target ? await target.getRegisteredModel(model.name) : undefined;
  const targetVersions = existing && target ? await target.listVersions(model.name) : [];
  const copies = new Map<string, ModelVersionInfo[]>();
  let foreign = false;
  for (const v of targetVersions) {
    const tags = new Map(v.tags.map((t) => [t.key, t.value]));
    const sourceVersion = tags.get(VERSION_PROVENANCE.version);
    if (tags.get(VERSION_PROVENANCE.registeredModel) !== model.name || sourceVersion === undefined) {
      foreign = true;
      continue;
    }
    copies.set(sourceVersion, [...(copies.get(sourceVersion) ?? []), v]);
  }
  if (target && !existing) {
    await target.createRegisteredModel(model);
    result.outcome = 'created';
  } else if (target && existing) {
    result.outcome = 'existing';
    if (model.tags.length) await target.setRegisteredModelTags(model.name, model.tags);
    if ((existing.description ?? '') !== (model.description ?? ''))
      result.reason = `the target model existed with another description ("${existing.description ?? ''}"); left as it was`;
  }
  // Numbers are kept where nobody else's versions could be in the way.
  const keepNumbers = !foreign;
  const mapping = new Map<string, string>();
  for (const version of versions) {
    const outcome = await copyVersion(context, target, version, copies.get(version.version) ?? [], keepNumbers);
    result.versions.push(outcome);
    if (outcome.targetVersion && (outcome.outcome === 'copied' || outcome.outcome === 'skipped' || outcome.outcome === 'planned'))
      mapping.set(version.version, outcome.targetVersion);
  }
  for (const { alias, version } of model.aliases) {
    const targetVersion = mapping.get(version);
    if (!targetVersion) {
      result.aliases.push({ alias, sourceVersion: version, outcome: 'skipped', reason: `version ${version} was not copied` });
      continue;
    }
    const before = existing?.aliases.find((a) => a.alias === alias)?.version;
    try {
      if (target) await target.setAlias(model.name, alias, targetVersion);
      result.aliases.push({
        alias,
        sourceVersion: version,
        targetVersion,
        outcome: target ? 'set' : 'planned',
        ...(before !== undefined && before !== targetVersion ? { reason: `moved from version ${before} of the existing target model` } : {}),
      });
    } catch (error) {
      result.aliases.push({ alias, sourceVersion: version, targetVersion, outcome: 'failed', reason: errorMessage(error) });
    }
  }
}

async function copyVersion(
  context: RegistryCopyContext,
  target: TargetRegistry | undefined,
  version: ModelVersionInfo,
  copies: ModelVersionInfo[],
  keepNumbers: boolean,
): Promise<VersionResult> {
  const result: VersionResult = { name: version.name, sourceVersion: version.version, outcome: 'planned', issues: [] };
  if (!inProject(context, version)) {
    result.outcome = 'outside';
    result.reason = `its run (${version.runId ?? 'none'}) and logged model (${version.modelId ?? 'none'}) are not in the copied project`;
    return result;
  }
  const isComplete = (v: ModelVersionInfo) => v.tags.some((t) => t.key === VERSION_PROVENANCE.completed);
  const done = copies.find(isComplete);
  try {
    if (done) {
      result.outcome = 'skipped';
      result.targetVersion = done.version;
      result.reason = `already copied as version ${done.version}`;
      return result;
    }
    // A run or model of the project that failed to copy: the version waits for it (next copy).
    if (target && version.runId && context.selectedRuns.has(version.runId) && !context.runCopies.has(version.runId))
      throw new Error(`its run ${version.runId} failed to copy; the version is copied with it on the next copy`);
    if (target && version.modelId && context.selectedModels.has(version.modelId) && !context.modelCopies.has(version.modelId))
      throw new Error(`its logged model ${version.modelId} failed to copy; the version is copied with it on the next copy`);
    if (target) for (const partial of copies) await target.deleteVersion(partial.name, partial.version);
    const init = versionInit(context, version, result.issues);
    if (!target) {
      result.targetVersion = keepNumbers ? version.version : undefined;
      return result;
    }
    // The marker is a write of its own, last: a create the client had to send twice may leave a
    // twin, which then lacks the marker and is deleted as partial by the next copy.
    result.targetVersion = await target.createVersion(init, keepNumbers ? Number(version.version) : undefined);
    if (version.stage && version.stage !== 'None') await target.setStage(version.name, result.targetVersion, version.stage);
    await target.setVersionTags(version.name, result.targetVersion, [{ key: VERSION_PROVENANCE.completed, value: new Date().toISOString() }]);
    if (version.status && version.status !== 'READY')
      result.issues.push({ field: 'status', action: 'mapped', reason: `source status ${version.status}; the server makes every new version READY` });
    result.outcome = 'copied';
    if (result.targetVersion !== version.version) result.reason = `copied as version ${result.targetVersion} (the target model already had other versions)`;
  } catch (error) {
    result.outcome = 'failed';
    result.reason = errorMessage(error);
  }
  return result;
}

/** The version's fields with its run, model and source remapped to the copies. */
function versionInit(context: RegistryCopyContext, version: ModelVersionInfo, issues: RunIssue[]): VersionInit {
  const tags: KeyValue[] = [
    { key: VERSION_PROVENANCE.registeredModel, value: version.name },
    { key: VERSION_PROVENANCE.version, value: version.version },
    { key: VERSION_PROVENANCE.uri, value: context.origin.sourceUri },
    { key: VERSION_PROVENANCE.source, value: version.source },
  ];
  const runId = version.runId ? context.runCopies.get(version.runId) : undefined;
  if (version.runId && !runId) {
    tags.push({ key: VERSION_PROVENANCE.runId, value: version.runId });
    issues.push({ field: 'run_id', action: 'dropped', reason: `run ${version.runId} was not copied; its id is kept in ${VERSION_PROVENANCE.runId}` });
  }
  const modelId = version.modelId ? context.modelCopies.get(version.modelId) : undefined;
  if (version.modelId && !modelId) {
    tags.push({ key: VERSION_PROVENANCE.modelId, value: version.modelId });
    issues.push({ field: 'model_id', action: 'dropped', reason: `logged model ${version.modelId} was not copied; its id is kept in ${VERSION_PROVENANCE.modelId}` });
  }
  for (const tag of version.tags) {
    if (tag.key.startsWith('old_sys/') || tag.key.startsWith('runs_migrator.')) {
      issues.push({ field: 'tag', key: tag.key, action: 'mapped', reason: `replaced by this copy's provenance (was "${tag.value}")` });
    } else tags.push(tag);
  }
  const source = remapSource(version, runId, modelId, issues);
  return {
    name: version.name,
    source,
    ...(runId ? { runId } : {}),
    ...(modelId ? { modelId } : {}),
    ...(version.description ? { description: version.description } : {}),
    tags,
  };
}

/**
 * `models:/<id>` and sources inside the copied run's or model's artifacts point at the copies
 * (`models:/<new id>`, `runs:/<new run>/<path>`); anything else stays as it is, reported.
 */
function remapSource(version: ModelVersionInfo, runId: string | undefined, modelId: string | undefined, issues: RunIssue[]): string {
  const source = version.source;
  if (version.modelId && modelId) {
    if (source === `models:/${version.modelId}` || new RegExp(`/models/${version.modelId}/artifacts/?$`).test(source)) return `models:/${modelId}`;
  }
  if (version.runId && runId) {
    const runs = /^runs:\/([^/]+)(\/.*)?$/.exec(source);
    if (runs && runs[1] === version.runId) return `runs:/${runId}${runs[2] ?? ''}`;
    const inRun = new RegExp(`/${version.runId}/artifacts(/.*)?$`).exec(source);
    if (inRun) return `runs:/${runId}${inRun[1] ?? ''}`;
  }
  issues.push({ field: 'source', action: 'mapped', reason: `source ${source} is not inside a copied run or logged model: kept as it is, its files were not copied` });
  return source;
}
