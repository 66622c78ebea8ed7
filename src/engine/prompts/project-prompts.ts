/**
 * The prompt part of `copy --registry` for one project: opens both registries and maps the
 * source experiment to the target experiment for `_mlflow_experiment_ids`.
 */
import { registryOf } from '../../backends/model-contract.js';
import type { ProjectModelsInput } from '../models/project-models.js';
import { copyPrompts, type PromptResult } from './copy-prompts.js';
import { selectPrompts } from './linked-prompts.js';

export async function copyExperimentPrompts(input: ProjectModelsInput, dryRun: boolean): Promise<PromptResult[] | undefined> {
  const { options } = input;
  const sourceExperimentId = input.source.meta.id;
  const source = await registryOf(options.source.store)?.openSourceRegistry(options.source.project.workspace);
  if (!source || sourceExperimentId === undefined) return undefined;
  const target = dryRun ? undefined : await registryOf(options.target.store)?.openTargetRegistry?.(options.target.project.workspace);
  // A dry run may plan a target experiment that does not exist yet: nothing is written, so the
  // mapping only has to say that the source experiment has a counterpart.
  const targetExperimentId = input.target?.id ?? (dryRun ? '(target experiment)' : undefined);
  const experiments = new Map<string, string>(targetExperimentId !== undefined ? [[sourceExperimentId, targetExperimentId]] : []);
  const selected = await selectPrompts({ registry: source, experimentId: sourceExperimentId, project: input.source, runs: input.runs });
  const sharedRegistry = options.source.store.identity === options.target.store.identity && options.source.project.workspace === options.target.project.workspace;
  return copyPrompts({ source, prompts: selected.map((s) => s.prompt), target, experiments, emit: input.emit, sharedRegistry });
}
