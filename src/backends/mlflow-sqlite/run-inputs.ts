/**
 * A run's dataset inputs. MLflow (sqlalchemy_store.log_inputs) stores one `datasets` row per
 * (experiment, name, digest), one `inputs` edge per use (source_type 'DATASET', source_id the
 * dataset_uuid, destination_type 'RUN', destination_id the run id) and the edge's tags in
 * `input_tags`. MLflow 3 reuses `inputs` for logged-model links (RUN_INPUT -> MODEL_INPUT,
 * RUN_OUTPUT -> MODEL_OUTPUT); those are the run's model links (models.ts), read apart.
 */
import type { ReadIssue } from '../contract.js';
import type { DatasetInput } from '../../model/run.js';
import type { SqlReader } from './sql-driver.js';
import type { SchemaFeatures } from './schema-features.js';
import { int64, text } from './values.js';

export async function readRunInputs(
  connection: SqlReader,
  runId: string,
  features: SchemaFeatures,
  report: (issue: ReadIssue) => void,
): Promise<DatasetInput[]> {
  const step = features.inputStep ? 'i.step' : '0';
  const rows = await connection.all(
    `SELECT i.input_uuid, i.source_id, ${step} AS step, d.name, d.digest, d.dataset_source_type,
            d.dataset_source, d.dataset_schema, d.dataset_profile
       FROM inputs i LEFT JOIN datasets d ON d.dataset_uuid = i.source_id
      WHERE i.destination_type = 'RUN' AND i.destination_id = ? AND i.source_type = 'DATASET'
      ORDER BY d.name, d.digest, i.input_uuid`,
    runId,
  );
  const inputs: DatasetInput[] = [];
  for (const row of rows) {
    const name = text(row.name);
    if (name === undefined) {
      report({ field: 'inputs', reason: `input ${text(row.input_uuid)} names dataset ${text(row.source_id)}, which is not in the datasets table; not read` });
      continue;
    }
    const at = int64(row.step) ?? 0;
    if (at !== 0) report({ field: `inputs/${name}`, reason: `logged at step ${at}; the canonical run keeps no step for inputs` });
    inputs.push({
      dataset: {
        name,
        digest: text(row.digest) ?? '',
        sourceType: text(row.dataset_source_type) ?? '',
        source: text(row.dataset_source) ?? '',
        ...optional('schema', text(row.dataset_schema)),
        ...optional('profile', text(row.dataset_profile)),
      },
      tags: (await connection.all('SELECT name, value FROM input_tags WHERE input_uuid = ? ORDER BY name', row.input_uuid)).map((tag) => ({ key: text(tag.name) ?? '', value: text(tag.value) ?? '' })),
    });
  }
  return inputs;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
