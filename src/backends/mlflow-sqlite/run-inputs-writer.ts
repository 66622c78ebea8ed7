/**
 * Dataset inputs written as MLflow's log_inputs writes them: one `datasets` row per (experiment,
 * name, digest), reused when it exists; one `inputs` edge DATASET -> RUN per dataset (a second
 * log of the same dataset adds nothing); the edge's tags in `input_tags`. Ids are uuid4 hex.
 */
import { randomUUID } from 'node:crypto';
import type { DatasetInput } from '../../model/run.js';
import type { RunWriteContext } from './target-run.js';
import type { SqlExecutor } from './sql-driver.js';
import { text } from './values.js';

const uuidHex = () => randomUUID().replaceAll('-', '');

export async function writeRunInputs(tx: SqlExecutor, context: RunWriteContext, runId: string, inputs: DatasetInput[]): Promise<void> {
  const experimentId = BigInt(context.experimentId);
  for (const { dataset, tags } of inputs) {
    const found = await tx.query('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?', [
      context.bind.int(experimentId),
      dataset.name,
      dataset.digest,
    ]);
    let datasetUuid = text(found[0]?.dataset_uuid);
    if (datasetUuid === undefined) {
      datasetUuid = uuidHex();
      await tx.run(
        `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [datasetUuid, context.bind.int(experimentId), dataset.name, dataset.digest, dataset.sourceType, dataset.source, dataset.schema ?? null, dataset.profile ?? null],
      );
    }
    const inputUuid = uuidHex();
    const step = context.features.inputStep ? ', step' : '';
    const added = await tx.run(
      `INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id${step})
       VALUES (?, 'DATASET', ?, 'RUN', ?${step ? ', 0' : ''}) ON CONFLICT DO NOTHING`,
      [inputUuid, datasetUuid, runId],
    );
    if (added === 0) continue;
    for (const tag of tags) {
      await tx.run('INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [inputUuid, tag.key, tag.value]);
    }
  }
}
