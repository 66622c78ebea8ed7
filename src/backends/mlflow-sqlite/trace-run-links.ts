/**
 * Trace -> run links (link-to-run) in MLflow's database. SqlAlchemyStore.link_traces_to_run keeps
 * each as a row of entity_associations: source_type 'trace' (EntityAssociationType.TRACE) and
 * source_id the trace id, destination_type 'run' (EntityAssociationType.RUN) and destination_id
 * the run id; association_id a uuid4 hex, created_time in ms, as the prompt links
 * (trace-prompt-links.ts). The primary key covers (source_type, source_id, destination_type,
 * destination_id), so linking twice adds nothing. One query answers every link of the
 * experiment's traces (the run ids asked for are not needed). A database without the table
 * (before MLflow 3.3) holds no links: undefined as a source, no ability as a target.
 */
import { randomUUID } from 'node:crypto';
import { addLink, type RunLinkMap, type TraceRunLinks } from '../../engine/traces/run-links.js';
import { entityAssociationsProbe, hasEntityAssociations } from './entity-associations.js';
import type { Binding } from './metric-rows.js';
import type { SqlDriver, SqlReader } from './sql-driver.js';
import { text } from './values.js';

const LINKS = `SELECT a.source_id, a.destination_id FROM entity_associations a JOIN trace_info t ON t.request_id = a.source_id
  WHERE a.source_type = 'trace' AND a.destination_type = 'run' AND t.experiment_id = ?`;

function toMap(rows: Array<Record<string, unknown>>): RunLinkMap {
  const map: RunLinkMap = new Map();
  for (const row of rows) addLink(map, text(row.source_id) ?? '', text(row.destination_id) ?? '');
  return map;
}

export function sqlSourceTraceRunLinks(connection: SqlReader, experimentId: string): TraceRunLinks {
  const hasTable = entityAssociationsProbe(connection);
  return {
    async traceRunLinks() {
      if (!(await hasTable())) return undefined;
      return toMap(await connection.all(LINKS, BigInt(experimentId)));
    },
  };
}

export async function sqlTargetTraceRunLinks(driver: SqlDriver, bind: Binding, experimentId: string, now: () => number): Promise<Required<TraceRunLinks> | undefined> {
  if (!(await hasEntityAssociations(driver))) return undefined;
  return {
    searchedPerRun: false,
    async traceRunLinks() {
      return toMap(await driver.query(LINKS, [bind.int(BigInt(experimentId))]));
    },
    async linkTracesToRun(traceIds: string[], runId: string) {
      await driver.transaction(async (tx) => {
        for (const traceId of traceIds) {
          await tx.run(
            `INSERT INTO entity_associations (association_id, source_type, source_id, destination_type, destination_id, created_time)
             VALUES (?, 'trace', ?, 'run', ?, ?) ON CONFLICT DO NOTHING`,
            [randomUUID().replaceAll('-', ''), traceId, runId, bind.int(BigInt(Math.trunc(now())))],
          );
        }
      });
    },
  };
}
