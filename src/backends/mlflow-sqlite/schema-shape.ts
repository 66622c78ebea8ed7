/**
 * Schema by shape (DESIGN rule 9): a database is read - or written - when it has the tables and
 * columns this backend uses, whatever alembic revision it is stamped with. Every MLflow release
 * adds revisions (most touch tables we never use), so a list of revisions breaks with each one;
 * a missing column does not hide, and is named in the refusal.
 *
 * Pure: the caller lists the database's tables and columns (SQLite: sqlite_master + PRAGMA
 * table_info) and the alembic revision(s); this file decides.
 */
import { UnreachableError } from '../../util/errors.js';
import { describeRevision } from './revisions.js';
import { traceFeatures, type TraceFeatures } from './trace-shape.js';

/** Table name -> its column names, as the database reports them. */
export type Catalog = Map<string, Set<string>>;

export interface SchemaFeatures {
  /** The alembic revision stamped in the database ('' when none is). */
  revision: string;
  /** experiments.workspace (MLflow 3.10+): WORKSPACE selects experiments by it. */
  workspaces: boolean;
  /** The workspaces catalog table (MLflow 3.10+), to tell an unknown workspace from an empty one. */
  workspaceCatalog: boolean;
  /** experiments.creation_time (2.0+). */
  experimentCreationTime: boolean;
  /** datasets / inputs / input_tags (2.4+). */
  datasets: boolean;
  /** inputs.step (3.0+). */
  inputStep: boolean;
  /** The logged-model tables with the columns in LOGGED_MODEL_COLUMNS (3.0+), and inputs.step for run links. */
  loggedModels: boolean;
  /** The registry tables with the columns in REGISTRY_COLUMNS. */
  registry: boolean;
  /** registered_model_aliases (2.3+). */
  registryAliases: boolean;
  /** registered_models.workspace and its sibling tables (3.10+). */
  registryWorkspace: boolean;
  /** model_versions.storage_location (2.8+). */
  versionStorageLocation: boolean;
  /** MLflow 3 traces (trace-shape.ts): absent or false when the tables are not there. */
  traces?: TraceFeatures;
  /** The scorer tables with the columns in SCORER_COLUMNS (MLflow 3.4+; scorers.ts). */
  scorers?: boolean;
}

/** What the scorer reader and writer use (SqlAlchemyStore's SqlScorer and SqlScorerVersion). */
export const SCORER_COLUMNS: Record<string, readonly string[]> = {
  scorers: ['experiment_id', 'scorer_name', 'scorer_id'],
  scorer_versions: ['scorer_id', 'scorer_version', 'serialized_scorer', 'creation_time'],
};

/** What the reader selects; a database without one of these cannot be read. */
export const READ_COLUMNS: Record<string, readonly string[]> = {
  experiments: ['experiment_id', 'name', 'artifact_location', 'lifecycle_stage'],
  experiment_tags: ['key', 'value', 'experiment_id'],
  runs: ['run_uuid', 'name', 'user_id', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'experiment_id', 'artifact_uri'],
  params: ['key', 'value', 'run_uuid'],
  tags: ['key', 'value', 'run_uuid'],
  metrics: ['key', 'value', 'timestamp', 'run_uuid', 'step', 'is_nan'],
};

/** Dataset inputs (MLflow 2.4+): all three tables or none; when present, these columns are read. */
export const DATASET_COLUMNS: Record<string, readonly string[]> = {
  datasets: ['dataset_uuid', 'experiment_id', 'name', 'digest', 'dataset_source_type', 'dataset_source', 'dataset_schema', 'dataset_profile'],
  inputs: ['input_uuid', 'source_type', 'source_id', 'destination_type', 'destination_id'],
  input_tags: ['input_uuid', 'name', 'value'],
};

/**
 * What the writer fills, on top of what the reader needs: every column MLflow's SqlAlchemyStore
 * sets when it creates an experiment or a run, and latest_metrics, which MLflow keeps beside
 * metrics. Nullable columns MLflow added later (workspace, creation_time) are written when present.
 */
export const WRITE_COLUMNS: Record<string, readonly string[]> = {
  ...READ_COLUMNS,
  runs: [...READ_COLUMNS.runs!, 'source_type', 'source_name', 'entry_point_name', 'source_version', 'deleted_time'],
  latest_metrics: ['key', 'value', 'timestamp', 'step', 'is_nan', 'run_uuid'],
  ...DATASET_COLUMNS,
};

/** MLflow 3 logged models (dbmodels SqlLoggedModel*): read and written only when all are there. */
export const LOGGED_MODEL_COLUMNS: Record<string, readonly string[]> = {
  logged_models: [
    'model_id', 'experiment_id', 'name', 'artifact_location', 'creation_timestamp_ms', 'last_updated_timestamp_ms',
    'status', 'lifecycle_stage', 'model_type', 'source_run_id', 'status_message',
  ],
  logged_model_params: ['model_id', 'experiment_id', 'param_key', 'param_value'],
  logged_model_tags: ['model_id', 'experiment_id', 'tag_key', 'tag_value'],
  logged_model_metrics: [
    'model_id', 'metric_name', 'metric_timestamp_ms', 'metric_step', 'metric_value', 'experiment_id', 'run_id',
    'dataset_uuid', 'dataset_name', 'dataset_digest',
  ],
};

/** The model registry (SqlRegisteredModel, SqlModelVersion and their tags). */
export const REGISTRY_COLUMNS: Record<string, readonly string[]> = {
  registered_models: ['name', 'creation_time', 'last_updated_time', 'description'],
  registered_model_tags: ['key', 'value', 'name'],
  model_versions: ['name', 'version', 'creation_time', 'last_updated_time', 'description', 'user_id', 'current_stage', 'source', 'run_id', 'status', 'status_message', 'run_link'],
  model_version_tags: ['key', 'value', 'name', 'version'],
};

/** Missing tables and columns of `wanted` in `catalog`, as "table" or "table.column". */
export function missingFrom(catalog: Catalog, wanted: Record<string, readonly string[]>): string[] {
  const missing: string[] = [];
  for (const [table, columns] of Object.entries(wanted)) {
    const have = catalog.get(table);
    if (!have) {
      missing.push(`table ${table}`);
      continue;
    }
    for (const column of columns) if (!have.has(column)) missing.push(`column ${table}.${column}`);
  }
  return missing;
}

/**
 * The features of a database this reader can read, or an UnreachableError naming what is missing.
 * `revisions` are the rows of alembic_version (undefined: no such table).
 */
export function readShape(catalog: Catalog, revisions: string[] | undefined, label: string): SchemaFeatures {
  const revision = revisions?.join(', ') ?? '';
  const missing = missingFrom(catalog, READ_COLUMNS);
  if (missing.length > 0) {
    const stamp = revisions === undefined ? 'no alembic_version table' : `alembic revision ${describeRevision(revision)}`;
    const what = missing.length === Object.keys(READ_COLUMNS).length ? 'none of MLflow\'s tracking tables' : missing.join(', ') + ' missing';
    throw new UnreachableError(`${label} cannot be read as an MLflow tracking database (${stamp}): ${what}`);
  }
  const datasetTables = Object.keys(DATASET_COLUMNS).filter((table) => catalog.has(table));
  if (datasetTables.length > 0) {
    const missingDatasets = missingFrom(catalog, DATASET_COLUMNS);
    if (missingDatasets.length > 0) {
      throw new UnreachableError(
        `${label} (alembic revision ${describeRevision(revision)}) has dataset tables of a shape this reader does not know: ${missingDatasets.join(', ')} missing`,
      );
    }
  }
  const datasets = datasetTables.length === Object.keys(DATASET_COLUMNS).length;
  const inputStep = datasets && catalog.get('inputs')!.has('step');
  const registry = missingFrom(catalog, REGISTRY_COLUMNS).length === 0;
  const registryTables = [...Object.keys(REGISTRY_COLUMNS), 'registered_model_aliases'].filter((table) => catalog.has(table));
  return {
    revision,
    workspaces: catalog.get('experiments')!.has('workspace'),
    workspaceCatalog: catalog.has('workspaces'),
    experimentCreationTime: catalog.get('experiments')!.has('creation_time'),
    datasets,
    inputStep,
    loggedModels: inputStep && missingFrom(catalog, LOGGED_MODEL_COLUMNS).length === 0,
    registry,
    registryAliases: registry && (catalog.get('registered_model_aliases')?.has('alias') ?? false),
    registryWorkspace: registry && registryTables.every((table) => catalog.get(table)!.has('workspace')),
    versionStorageLocation: registry && catalog.get('model_versions')!.has('storage_location'),
    traces: traceFeatures(catalog),
    // Left out (not false) without the tables, like traces: a 3.11 shape without them reads as before.
    ...(missingFrom(catalog, SCORER_COLUMNS).length === 0 ? { scorers: true } : {}),
  };
}

/** The log line that says what was opened and how it was recognised. */
export function shapeNote(label: string, features: SchemaFeatures, role: 'read' | 'write'): string {
  const optional = [
    features.workspaces ? 'workspaces' : 'no workspaces',
    features.datasets ? (features.inputStep ? 'dataset inputs with steps' : 'dataset inputs') : 'no dataset inputs',
    features.loggedModels ? 'logged models' : 'no logged models',
    features.registry ? 'model registry' : 'no model registry',
  ].join(', ');
  return `${label}: MLflow schema at alembic revision ${describeRevision(features.revision)}; its tables and columns fit this ${role === 'read' ? 'reader' : 'writer'} (${optional})`;
}

/**
 * The features of a database this writer can write into, or an UnreachableError. An empty
 * database (or any without MLflow's tables) is refused with how to let MLflow create its schema:
 * this tool never creates one, since a schema MLflow did not write could fail its migrations.
 * (`mlflow db upgrade` is not the way: on an empty database MLflow 3.11 fails with "no such
 * table: metrics" and leaves an empty alembic_version table behind.)
 */
export function writeShape(catalog: Catalog, revisions: string[] | undefined, label: string): SchemaFeatures {
  const hasTracking = Object.keys(READ_COLUMNS).some((table) => catalog.has(table));
  if (!hasTracking) {
    throw new UnreachableError(
      `${label} holds no MLflow schema (${catalog.size === 0 ? 'it is empty' : 'none of MLflow\'s tracking tables'}). ` +
        `Let MLflow create it: start \`mlflow server --backend-store-uri <this URI>\` on it once (it creates the tables and stops being needed), then copy again`,
    );
  }
  const features = readShape(catalog, revisions, label);
  const missing = missingFrom(catalog, WRITE_COLUMNS);
  if (missing.length > 0) {
    throw new UnreachableError(
      `${label} (alembic revision ${describeRevision(features.revision)}) has a schema this writer does not know: ${missing.join(', ')} missing; ` +
        `upgrade it with the MLflow that serves it (\`mlflow db upgrade <uri>\`, after a backup) or copy through that MLflow server's http:// URI`,
    );
  }
  return features;
}
