/**
 * Whether MLflow's database has the entity_associations table (MLflow 3.3 and later), which holds
 * the links of traces to prompt versions and runs and of datasets to experiments. A database
 * without it holds no such links; the probe selects no row, so it costs nothing on a large table.
 */
import type { SqlDriver, SqlReader } from './sql-driver.js';

const PROBE = 'SELECT association_id FROM entity_associations WHERE 1 = 0';

/** A reader's answer, asked once and kept (a source reads links once per trace or prompt). */
export function entityAssociationsProbe(connection: SqlReader): () => Promise<boolean> {
  let present: Promise<boolean> | undefined;
  return () =>
    (present ??= connection.all(PROBE).then(
      () => true,
      () => false,
    ));
}

/** A writer's answer, asked when the target project is opened. */
export async function hasEntityAssociations(driver: SqlDriver): Promise<boolean> {
  try {
    await driver.query(PROBE, []);
    return true;
  } catch {
    return false;
  }
}
