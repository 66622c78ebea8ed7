import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { mlflowPostgresFactory } from '../../src/backends/mlflow-sqlite/postgres-index.js';
import { createMlflowPostgresSchema } from '../support/mlflow-postgres-schema.js';
import { startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { describeConformance } from './suite.js';

// MLflow's PostgreSQL database as a target, on a real PostgreSQL server started for this file:
// each test gets a fresh database with MLflow 3.11's schema, files in its own artifacts folder.
let server: Promise<PostgresServer> | undefined;
let databases = 0;
afterAll(async () => {
  if (server) await (await server).stop();
});

describeConformance({
  kind: 'mlflow-postgres',
  async open() {
    server ??= startPostgres();
    const pg = await server;
    const name = await pg.createDatabase(`conformance_${++databases}`);
    const client = await pg.client(name);
    await createMlflowPostgresSchema(client);
    await client.end();
    const dir = await mkdtemp(join(tmpdir(), 'mlflow-postgres-artifacts-'));
    const store = await mlflowPostgresFactory.open(`${pg.uri(name)}?artifacts=${encodeURIComponent(dir)}`, { credentials: {}, role: 'target' });
    return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
});
