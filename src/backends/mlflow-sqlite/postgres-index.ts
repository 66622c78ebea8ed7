/**
 * The `mlflow-postgres` backend: MLflow's PostgreSQL database, `postgresql://user@host:port/db`
 * (also `postgresql+psycopg2://...`), read and written like `sqlite:///` (same folder, same SQL).
 */
import type { BackendFactory, OpenOptions, Store } from '../contract.js';
import { MlflowPostgresStore, POSTGRES_KIND } from './postgres-store.js';
import { isPostgresUri } from './postgres-uri.js';

export const mlflowPostgresFactory: BackendFactory = {
  kind: POSTGRES_KIND,
  handles: isPostgresUri,
  async open(uri: string, options: OpenOptions): Promise<Store> {
    return MlflowPostgresStore.open(uri, options.role, {
      ...(options.credentials.password !== undefined ? { password: options.credentials.password } : {}),
    });
  },
};

export { MlflowPostgresStore } from './postgres-store.js';
