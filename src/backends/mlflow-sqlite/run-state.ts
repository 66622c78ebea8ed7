/**
 * State tokens for runs read from MLflow's database (RunInfo.stateToken, engine/runs/sync-copy.ts),
 * computed per page of listed runs with one query per table for the whole page: the run's row
 * (name, status, end time, lifecycle - already read by the listing), its params, its tags, its
 * latest_metrics rows (the latest value, step and timestamp of each metric, which MLflow keeps
 * up to date beside every metric write) and, where the schema has them, how many inputs it has.
 * Files in a local artifact folder add their paths, sizes and mtimes (stat calls only, like the
 * mlruns token); files elsewhere are not in the token (as on an MLflow server).
 *
 * Like an MLflow server's listing, latest_metrics does not move when a point is logged with a
 * lower step than the latest: such a point arrives only with another change of the run.
 */
import { createHash } from 'node:crypto';
import type { RunInfo } from '../../model/run.js';
import { runStateToken as folderStateToken } from '../mlruns/state-token.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import type { SchemaFeatures } from './schema-shape.js';
import type { SqlReader } from './sql-driver.js';
import { text } from './values.js';

/** Ids per IN (...) list: far below SQLite's and PostgreSQL's limits on bound parameters. */
const IDS_PER_QUERY = 500;

type Row = Record<string, unknown>;

export async function pageStateTokens(
  connection: SqlReader,
  features: SchemaFeatures,
  artifactContext: ArtifactContext,
  runs: readonly RunInfo[],
): Promise<Map<string, string>> {
  const parts = new Map<string, string[]>(runs.map((run) => [run.runId, [JSON.stringify([run.name ?? '', run.status, run.endTime ?? null, run.deleted])]]));
  const add = (rows: Row[], label: string, columns: string[]) => {
    for (const row of rows) parts.get(text(row.run_uuid) ?? '')?.push(`${label}\u0000${columns.map((c) => String(row[c] ?? '')).join('\u0000')}`);
  };
  for (let start = 0; start < runs.length; start += IDS_PER_QUERY) {
    const ids = runs.slice(start, start + IDS_PER_QUERY).map((run) => run.runId);
    const list = ids.map(() => '?').join(', ');
    add(await connection.all(`SELECT run_uuid, key, value FROM params WHERE run_uuid IN (${list})`, ...ids), 'p', ['key', 'value']);
    add(await connection.all(`SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (${list})`, ...ids), 't', ['key', 'value']);
    add(await connection.all(`SELECT run_uuid, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid IN (${list})`, ...ids), 'm', ['key', 'value', 'timestamp', 'step', 'is_nan']);
    if (features.datasets) {
      add(
        await connection.all(`SELECT destination_id AS run_uuid, COUNT(*) AS inputs FROM inputs WHERE destination_type = 'RUN' AND destination_id IN (${list}) GROUP BY destination_id`, ...ids),
        'i',
        ['inputs'],
      );
    }
  }
  const tokens = new Map<string, string>();
  for (const run of runs) {
    const lines = parts.get(run.runId)!;
    const [head, ...rest] = lines;
    // Rows come in no guaranteed order: sorted, the digest depends on the content only.
    const hash = createHash('sha256').update(head!).update('\n').update(rest.sort().join('\n'));
    const files = resolveArtifactLocation(run.artifactUri, artifactContext);
    if (files.kind === 'local') hash.update(`\nfiles\u0000${await folderStateToken(files.root)}`);
    tokens.set(run.runId, hash.digest('base64url').slice(0, 22));
  }
  return tokens;
}
