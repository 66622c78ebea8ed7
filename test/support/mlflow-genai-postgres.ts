/**
 * A PostgreSQL database shaped like MLflow 3.11's with its GenAI tables too: the tracking, model
 * and registry tables (mlflow-postgres-schema.ts), then the trace tables and the evaluation
 * dataset tables (with entity_associations), as the GenAI e2e tests copy into.
 */
import type pg from 'pg';
import { createMlflowPostgresSchema } from './mlflow-postgres-schema.js';
import { POSTGRES_TRACE_DDL } from './mlflow-trace-tables.js';
import { POSTGRES_DATASET_DDL } from './mlflow-dataset-tables.js';

export async function createMlflowGenaiPostgresSchema(client: pg.Client): Promise<void> {
  await createMlflowPostgresSchema(client);
  await client.query(POSTGRES_TRACE_DDL);
  await client.query(POSTGRES_DATASET_DDL);
}
