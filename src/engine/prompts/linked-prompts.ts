/**
 * Which prompts go with a project: those whose `_mlflow_experiment_ids` names the source
 * experiment, and those a selected run names in its `mlflow.linkedPrompts` tag (a JSON list of
 * {"name", "version"} the MLflow client writes on runs that used a prompt). Run tags are read only
 * when the registry holds prompts that the association did not select (one read per run; the
 * MLflow source mostly answers from its listing, without a request).
 */
import type { RegisteredModelInfo, SourceRegistry } from '../../backends/model-contract.js';
import type { SourceProject } from '../../backends/contract.js';
import type { RunInfo } from '../../model/run.js';
import { EXPERIMENT_IDS_TAG, parseExperimentIds } from './experiment-ids.js';
import { isPrompt } from './prompt-tags.js';

export const LINKED_PROMPTS_TAG = 'mlflow.linkedPrompts';

/** Prompt names in a `mlflow.linkedPrompts` value; anything unreadable names nothing. */
export function linkedPromptNames(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((item) => (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' ? [(item as { name: string }).name] : []));
  } catch {
    return [];
  }
}

export interface PromptSelectionInput {
  registry: SourceRegistry;
  experimentId: string;
  project: SourceProject;
  runs: readonly RunInfo[];
}

export interface SelectedPrompt {
  prompt: RegisteredModelInfo;
  /** Why it goes with the project. */
  why: 'experiment' | 'run-link';
}

export async function selectPrompts(input: PromptSelectionInput): Promise<SelectedPrompt[]> {
  const prompts: RegisteredModelInfo[] = [];
  for await (const model of input.registry.listRegisteredModels()) if (isPrompt(model.tags)) prompts.push(model);
  const byExperiment = (p: RegisteredModelInfo) => parseExperimentIds(p.tags.find((t) => t.key === EXPERIMENT_IDS_TAG)?.value).includes(input.experimentId);
  const selected: SelectedPrompt[] = prompts.filter(byExperiment).map((prompt) => ({ prompt, why: 'experiment' }));
  const rest = prompts.filter((p) => !byExperiment(p));
  if (rest.length === 0) return selected;
  const linked = new Set<string>();
  for (const info of input.runs) {
    const tags = await (await input.project.openRun(info)).tags();
    for (const name of linkedPromptNames(tags.find((t) => t.key === LINKED_PROMPTS_TAG)?.value)) linked.add(name);
  }
  for (const prompt of rest) if (linked.has(prompt.name)) selected.push({ prompt, why: 'run-link' });
  return selected;
}
