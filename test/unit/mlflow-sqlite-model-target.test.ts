/**
 * Logged-model metrics written into MLflow's SQLite database keep MLflow's primary key (model,
 * name, timestamp, step, run): an exact duplicate is stored once, two values for one key fail the
 * model (MLflow refuses them too) instead of one being dropped; NaN and Infinity are stored in
 * MLflow's encoding.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowSqliteStore } from '../../src/backends/mlflow-sqlite/store.js';
import { targetModelsOf, type TargetModels } from '../../src/backends/model-contract.js';
import type { TargetProject } from '../../src/backends/contract.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { tempDir } from '../support/cli-process.js';

describe('mlflow-sqlite target: logged-model metrics', () => {
  let dbPath: string;
  let store: MlflowSqliteStore;
  let project: TargetProject;
  let models: TargetModels;
  let runId: string;

  beforeEach(async () => {
    dbPath = join(tempDir('sqlite-model-metrics'), 'mlflow.db');
    createMlflowDatabase(dbPath);
    store = MlflowSqliteStore.openTarget(`sqlite:///${dbPath}`);
    project = (await store.openTarget({ workspace: 'default', project: 'models' }, { tags: [] }, { create: true }))!;
    models = targetModelsOf(project)!;
    const run = await project.createRun({ name: 'r', startTime: 1, tags: [], source: { project: 'p', runId: 'r' } });
    await run.finish({ status: 'FINISHED', endTime: 2, deleted: false, marker: { key: 'runs_migrator.completed', value: 'x' } });
    runId = run.runId;
  });
  afterEach(async () => store.close());

  const rows = (modelId: string) => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return db.prepare('SELECT metric_name, metric_value FROM logged_model_metrics WHERE model_id = ? ORDER BY metric_name').all(modelId);
    } finally {
      db.close();
    }
  };

  it('stores an exact duplicate once, and NaN / Infinity as MLflow does (0, the largest double)', async () => {
    const model = await models.createModel({ name: 'm', params: [], tags: [] });
    const point = { key: 'acc', value: 0.5, timestamp: 10, step: 1, runId };
    await model.logMetrics([point, { ...point }, { ...point, key: 'nan', value: Number.NaN }, { ...point, key: 'inf', value: Number.POSITIVE_INFINITY }]);
    expect(rows(model.modelId)).toEqual([
      { metric_name: 'acc', metric_value: 0.5 },
      { metric_name: 'inf', metric_value: 1.7976931348623157e308 },
      { metric_name: 'nan', metric_value: 0 },
    ]);
  });

  it('refuses two values for one key, timestamp, step and run, writing none of the batch', async () => {
    const model = await models.createModel({ name: 'm', params: [], tags: [] });
    const point = { key: 'acc', value: 0.5, timestamp: 10, step: 1, runId };
    await expect(model.logMetrics([point, { ...point, value: 0.6 }])).rejects.toThrow(/two values \(0\.5, 0\.6\)/);
    expect(rows(model.modelId)).toEqual([]);
  });
});
