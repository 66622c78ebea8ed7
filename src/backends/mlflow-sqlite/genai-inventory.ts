/**
 * Counts of an experiment's GenAI objects that this version reports but does not copy (issue 17):
 * evaluation datasets (linked to the experiment through entity_associations), prompts (registered
 * models tagged mlflow.prompt.is_prompt whose _mlflow_experiment_ids names the experiment) and
 * scorers. A database without one of these tables simply has none of that kind.
 */
import type { GenaiInventory } from '../../engine/traces/contract.js';
import type { SqlReader } from './sql-driver.js';
import { num } from './values.js';

async function count(connection: SqlReader, sql: string, ...params: unknown[]): Promise<number | undefined> {
  try {
    return num((await connection.get(sql, ...params))?.n) ?? 0;
  } catch {
    // The table is not there (an older schema): nothing of that kind to report.
    return undefined;
  }
}

export async function sqlGenaiInventory(connection: SqlReader, experimentId: string): Promise<GenaiInventory> {
  const inventory: GenaiInventory = {};
  const datasets = await count(
    connection,
    `SELECT COUNT(*) AS n FROM entity_associations WHERE source_type = 'evaluation_dataset' AND destination_type = 'experiment' AND destination_id = ?`,
    experimentId,
  );
  const prompts = await count(
    connection,
    `SELECT COUNT(DISTINCT p.name) AS n FROM registered_model_tags p JOIN registered_model_tags e ON e.name = p.name AND e.key = '_mlflow_experiment_ids'
     WHERE p.key = 'mlflow.prompt.is_prompt' AND p.value = 'true' AND e.value LIKE ?`,
    `%,${experimentId},%`,
  );
  const scorers = await count(connection, 'SELECT COUNT(*) AS n FROM scorers WHERE experiment_id = ?', BigInt(experimentId));
  if (datasets !== undefined) inventory.datasets = datasets;
  if (prompts !== undefined) inventory.prompts = prompts;
  if (scorers !== undefined) inventory.scorers = scorers;
  return inventory;
}
