/**
 * Prompts in the registry: a prompt is a registered model tagged `mlflow.prompt.is_prompt=true`
 * and its versions carry the same tag. The registry keeps the two apart (recorded:
 * `prompts-registry-views`; the exact rules read from MLflow's SqlAlchemyStore):
 *
 * - A search "queries prompts" when its FIRST clause on the tag is `= 'true'` or `!= 'false'`
 *   (value compared without case). Then the clause stays and filters like any tag clause.
 * - Otherwise every clause on the tag is dropped (so `= 'false'` and `!= 'true'` match ordinary
 *   models) and each row whose NAME has a tag row `is_prompt = 'true'` is hidden. For
 *   model-versions/search the tag rows are version tags: one prompt-tagged version hides every
 *   version of that name, whatever tags the others have.
 * - Name clashes between a model and a prompt get their own message; a prompt version's source may
 *   not be a local path.
 */
import { alreadyExists, invalidParam } from './errors.js';
import { pyStrRepr } from './pyfmt.js';
import type { Clause } from './search.js';

export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';

export const hasPromptTag = (tags: Map<string, string>): boolean => tags.get(IS_PROMPT_TAG) === 'true';

export interface PromptView {
  /** The clauses to apply (prompt-tag clauses removed when prompts are not queried). */
  clauses: Clause[];
  /** True when rows of prompt names are to be hidden. */
  hidePrompts: boolean;
}

export function promptView(clauses: Clause[]): PromptView {
  const first = clauses.find((c) => c.type === 'tag' && c.key === IS_PROMPT_TAG);
  const value = typeof first?.value === 'string' ? first.value.toLowerCase() : undefined;
  const queryingPrompts = first !== undefined && ((first.op === '=' && value === 'true') || (first.op === '!=' && value === 'false'));
  if (queryingPrompts) return { clauses, hidePrompts: false };
  return { clauses: clauses.filter((c) => !(c.type === 'tag' && c.key === IS_PROMPT_TAG)), hidePrompts: true };
}

/** The error for creating `name` when it is taken (handle_resource_already_exist_error). */
export function nameTaken(name: string, existingIsPrompt: boolean, newIsPrompt: boolean): Error {
  const entity = (isPrompt: boolean) => (isPrompt ? 'Prompt' : 'Registered Model');
  if (existingIsPrompt !== newIsPrompt)
    return alreadyExists(
      `Tried to create a ${entity(newIsPrompt).toLowerCase()} with name ${pyStrRepr(name)}, but the name is already taken by a ${entity(existingIsPrompt).toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
    );
  return alreadyExists(`${entity(newIsPrompt)} (name=${name}) already exists.`);
}

/** A prompt version's source is a label ("dummy-source"); local paths are refused (recorded). */
export function checkPromptSource(source: string): void {
  if (/^file:/i.test(source) || source.startsWith('/'))
    throw invalidParam(`Invalid prompt source: '${source}'. Local source paths are not allowed for prompts.`);
}
