/**
 * `verify --registry`: each prompt of the source experiment (as copy-prompts.ts selects them) has a
 * prompt of the same name in the target with the same description, tags (`_mlflow_experiment_ids`
 * naming the target experiment), aliases, and every version under the same number with the same
 * tags and description.
 */
import type { RegisteredModelInfo, SourceRegistry } from '../../backends/model-contract.js';
import { errorMessage } from '../../util/errors.js';
import { sameVersion } from './copy-prompts.js';
import { EXPERIMENT_IDS_TAG, parseExperimentIds } from './experiment-ids.js';
import { isPrompt } from './prompt-tags.js';

export interface VerifyPromptResult {
  name: string;
  status: 'ok' | 'missing' | 'different' | 'error';
  differences: string[];
  versions: number;
}

export interface VerifyPromptsInput {
  source: SourceRegistry;
  /** The prompts that go with the project (linked-prompts.ts), as for copy. */
  prompts: readonly RegisteredModelInfo[];
  target: SourceRegistry | undefined;
  sourceExperimentId: string;
  targetExperimentId: string | undefined;
}

const show = (v: string | undefined) => (v === undefined ? '(none)' : JSON.stringify(v));

export async function verifyPrompts(input: VerifyPromptsInput): Promise<VerifyPromptResult[]> {
  const out: VerifyPromptResult[] = [];
  const targetPrompts = new Map<string, RegisteredModelInfo>();
  if (input.target) for await (const rm of input.target.listRegisteredModels()) if (isPrompt(rm.tags)) targetPrompts.set(rm.name, rm);
  for (const prompt of input.prompts) {
    const result: VerifyPromptResult = { name: prompt.name, status: 'ok', differences: [], versions: 0 };
    out.push(result);
    const copy = targetPrompts.get(prompt.name);
    if (!input.target || !copy) {
      result.status = 'missing';
      result.differences.push('no prompt of that name in the target');
      continue;
    }
    try {
      const d = result.differences;
      if ((prompt.description ?? '') !== (copy.description ?? '')) d.push(`description: source ${show(prompt.description)}, copy ${show(copy.description)}`);
      const copyTags = new Map(copy.tags.map((t) => [t.key, t.value]));
      for (const t of prompt.tags) {
        if (t.key === EXPERIMENT_IDS_TAG) continue;
        if (copyTags.get(t.key) !== t.value) d.push(`tag ${t.key}: source ${show(t.value)}, copy ${show(copyTags.get(t.key))}`);
      }
      // A prompt associated with the source experiment must be associated with the target one.
      const associated = parseExperimentIds(prompt.tags.find((t) => t.key === EXPERIMENT_IDS_TAG)?.value).includes(input.sourceExperimentId);
      const ids = parseExperimentIds(copyTags.get(EXPERIMENT_IDS_TAG));
      if (associated && input.targetExperimentId && !ids.includes(input.targetExperimentId))
        d.push(`${EXPERIMENT_IDS_TAG}: the copy names ${show(copyTags.get(EXPERIMENT_IDS_TAG))}, not the target experiment ${input.targetExperimentId}`);
      for (const { alias, version } of prompt.aliases) {
        const got = copy.aliases.find((a) => a.alias === alias)?.version;
        if (got !== version) d.push(`alias ${alias}: source version ${version}, copy ${show(got)}`);
      }
      const copies = new Map((await input.target.listVersions(prompt.name)).map((v) => [v.version, v]));
      for (const v of await input.source.listVersions(prompt.name)) {
        result.versions++;
        const c = copies.get(v.version);
        if (!c) d.push(`version ${v.version}: no copy`);
        else if (!sameVersion(v, c)) d.push(`version ${v.version}: tags or description differ`);
      }
      if (d.length) result.status = 'different';
    } catch (error) {
      result.status = 'error';
      result.differences.push(errorMessage(error));
    }
  }
  return out;
}
