/**
 * SQLite files shaped like the ones MLflow creates, for the mlflow-sqlite backend's tests.
 *
 * Where the DDL comes from (only the tracking tables the reader touches, plus alembic_version and
 * the workspaces catalog; trace, gateway and job tables are left out; the 3.11 shape has the
 * logged-model and registry tables of mlflow-model-tables.ts, the 2.8 one neither):
 * - the statements as SQLite stores them after MLflow's batch migrations: a public `sqlite3 .dump`
 *   of a real mlflow.db at revision da6fb0208061 (MLflow 3.12+) for runs, metrics, latest_metrics,
 *   params, experiments, experiment_tags, inputs, input_tags and workspaces - including the
 *   `"key"` quoting and the columns alembic appended at the end of a line, like
 *   `experiment_id INTEGER, deleted_time BIGINT`. Taken back to 3.11 (c3d6457b6d8a) by leaving out
 *   what later migrations added: workspaces.trace_archival_* (b8c9d0e1f2a3, da6fb0208061) and the
 *   metrics (run_uuid, key, step) index (a5b4c3d2e1f0, MLflow 3.12);
 * - mlflow/mlflow tests/db/schemas/sqlite.sql (MLflow's reflected SQLite schema) for tags,
 *   datasets and the indexes;
 * - the migrations themselves for what changed when: bd07f7e963c5 (the *_run_uuid indexes),
 *   7f2a7d5fae7d (datasets/inputs/input_tags), f5a4f2784254 (tags.value 8000), 6953534de441
 *   (inputs.step), 1b5f0d9ad7c1 (experiments.workspace, uq_experiments_workspace_name, the
 *   workspaces table with its 'default' row).
 * Two shapes: `mlflow-3.11` (head c3d6457b6d8a, with workspaces) and `mlflow-2.8` (head
 * acf3f17fdcc7: no workspace column, no inputs.step, tags.value 5000, names unique alone).
 */
import Database from 'better-sqlite3';
import { SQLITE_MODEL_DDL } from './mlflow-model-tables.js';

export type MlflowSchemaShape = 'mlflow-3.11' | 'mlflow-2.8';

export const SHAPE_REVISION: Record<MlflowSchemaShape, string> = {
  'mlflow-3.11': 'c3d6457b6d8a',
  'mlflow-2.8': 'acf3f17fdcc7',
};

const ALEMBIC = `
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);`;

const EXPERIMENTS_3 = `
CREATE TABLE IF NOT EXISTS "experiments" (
	experiment_id INTEGER NOT NULL,
	name VARCHAR(256) NOT NULL,
	artifact_location VARCHAR(256),
	lifecycle_stage VARCHAR(32),
	creation_time BIGINT,
	last_update_time BIGINT,
	workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
	CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
	CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
	CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name)
);
CREATE INDEX idx_experiments_workspace ON experiments (workspace);
CREATE INDEX idx_experiments_workspace_creation_time ON experiments (workspace, creation_time);
CREATE TABLE workspaces (
	name VARCHAR(63) NOT NULL,
	description TEXT,
	default_artifact_root TEXT,
	CONSTRAINT workspaces_pk PRIMARY KEY (name)
);
INSERT INTO workspaces VALUES('default','Default workspace for legacy resources',NULL);`;

const EXPERIMENTS_2 = `
CREATE TABLE experiments (
	experiment_id INTEGER NOT NULL,
	name VARCHAR(256) NOT NULL,
	artifact_location VARCHAR(256),
	lifecycle_stage VARCHAR(32),
	creation_time BIGINT,
	last_update_time BIGINT,
	CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
	UNIQUE (name),
	CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted'))
);`;

const TRACKING = (tagValueLength: number) => `
CREATE TABLE experiment_tags (
	"key" VARCHAR(250) NOT NULL,
	value VARCHAR(5000),
	experiment_id INTEGER NOT NULL,
	CONSTRAINT experiment_tag_pk PRIMARY KEY ("key", experiment_id),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE IF NOT EXISTS "runs" (
	run_uuid VARCHAR(32) NOT NULL,
	name VARCHAR(250),
	source_type VARCHAR(20),
	source_name VARCHAR(500),
	entry_point_name VARCHAR(50),
	user_id VARCHAR(256),
	status VARCHAR(9),
	start_time BIGINT,
	end_time BIGINT,
	source_version VARCHAR(50),
	lifecycle_stage VARCHAR(20),
	artifact_uri VARCHAR(200),
	experiment_id INTEGER, deleted_time BIGINT,
	CONSTRAINT run_pk PRIMARY KEY (run_uuid),
	CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
	CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
	FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
	CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED'))
);
CREATE TABLE IF NOT EXISTS "latest_metrics" (
	"key" VARCHAR(250) NOT NULL,
	value FLOAT NOT NULL,
	timestamp BIGINT,
	step BIGINT NOT NULL,
	is_nan BOOLEAN NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT latest_metric_pk PRIMARY KEY ("key", run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
	CHECK (is_nan IN (0, 1))
);
CREATE TABLE IF NOT EXISTS "metrics" (
	"key" VARCHAR(250) NOT NULL,
	value FLOAT NOT NULL,
	timestamp BIGINT NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	step BIGINT DEFAULT '0' NOT NULL,
	is_nan BOOLEAN DEFAULT '0' NOT NULL,
	CONSTRAINT metric_pk PRIMARY KEY ("key", timestamp, step, run_uuid, value, is_nan),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
	CHECK (is_nan IN (0, 1))
);
CREATE TABLE IF NOT EXISTS "params" (
	"key" VARCHAR(250) NOT NULL,
	value VARCHAR(8000) NOT NULL,
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT param_pk PRIMARY KEY ("key", run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE TABLE IF NOT EXISTS "tags" (
	"key" VARCHAR(250) NOT NULL,
	value VARCHAR(${tagValueLength}),
	run_uuid VARCHAR(32) NOT NULL,
	CONSTRAINT tag_pk PRIMARY KEY ("key", run_uuid),
	FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
CREATE TABLE IF NOT EXISTS "datasets" (
	dataset_uuid VARCHAR(36) NOT NULL,
	experiment_id INTEGER NOT NULL,
	name VARCHAR(500) NOT NULL,
	digest VARCHAR(36) NOT NULL,
	dataset_source_type VARCHAR(36) NOT NULL,
	dataset_source TEXT NOT NULL,
	dataset_schema TEXT,
	dataset_profile TEXT,
	CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest),
	CONSTRAINT fk_datasets_experiment_id_experiments FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE INDEX index_datasets_dataset_uuid ON datasets (dataset_uuid);
CREATE INDEX index_datasets_experiment_id_dataset_source_type ON datasets (experiment_id, dataset_source_type);
CREATE TABLE input_tags (
	input_uuid VARCHAR(36) NOT NULL,
	name VARCHAR(255) NOT NULL,
	value VARCHAR(500) NOT NULL,
	CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name)
);`;

const INPUTS_3 = `
CREATE TABLE inputs (
	input_uuid VARCHAR(36) NOT NULL,
	source_type VARCHAR(36) NOT NULL,
	source_id VARCHAR(36) NOT NULL,
	destination_type VARCHAR(36) NOT NULL,
	destination_id VARCHAR(36) NOT NULL, step BIGINT DEFAULT '0' NOT NULL,
	CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);`;

const INPUTS_2 = `
CREATE TABLE inputs (
	input_uuid VARCHAR(36) NOT NULL,
	source_type VARCHAR(36) NOT NULL,
	source_id VARCHAR(36) NOT NULL,
	destination_type VARCHAR(36) NOT NULL,
	destination_id VARCHAR(36) NOT NULL,
	CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);`;

const INPUT_INDEXES = `
CREATE INDEX index_inputs_input_uuid ON inputs (input_uuid);
CREATE INDEX index_inputs_destination_type_destination_id_source_type ON inputs (destination_type, destination_id, source_type);`;

export function mlflowSchemaDdl(shape: MlflowSchemaShape): string {
  const modern = shape === 'mlflow-3.11';
  return [
    ALEMBIC,
    modern ? EXPERIMENTS_3 : EXPERIMENTS_2,
    TRACKING(modern ? 8000 : 5000),
    modern ? INPUTS_3 : INPUTS_2,
    INPUT_INDEXES,
    modern ? SQLITE_MODEL_DDL : '',
    `INSERT INTO alembic_version VALUES('${SHAPE_REVISION[shape]}');`,
  ].join('\n');
}

export interface CreateOptions {
  shape?: MlflowSchemaShape;
  /** Stamp another revision (to test refusal). */
  revision?: string;
  /** SQLite journal mode; MLflow leaves SQLite's default (delete). */
  journalMode?: 'delete' | 'wal';
}

/** Creates an empty MLflow database at `dbPath` (with MLflow's `Default` experiment 0, as MLflow does). */
export function createMlflowDatabase(dbPath: string, options: CreateOptions = {}): void {
  const shape = options.shape ?? 'mlflow-3.11';
  const db = new Database(dbPath);
  try {
    if (options.journalMode === 'wal') db.pragma('journal_mode = WAL');
    db.exec(mlflowSchemaDdl(shape));
    if (options.revision) db.prepare('UPDATE alembic_version SET version_num = ?').run(options.revision);
    db.prepare(
      "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', 0, 0)",
    ).run('mlflow-artifacts:/0');
  } finally {
    db.close();
  }
}
