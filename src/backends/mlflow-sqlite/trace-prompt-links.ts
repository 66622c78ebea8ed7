/**
 * Trace -> prompt version links in MLflow's database, as SqlAlchemyStore keeps them
 * (test/golden/stores/genai-sqlite): one row of entity_associations per link, source_type
 * 'trace' and source_id the trace id, destination_type 'prompt_version' and destination_id
 * "<name>/<version>", association_id a uuid4 hex, created_time in ms. The primary key is
 * (source_type, source_id, destination_type, destination_id), so linking twice adds nothing.
 * A database without the table (before MLflow 3.3) holds no links: as a source (or as the copy
 * verify reads) it answers undefined, as a target it has not the ability (the engine reports it).
 */
import { randomUUID } from 'node:crypto';
import type { PromptRef, TracePromptLinks } from '../../engine/traces/prompt-links.js';
import { entityAssociationsProbe, hasEntityAssociations } from './entity-associations.js';
import type { Binding } from './metric-rows.js';
import type { SqlDriver, SqlReader } from './sql-driver.js';
import { text } from './values.js';

const LINKED = `SELECT a.source_id FROM entity_associations a JOIN trace_info t ON t.request_id = a.source_id
  WHERE a.source_type = 'trace' AND a.destination_type = 'prompt_version' AND a.destination_id = ? AND t.experiment_id = ?`;

export function sqlSourceTracePromptLinks(connection: SqlReader, experimentId: string): TracePromptLinks {
  const hasTable = entityAssociationsProbe(connection);
  return {
    async tracesLinkedToPrompt(name, version) {
      if (!(await hasTable())) return undefined;
      const rows = await connection.all(LINKED, `${name}/${version}`, BigInt(experimentId));
      return new Set(rows.map((row) => text(row.source_id) ?? ''));
    },
  };
}

export async function sqlTargetTracePromptLinks(driver: SqlDriver, bind: Binding, experimentId: string, now: () => number): Promise<Required<TracePromptLinks> | undefined> {
  if (!(await hasEntityAssociations(driver))) return undefined;
  return {
    async tracesLinkedToPrompt(name, version) {
      const rows = await driver.query(LINKED, [`${name}/${version}`, bind.int(BigInt(experimentId))]);
      return new Set(rows.map((row) => text(row.source_id) ?? ''));
    },
    async linkPromptsToTrace(traceId: string, versions: PromptRef[]) {
      await driver.transaction(async (tx) => {
        for (const v of versions) {
          await tx.run(
            `INSERT INTO entity_associations (association_id, source_type, source_id, destination_type, destination_id, created_time)
             VALUES (?, 'trace', ?, 'prompt_version', ?, ?) ON CONFLICT DO NOTHING`,
            [randomUUID().replaceAll('-', ''), traceId, `${v.name}/${v.version}`, bind.int(BigInt(Math.trunc(now())))],
          );
        }
      });
    },
  };
}
