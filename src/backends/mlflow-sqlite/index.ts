/**
 * The `mlflow-sqlite` backend: `sqlite:///path/mlflow.db` read as a source, straight from the
 * tables MLflow's SQLAlchemy store keeps (accepted by the shape of its tables: schema-shape.ts).
 */
import type { BackendFactory, OpenOptions, Store } from '../contract.js';
import { UsageError } from '../../util/errors.js';
import { KIND, MlflowSqliteStore, READ_ONLY_MESSAGE } from './store.js';
import { isSqliteUri } from './uri.js';

export const mlflowSqliteFactory: BackendFactory = {
  kind: KIND,
  handles: isSqliteUri,
  async open(uri: string, options: OpenOptions): Promise<Store> {
    // Refused before anything is opened, so a wrong --target-uri fails first (DESIGN rule 7).
    if (options.role === 'target') throw new UsageError(READ_ONLY_MESSAGE);
    return MlflowSqliteStore.open(uri);
  },
};

export { MlflowSqliteStore, MLFLOW_SQLITE_CAPABILITIES, type MlflowSqliteSettings } from './store.js';
export { KNOWN_REVISIONS } from './revisions.js';
