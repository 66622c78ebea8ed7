/**
 * The `mlflow-sqlite` backend: `sqlite:///path/mlflow.db`, MLflow's own database, read and
 * written straight in the tables MLflow's SQLAlchemy store keeps (accepted by the shape of its
 * tables: schema-shape.ts).
 */
import type { BackendFactory, OpenOptions, Store } from '../contract.js';
import { KIND, MlflowSqliteStore } from './store.js';
import { isSqliteUri } from './uri.js';

export const mlflowSqliteFactory: BackendFactory = {
  kind: KIND,
  handles: isSqliteUri,
  async open(uri: string, options: OpenOptions): Promise<Store> {
    return options.role === 'target' ? MlflowSqliteStore.openTarget(uri) : MlflowSqliteStore.open(uri);
  },
};

export { MlflowSqliteStore, MLFLOW_SQLITE_CAPABILITIES, MLFLOW_SQLITE_TARGET_CAPABILITIES, type MlflowSqliteSettings } from './store.js';
export { KNOWN_REVISIONS } from './revisions.js';
