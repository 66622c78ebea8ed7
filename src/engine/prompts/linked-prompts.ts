/**
 * Which prompts go with a project: those whose `_mlflow_experiment_ids` names the source
 * experiment, those a selected run names in its `mlflow.linkedPrompts` tag (a JSON list of
 * {"name", "version"} the MLflow client writes on runs that used a prompt), and those a trace of
 * the experiment links to: by the same tag on the trace, or by a traces/link-prompts association
 * (traces/prompt-links.ts). Each step runs only for the prompts the steps before did not select:
 * run tags (one read per run; the MLflow source mostly answers from its listing), then the trace
 * listing's tags, then one trace search per version of each prompt still left.
 */
import type { RegisteredModelInfo, SourceRegistry } from '../../backends/model-contract.js';
import type { SourceProject } from '../../backends/contract.js';
import type { RunInfo } from '../../model/run.js';
import { EXPERIMENT_IDS_TAG, parseExperimentIds } from './experiment-ids.js';
import { isPrompt } from './prompt-tags.js';
import { sourceTracesOf } from '../traces/contract.js';
import { tracePromptLinksOf } from '../traces/prompt-links.js';

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
  why: 'experiment' | 'run-link' | 'trace-link';
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
  const left = rest.filter((p) => !linked.has(p.name));
  if (left.length > 0) selected.push(...(await traceLinked(input, left)).map((prompt) => ({ prompt, why: 'trace-link' as const })));
  return selected;
}

/** The prompts (of `candidates`) a trace of the source experiment links to, by its tag or by link-prompts. */
async function traceLinked(input: PromptSelectionInput, candidates: RegisteredModelInfo[]): Promise<RegisteredModelInfo[]> {
  const traces = sourceTracesOf(input.project);
  if (!traces) return [];
  const named = new Set<string>();
  for await (const info of traces.listTraces()) for (const name of linkedPromptNames(info.tags[LINKED_PROMPTS_TAG])) named.add(name);
  const found = candidates.filter((p) => named.has(p.name));
  const links = tracePromptLinksOf(input.project);
  if (!links) return found;
  for (const prompt of candidates.filter((p) => !named.has(p.name))) {
    for (const version of await input.registry.listVersions(prompt.name)) {
      if (((await links.tracesLinkedToPrompt(prompt.name, version.version))?.size ?? 0) > 0) {
        found.push(prompt);
        break;
      }
    }
  }
  return found;
}
