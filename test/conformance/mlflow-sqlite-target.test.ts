import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mlflowSqliteFactory } from '../../src/backends/mlflow-sqlite/index.js';
import { createMlflowDatabase, type MlflowSchemaShape } from '../support/mlflow-sqlite-schema.js';
import { describeConformance } from './suite.js';

// MLflow's database as a target: the suite writes through the backend itself, into a database
// with MLflow's schema (what `mlflow server` creates), files into mlartifacts/ beside it. Both
// shapes the tests know: 3.11 (workspaces, inputs.step) and 2.8 (neither).
for (const shape of ['mlflow-3.11', 'mlflow-2.8'] as MlflowSchemaShape[]) {
  describeConformance({
    kind: `mlflow-sqlite (target, ${shape} schema)`,
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'mlflow-sqlite-target-'));
      const dbPath = join(dir, 'mlflow.db');
      createMlflowDatabase(dbPath, { shape });
      const store = await mlflowSqliteFactory.open(`sqlite:///${dbPath}`, { credentials: {}, role: 'target' });
      return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  });
}
