/**
 * The number of an experiment's prompts in MLflow's database, reported when a copy without
 * --registry leaves them behind: registered models tagged mlflow.prompt.is_prompt whose
 * _mlflow_experiment_ids names the experiment. A database without the table has none.
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
  const prompts = await count(
    connection,
    `SELECT COUNT(DISTINCT p.name) AS n FROM registered_model_tags p JOIN registered_model_tags e ON e.name = p.name AND e.key = '_mlflow_experiment_ids'
     WHERE p.key = 'mlflow.prompt.is_prompt' AND p.value = 'true' AND e.value LIKE ?`,
    `%,${experimentId},%`,
  );
  if (prompts !== undefined) inventory.prompts = prompts;
  return inventory;
}
