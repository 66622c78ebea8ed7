/**
 * The number of an experiment's prompts on a server, reported when a copy without --registry
 * leaves them behind: registered models tagged mlflow.prompt.is_prompt whose
 * _mlflow_experiment_ids names the experiment (as prompts-register-load shows). A server without
 * the route leaves the count out.
 */
import type { GenaiInventory } from '../../engine/traces/contract.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, toStr } from './json.js';

async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch {
    // An older server without the route, or a store that keeps none of these: nothing to report.
    return undefined;
  }
}

export async function mlflowGenaiInventory(client: MlflowHttpClient, workspace: string, experimentId: string): Promise<GenaiInventory> {
  const inventory: GenaiInventory = {};
  const prompts = await attempt(async () => {
    let count = 0;
    let token: string | undefined;
    do {
      const answer = asRecord(
        await client.json({
          method: 'GET',
          path: '/api/2.0/mlflow/registered-models/search',
          query: { filter: "tags.`mlflow.prompt.is_prompt` = 'true'", max_results: 1000, page_token: token },
          workspace,
          what: 'registered-models/search',
        }),
      );
      for (const model of asArray(answer.registered_models)) {
        const tags = asArray(asRecord(model).tags).map((tag) => asRecord(tag));
        const experiments = toStr(tags.find((tag) => tag.key === '_mlflow_experiment_ids')?.value) ?? '';
        if (experiments.includes(`,${experimentId},`)) count++;
      }
      token = toStr(answer.next_page_token) || undefined;
    } while (token);
    return count;
  });
  if (prompts !== undefined) inventory.prompts = prompts;
  return inventory;
}
