/**
 * How MLflow marks a prompt: a registered model (and each of its versions) tagged
 * `mlflow.prompt.is_prompt=true`. The registry copy uses this to keep prompts out of the
 * registered-model copy, where they would otherwise be copied as ordinary models without a word;
 * copy-prompts.ts copies them as prompts.
 */
import type { KeyValue } from '../../model/run.js';

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';

/** True for a prompt: the server's own test is the tag value "true". */
export function isPrompt(tags: KeyValue[]): boolean {
  return tags.some((t) => t.key === PROMPT_TAG && t.value === 'true');
}

export const PROMPT_NOT_COPIED =
  'a prompt (tagged mlflow.prompt.is_prompt=true): not copied as a registered model; the prompt copy (models.prompts) takes the prompts associated with the experiment (see docs/genai-datasets-prompts-scorers.md)';
