/**
 * `copy --registry`: the prompts of the copied experiment, between stores with a registry.
 *
 * Which prompts: linked-prompts.ts (the experiment association `_mlflow_experiment_ids`, and the
 * `mlflow.linkedPrompts` tags of the selected runs).
 *
 * What moves: the prompt's description, tags and aliases, and every version (template text or
 * chat, response format, model config, commit message = description, user tags: all of them are
 * version tags or fields, copied as they are). Numbers are kept where the target allows (a
 * deleted source number is skipped the way the model registry copy does it); the prompt's
 * `_mlflow_experiment_ids` names the TARGET experiments (ids of experiments not copied are left
 * out and reported). A re-run writes nothing for versions that are there already (same number,
 * same tags and description); a target version with the same number but other content is a
 * conflict, reported, never overwritten.
 */
import type { ModelVersionInfo, RegisteredModelInfo, SourceRegistry, TargetRegistry } from '../../backends/model-contract.js';
import type { KeyValue } from '../../model/run.js';
import { errorMessage } from '../../util/errors.js';
import type { CopyEvent } from '../types.js';
import { EXPERIMENT_IDS_TAG, formatExperimentIds, parseExperimentIds, remapExperimentIds } from './experiment-ids.js';
import { isPrompt } from './prompt-tags.js';

export interface PromptVersionResult {
  sourceVersion: string;
  targetVersion?: string;
  outcome: 'copied' | 'skipped' | 'planned' | 'failed';
  reason?: string;
}

export interface PromptResult {
  name: string;
  outcome: 'created' | 'existing' | 'planned' | 'failed';
  reason?: string;
  /** Fields mapped or left out, with the reason. */
  issues: string[];
  versions: PromptVersionResult[];
  aliases: Array<{ alias: string; sourceVersion: string; targetVersion?: string; outcome: 'set' | 'skipped' | 'planned' | 'failed'; reason?: string }>;
}

export interface PromptCopyContext {
  source: SourceRegistry;
  prompts: readonly RegisteredModelInfo[];
  /** Undefined on a dry run. */
  target: TargetRegistry | undefined;
  /** Source experiment id -> target experiment id, for `_mlflow_experiment_ids`. */
  experiments: Map<string, string>;
  /**
   * Source and target are one registry (same store and workspace, another experiment): the
   * prompts are there already as the very same objects, and are left exactly as they are.
   */
  sharedRegistry?: boolean;
  emit(event: CopyEvent): void;
}

export async function copyPrompts(context: PromptCopyContext): Promise<PromptResult[]> {
  const results: PromptResult[] = [];
  for (const prompt of context.prompts) {
    const result: PromptResult = { name: prompt.name, outcome: 'planned', issues: [], versions: [], aliases: [] };
    results.push(result);
    try {
      await copyPrompt(context, prompt, result);
    } catch (error) {
      result.outcome = 'failed';
      result.reason = errorMessage(error);
    }
    context.emit({ type: 'info', message: `prompt ${prompt.name}: ${result.outcome}${result.reason ? ` - ${result.reason}` : ''}` });
  }
  return results;
}

/** The prompt's tags as the target must have them: experiment ids mapped (and merged with the target's own). */
export function targetPromptTags(prompt: RegisteredModelInfo, experiments: Map<string, string>, existing: KeyValue[] | undefined, issues: string[]): KeyValue[] {
  const tags = prompt.tags.filter((t) => t.key !== EXPERIMENT_IDS_TAG);
  const source = prompt.tags.find((t) => t.key === EXPERIMENT_IDS_TAG)?.value;
  const { ids, unmapped } = remapExperimentIds(source, experiments);
  if (unmapped.length)
    issues.push(`${EXPERIMENT_IDS_TAG}: source experiment(s) ${unmapped.join(', ')} are not part of this copy; left out of the target's list`);
  const already = parseExperimentIds(existing?.find((t) => t.key === EXPERIMENT_IDS_TAG)?.value);
  const value = formatExperimentIds([...already, ...ids]);
  if (value) tags.push({ key: EXPERIMENT_IDS_TAG, value });
  return tags;
}

const sameTags = (a: KeyValue[], b: KeyValue[]) => a.length === b.length && a.every((t) => b.some((u) => u.key === t.key && u.value === t.value));

/** A version is "the same" when its tags (template, type, format, user tags) and description are. */
export function sameVersion(a: ModelVersionInfo, b: ModelVersionInfo): boolean {
  return (a.description ?? '') === (b.description ?? '') && sameTags(a.tags, b.tags);
}

async function copyPrompt(context: PromptCopyContext, prompt: RegisteredModelInfo, result: PromptResult): Promise<void> {
  const { target } = context;
  if (context.sharedRegistry) {
    // DESIGN rule 11: naming the target experiment in _mlflow_experiment_ids would write into the source.
    result.outcome = 'existing';
    result.issues.push(`source and target share this registry: the prompt is the source's own and is left exactly as it is; ${EXPERIMENT_IDS_TAG} is not given the target experiment (that would change the source prompt)`);
    for (const version of await context.source.listVersions(prompt.name)) {
      result.versions.push({ sourceVersion: version.version, targetVersion: version.version, outcome: 'skipped', reason: 'the same prompt (shared registry)' });
    }
    return;
  }
  const versions = (await context.source.listVersions(prompt.name)).sort((a, b) => Number(a.version) - Number(b.version));
  const existing = target ? await target.getRegisteredModel(prompt.name) : undefined;
  if (existing && !isPrompt(existing.tags)) throw new Error('the target has a registered model (not a prompt) of that name; MLflow does not let a prompt share it');
  const tags = targetPromptTags(prompt, context.experiments, existing?.tags, result.issues);
  if (target && !existing) {
    await target.createRegisteredModel({ name: prompt.name, ...(prompt.description ? { description: prompt.description } : {}), tags, aliases: [] });
    result.outcome = 'created';
  } else if (target && existing) {
    result.outcome = 'existing';
    const changed = tags.filter((t) => !existing.tags.some((u) => u.key === t.key && u.value === t.value));
    if (changed.length) await target.setRegisteredModelTags(prompt.name, changed);
    if ((existing.description ?? '') !== (prompt.description ?? ''))
      result.issues.push(`description: the target prompt has "${existing.description ?? ''}", the source "${prompt.description ?? ''}"; left as it was`);
  }
  const there = new Map((existing && target ? await target.listVersions(prompt.name) : []).map((v) => [v.version, v]));
  const mapping = new Map<string, string>();
  for (const version of versions) {
    const outcome = await copyPromptVersion(target, version, there.get(version.version), result);
    result.versions.push(outcome);
    if (outcome.targetVersion && outcome.outcome !== 'failed') mapping.set(version.version, outcome.targetVersion);
  }
  for (const { alias, version } of prompt.aliases) {
    const targetVersion = mapping.get(version);
    if (!targetVersion) {
      result.aliases.push({ alias, sourceVersion: version, outcome: 'skipped', reason: `version ${version} was not copied` });
      continue;
    }
    if (!target) {
      result.aliases.push({ alias, sourceVersion: version, targetVersion, outcome: 'planned' });
      continue;
    }
    if (existing?.aliases.some((a) => a.alias === alias && a.version === targetVersion)) {
      result.aliases.push({ alias, sourceVersion: version, targetVersion, outcome: 'skipped', reason: 'already set' });
      continue;
    }
    try {
      await target.setAlias(prompt.name, alias, targetVersion);
      result.aliases.push({ alias, sourceVersion: version, targetVersion, outcome: 'set' });
    } catch (error) {
      result.aliases.push({ alias, sourceVersion: version, targetVersion, outcome: 'failed', reason: errorMessage(error) });
    }
  }
}

async function copyPromptVersion(
  target: TargetRegistry | undefined,
  version: ModelVersionInfo,
  there: ModelVersionInfo | undefined,
  result: PromptResult,
): Promise<PromptVersionResult> {
  const out: PromptVersionResult = { sourceVersion: version.version, outcome: 'planned' };
  if (there) {
    out.targetVersion = there.version;
    if (sameVersion(version, there)) {
      out.outcome = 'skipped';
      out.reason = 'already there';
    } else {
      out.outcome = 'failed';
      out.reason = `the target's version ${there.version} has other content (tags or description); left as it is`;
    }
    return out;
  }
  if (!target) {
    out.targetVersion = version.version;
    return out;
  }
  if (version.runId) result.issues.push(`version ${version.version}: run_id ${version.runId} is not copied (a prompt version's run belongs to the source server)`);
  if (version.stage && version.stage !== 'None') result.issues.push(`version ${version.version}: stage ${version.stage} is not copied (prompts have no stages)`);
  try {
    out.targetVersion = await target.createVersion(
      { name: version.name, source: version.source, ...(version.description ? { description: version.description } : {}), tags: version.tags },
      Number(version.version),
    );
    out.outcome = 'copied';
    if (out.targetVersion !== version.version) out.reason = `copied as version ${out.targetVersion} (the number was taken or below the target's next one)`;
  } catch (error) {
    out.outcome = 'failed';
    out.reason = errorMessage(error);
  }
  return out;
}
