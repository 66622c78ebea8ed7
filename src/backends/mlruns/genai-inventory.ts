/**
 * The number of an experiment's prompts in an mlruns store, reported when a copy without
 * --registry leaves them behind: registered models under <root>/models tagged
 * mlflow.prompt.is_prompt, linked to experiments by the tag _mlflow_experiment_ids (",<id>,<id>,").
 */
import { join } from 'node:path';
import type { GenaiInventory } from '../../engine/traces/contract.js';
import { listSubdirs } from './fs-util.js';
import { readKeyValue } from './key-value-dir.js';
import { TAGS_DIR } from './layout.js';

export async function mlrunsGenaiInventory(root: string, experimentId: string): Promise<GenaiInventory> {
  let prompts = 0;
  const models = join(root, 'models');
  for (const name of await listSubdirs(models)) {
    const tags = join(models, name, TAGS_DIR);
    if ((await readKeyValue(tags, 'mlflow.prompt.is_prompt')) !== 'true') continue;
    if ((await readKeyValue(tags, '_mlflow_experiment_ids'))?.includes(`,${experimentId},`)) prompts++;
  }
  return { prompts };
}
