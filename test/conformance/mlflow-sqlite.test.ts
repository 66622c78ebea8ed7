import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/backends/contract.js';
import { mlflowSqliteFactory } from '../../src/backends/mlflow-sqlite/index.js';
import { createMlflowDatabase } from '../support/mlflow-sqlite-schema.js';
import { MlflowSqliteSeeder, seedTarget } from '../support/mlflow-sqlite-seed.js';
import { describeConformance } from './suite.js';

// The reader on its own: the suite writes through an independent test seeder that inserts rows
// the way MLflow's SQLAlchemy store does, and files where an MLflow server proxying artifacts puts
// them (the backend's own writer is checked by mlflow-sqlite-target.test.ts).
const seeders = new WeakMap<Store, MlflowSqliteSeeder>();

describeConformance({
  kind: 'mlflow-sqlite',
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'mlflow-sqlite-conformance-'));
    const dbPath = join(dir, 'mlflow.db');
    createMlflowDatabase(dbPath);
    await mkdir(join(dir, 'mlartifacts'));
    const store = await mlflowSqliteFactory.open(`sqlite:///${dbPath}`, { credentials: {}, role: 'source' });
    const seeder = new MlflowSqliteSeeder(dbPath);
    seeders.set(store, seeder);
    return {
      store,
      cleanup: async () => {
        seeder.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  async seed(store, ref, meta) {
    const seeder = seeders.get(store);
    if (!seeder) throw new Error('seed() called with a store this fixture did not open');
    return seedTarget(seeder, ref, meta);
  },
});
