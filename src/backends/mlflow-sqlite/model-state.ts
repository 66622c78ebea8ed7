/**
 * State tokens for the logged models of one experiment in MLflow's database
 * (LoggedModelInfo.stateToken, engine/models/sync-model.ts): one query per table for the whole
 * experiment - params, tags and metric rows of its models - digested with the model's row (name,
 * status, last update) and, for files in a local artifact folder, their paths, sizes and mtimes
 * (stat calls only). Files elsewhere are not in the token.
 */
import { createHash } from 'node:crypto';
import type { LoggedModelInfo } from '../model-contract.js';
import { runStateToken as folderStateToken } from '../mlruns/state-token.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import type { SqlReader } from './sql-driver.js';
import { text } from './values.js';

type Row = Record<string, unknown>;

export async function withModelStateTokens(connection: SqlReader, experimentId: string, models: LoggedModelInfo[], artifactContext: ArtifactContext): Promise<LoggedModelInfo[]> {
  if (models.length === 0) return models;
  const parts = new Map<string, string[]>(models.map((m) => [m.modelId, []]));
  const add = (rows: Row[], label: string, columns: string[]) => {
    for (const row of rows) parts.get(text(row.model_id) ?? '')?.push(`${label}\u0000${columns.map((c) => String(row[c] ?? '')).join('\u0000')}`);
  };
  const experiment = BigInt(experimentId);
  add(await connection.all('SELECT model_id, param_key, param_value FROM logged_model_params WHERE experiment_id = ?', experiment), 'p', ['param_key', 'param_value']);
  add(await connection.all('SELECT model_id, tag_key, tag_value FROM logged_model_tags WHERE experiment_id = ?', experiment), 't', ['tag_key', 'tag_value']);
  add(
    await connection.all('SELECT model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, run_id, dataset_name, dataset_digest FROM logged_model_metrics WHERE experiment_id = ?', experiment),
    'm',
    ['metric_name', 'metric_timestamp_ms', 'metric_step', 'metric_value', 'run_id', 'dataset_name', 'dataset_digest'],
  );
  const out: LoggedModelInfo[] = [];
  for (const model of models) {
    // Rows come in no guaranteed order: sorted, the digest depends on the content only.
    const hash = createHash('sha256').update(JSON.stringify([model.name, model.status, model.lastUpdatedTime ?? null])).update('\n').update(parts.get(model.modelId)!.sort().join('\n'));
    const files = resolveArtifactLocation(model.artifactUri, artifactContext);
    if (files.kind === 'local') hash.update(`\nfiles\u0000${await folderStateToken(files.root)}`);
    out.push({ ...model, stateToken: hash.digest('base64url').slice(0, 22) });
  }
  return out;
}
