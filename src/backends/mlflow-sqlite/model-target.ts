/**
 * MLflow 3 logged models written into MLflow's database as SqlAlchemyStore writes them:
 * - create_logged_model: a `logged_models` row (id `m-<uuid4 hex>`, status 1 PENDING, active,
 *   creation and last-update time now, artifact_location `<experiment location>/models/<id>/artifacts`,
 *   model_type '' when none, as the real MLflow 3.11 server stored it)
 *   with its params and tags in `logged_model_params` / `logged_model_tags` - one transaction, so a
 *   model that exists always names its source (provenance tags);
 * - log_batch with a model id: `logged_model_metrics` rows, values stored like run metrics
 *   (NaN as 0, +-Infinity as +-max double: sanitize_metric_value), no dataset_uuid;
 * - finalize_logged_model: the final status and last-update time, with the completion marker in
 *   the same (last) transaction;
 * - run links: `inputs` edges RUN_OUTPUT -> MODEL_OUTPUT (with the step) and RUN_INPUT ->
 *   MODEL_INPUT, the rows real MLflow 3.11 wrote in test/golden/stores/sqlite/mlflow.db.
 * Files go below the model's artifact_location, resolved like a run's (artifact-target.ts).
 * A partial copy (no marker) is removed for good: rows, links and files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { LoggedModelStatus, ModelCopyEditor, ModelCopyRecord, ModelInit, ModelLinks, ModelMetric, TargetModel, TargetModels } from '../model-contract.js';
import { MODEL_PROVENANCE } from '../../model/model-provenance.js';
import { PROVENANCE } from '../../model/provenance.js';
import type { KeyValue } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import { deleteArtifact, writeArtifact } from '../mlruns/artifacts.js';
import { writeToObjectStore } from '../object-store/write.js';
import type { ArtifactContext } from './artifact-location.js';
import { runArtifactDestination } from './artifact-target.js';
import type { Binding } from './metric-rows.js';
import { storedPoint } from './metric-rows.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import { upsertTags } from './target-run.js';
import { text } from './values.js';

/** SqlLoggedModel.status: LoggedModelStatus's proto numbers. */
const STATUS_CODE: Record<LoggedModelStatus, number> = { PENDING: 1, READY: 2, FAILED: 3 };
const TAG_SQL =
  'INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value';
/** Metric rows per INSERT (10 parameters each). */
const METRIC_ROWS_PER_INSERT = 200;

export interface ModelWriteSettings {
  driver: SqlDriver;
  bind: Binding;
  artifactContext: ArtifactContext;
  now: () => number;
  experimentId: string;
  /** The experiment's artifact_location. */
  experimentLocation: string;
}

/** `<experiment location>/models/<id>/artifacts`, as create_logged_model builds it. */
export function modelArtifactUri(experimentLocation: string, modelId: string): string {
  return `${experimentLocation.replace(/\/+$/, '')}/models/${modelId}/artifacts`;
}

export class SqlTargetModels implements TargetModels {
  constructor(private readonly settings: ModelWriteSettings) {}

  private get experiment(): unknown {
    return this.settings.bind.int(BigInt(this.settings.experimentId));
  }

  async *listModelCopies(): AsyncIterable<ModelCopyRecord> {
    const rows = await this.settings.driver.query(
      `SELECT m.model_id, p.tag_value AS project, s.tag_value AS source_model, c.tag_value AS marker, t.tag_value AS source_state
         FROM logged_models m
         JOIN logged_model_tags s ON s.model_id = m.model_id AND s.tag_key = ?
         JOIN logged_model_tags p ON p.model_id = m.model_id AND p.tag_key = ?
         LEFT JOIN logged_model_tags c ON c.model_id = m.model_id AND c.tag_key = ?
         LEFT JOIN logged_model_tags t ON t.model_id = m.model_id AND t.tag_key = ?
        WHERE m.experiment_id = ? ORDER BY m.model_id`,
      [MODEL_PROVENANCE.modelId, MODEL_PROVENANCE.project, MODEL_PROVENANCE.completed, PROVENANCE.sourceState, this.experiment],
    );
    for (const row of rows) {
      const sourceState = text(row.source_state);
      yield {
        sourceProject: text(row.project) ?? '',
        sourceModelId: text(row.source_model) ?? '',
        targetModelId: text(row.model_id) ?? '',
        complete: row.marker !== null && row.marker !== undefined,
        ...(sourceState !== undefined ? { sourceState } : {}),
      };
    }
  }

  async createModel(init: ModelInit): Promise<TargetModel> {
    const { bind, now } = this.settings;
    const modelId = `m-${randomBytes(16).toString('hex')}`;
    const artifactUri = modelArtifactUri(this.settings.experimentLocation, modelId);
    const experiment = this.experiment;
    const created = bind.int(now());
    await this.settings.driver.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms,
           status, lifecycle_stage, model_type, source_run_id, status_message)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)`,
        [modelId, experiment, init.name, artifactUri, created, created, STATUS_CODE.PENDING, init.modelType ?? '', init.sourceRunId ?? null],
      );
      for (const param of init.params) {
        await tx.run('INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
          modelId,
          experiment,
          param.key,
          param.value,
        ]);
      }
      for (const tag of init.tags) await tx.run(TAG_SQL, [modelId, experiment, tag.key, tag.value]);
    });
    return new SqlTargetModel(modelId, artifactUri, this.settings);
  }

  async discardModel(targetModelId: string): Promise<void> {
    const { driver } = this.settings;
    const row = (await driver.query('SELECT artifact_location FROM logged_models WHERE model_id = ? AND experiment_id = ?', [targetModelId, this.experiment]))[0];
    if (!row) return;
    const marker = await driver.query('SELECT 1 AS found FROM logged_model_tags WHERE model_id = ? AND tag_key = ?', [targetModelId, MODEL_PROVENANCE.completed]);
    if (marker.length > 0) throw new Error(`refusing to discard logged model ${targetModelId}: it carries the completion marker`);
    await driver.transaction(async (tx) => {
      for (const table of ['logged_model_metrics', 'logged_model_params', 'logged_model_tags']) {
        await tx.run(`DELETE FROM ${table} WHERE model_id = ?`, [targetModelId]);
      }
      await tx.run("DELETE FROM inputs WHERE destination_id = ? AND destination_type IN ('MODEL_OUTPUT', 'MODEL_INPUT')", [targetModelId]);
      await tx.run('DELETE FROM logged_models WHERE model_id = ?', [targetModelId]);
    });
    const files = runArtifactDestination(text(row.artifact_location) ?? '', this.settings.artifactContext);
    if (files.kind === 'local') {
      await fs.promises.rm(files.root, { recursive: true, force: true });
      // <location>/models/<id>/artifacts: the model's own folder goes too when nothing else is in it.
      if (path.basename(path.dirname(files.root)) === targetModelId) await fs.promises.rmdir(path.dirname(files.root)).catch(() => undefined);
    }
  }

  /**
   * A sync's writes to a complete copy, as SqlAlchemyStore makes them: params inserted (new keys
   * only - the primary key (model_id, param_key) keeps a param write-once), tags upserted and
   * deleted, the status with last_updated_timestamp_ms (finalize_logged_model), metric rows, and
   * files below the model's artifact location (deleted only where that is a local folder).
   */
  async openModelCopy(targetModelId: string): Promise<ModelCopyEditor> {
    const { driver, bind } = this.settings;
    const row = (await driver.query('SELECT artifact_location FROM logged_models WHERE model_id = ? AND experiment_id = ?', [targetModelId, this.experiment]))[0];
    if (!row) throw new Error(`logged model ${targetModelId} is not in the target experiment`);
    const model = new SqlTargetModel(targetModelId, text(row.artifact_location) ?? '', this.settings);
    const experiment = this.experiment;
    const destination = runArtifactDestination(text(row.artifact_location) ?? '', this.settings.artifactContext);
    const editor: ModelCopyEditor = {
      logParams: (params) =>
        driver.transaction(async (tx) => {
          for (const p of params) {
            await tx.run('INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)', [targetModelId, experiment, p.key, p.value]);
          }
        }),
      setTags: (tags) =>
        driver.transaction(async (tx) => {
          for (const tag of tags) await tx.run(TAG_SQL, [targetModelId, experiment, tag.key, tag.value]);
        }),
      deleteTags: (keys) =>
        driver.transaction(async (tx) => {
          for (const key of keys) await tx.run('DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = ?', [targetModelId, key]);
        }),
      setStatus: async (status) => {
        await driver.transaction(async (tx) => {
          await tx.run('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?', [STATUS_CODE[status], bind.int(this.settings.now()), targetModelId]);
        });
      },
      logMetrics: (metrics) => model.logMetrics(metrics),
      writeFile: (filePath, data, size) => model.writeFile(filePath, data, size),
    };
    if (destination.kind === 'local') {
      const root = destination.root;
      editor.deleteFile = (filePath) => deleteArtifact(root, filePath);
    }
    return editor;
  }

  async linkRun(targetRunId: string, links: ModelLinks, tags: KeyValue[]): Promise<void> {
    await this.settings.driver.transaction(async (tx) => {
      const edge = `INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;
      for (const output of links.outputs) {
        await tx.run(edge, [uuidHex(), 'RUN_OUTPUT', targetRunId, 'MODEL_OUTPUT', output.modelId, this.settings.bind.int(BigInt(output.step))]);
      }
      for (const input of links.inputs) {
        await tx.run(edge, [uuidHex(), 'RUN_INPUT', targetRunId, 'MODEL_INPUT', input.modelId, this.settings.bind.int(0n)]);
      }
      await upsertTags(tx, targetRunId, tags);
    });
  }
}

function uuidHex(): string {
  return randomUUID().replaceAll('-', '');
}

export class SqlTargetModel implements TargetModel {
  constructor(
    readonly modelId: string,
    private readonly artifactUri: string,
    private readonly settings: ModelWriteSettings,
  ) {}

  async logMetrics(metrics: ModelMetric[]): Promise<void> {
    const { bind } = this.settings;
    const experiment = bind.int(BigInt(this.settings.experimentId));
    // The primary key is (model, name, timestamp, step, run): MLflow refuses a second value there
    // (IntegrityError), so two values for one key fail the model rather than one being dropped.
    const seen = new Map<string, number>();
    for (const metric of metrics) {
      if (!metric.runId) throw new UsageError(`model metric ${metric.key} names no run; MLflow's database keeps a logged model's metrics by the run that logged them`);
      const key = JSON.stringify([metric.key, metric.timestamp, String(metric.step), metric.runId]);
      const value = storedPoint({ value: metric.value, timestamp: metric.timestamp, step: metric.step }).value;
      const before = seen.get(key);
      if (before !== undefined && before !== value) {
        throw new UsageError(
          `model metric ${metric.key} has two values (${before}, ${value}) at timestamp ${metric.timestamp}, step ${metric.step} of run ${metric.runId}; MLflow's database keeps one`,
        );
      }
      seen.set(key, value);
    }
    await this.settings.driver.transaction(async (tx: SqlExecutor) => {
      for (let start = 0; start < metrics.length; start += METRIC_ROWS_PER_INSERT) {
        const chunk = metrics.slice(start, start + METRIC_ROWS_PER_INSERT);
        const values: unknown[] = [];
        for (const metric of chunk) {
          const stored = storedPoint({ value: metric.value, timestamp: metric.timestamp, step: metric.step });
          values.push(
            this.modelId,
            metric.key,
            bind.int(metric.timestamp),
            bind.int(stored.step),
            stored.value,
            experiment,
            metric.runId,
            metric.datasetName ?? null,
            metric.datasetDigest ?? null,
          );
        }
        await tx.run(
          `INSERT INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest)
           VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
          values,
        );
      }
    });
  }

  async writeFile(filePath: string, data: Readable, size: number): Promise<void> {
    const destination = runArtifactDestination(this.artifactUri, this.settings.artifactContext);
    if (destination.kind === 'object-store') {
      await writeToObjectStore(destination.uri, filePath, data, size);
      return;
    }
    if (destination.kind !== 'local') {
      data.destroy();
      throw new UsageError(destination.reason);
    }
    await writeArtifact(destination.root, filePath, data, size);
  }

  /** finalize_logged_model, and the completion marker in the same transaction. */
  async finish(status: LoggedModelStatus, marker: KeyValue): Promise<void> {
    const { bind } = this.settings;
    await this.settings.driver.transaction(async (tx) => {
      await tx.run('UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?', [STATUS_CODE[status], bind.int(this.settings.now()), this.modelId]);
      await tx.run(TAG_SQL, [this.modelId, bind.int(BigInt(this.settings.experimentId)), marker.key, marker.value]);
    });
  }
}
