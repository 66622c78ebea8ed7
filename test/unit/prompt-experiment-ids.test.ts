import { describe, expect, it } from 'vitest';
import { formatExperimentIds, parseExperimentIds, remapExperimentIds } from '../../src/engine/prompts/experiment-ids.js';
import { targetPromptTags } from '../../src/engine/prompts/copy-prompts.js';
import { isPrompt } from '../../src/engine/prompts/prompt-tags.js';

describe("a prompt's _mlflow_experiment_ids in a copy", () => {
  it('reads and writes the ",<id>,<id>," form the MLflow client searches with LIKE', () => {
    expect(parseExperimentIds(',1,23,')).toEqual(['1', '23']);
    expect(parseExperimentIds(undefined)).toEqual([]);
    expect(formatExperimentIds(['5', '7', '5'])).toBe(',5,7,');
    expect(formatExperimentIds([])).toBe('');
  });

  it('maps the copied experiment to the target id and sets apart the ones without a counterpart', () => {
    expect(remapExperimentIds(',1,2,', new Map([['2', '40']]))).toEqual({ ids: ['40'], unmapped: ['1'] });
  });

  it('merges with the ids the target prompt already names and reports the ids left out', () => {
    const issues: string[] = [];
    const tags = targetPromptTags(
      { name: 'p', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: '_mlflow_experiment_ids', value: ',1,2,' }], aliases: [] },
      new Map([['2', '40']]),
      [{ key: '_mlflow_experiment_ids', value: ',9,' }],
      issues,
    );
    expect(tags).toEqual([
      { key: 'mlflow.prompt.is_prompt', value: 'true' },
      { key: '_mlflow_experiment_ids', value: ',9,40,' },
    ]);
    expect(issues).toEqual(['_mlflow_experiment_ids: source experiment(s) 1 are not part of this copy; left out of the target\'s list']);
  });

  it('knows a prompt by the tag value "true" only, as the server does', () => {
    expect(isPrompt([{ key: 'mlflow.prompt.is_prompt', value: 'true' }])).toBe(true);
    expect(isPrompt([{ key: 'mlflow.prompt.is_prompt', value: 'false' }])).toBe(false);
    expect(isPrompt([])).toBe(false);
  });
});
