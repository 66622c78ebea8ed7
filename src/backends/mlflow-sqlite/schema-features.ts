/**
 * What the opened database is: its MLflow schema revision (refused unless known), and which of
 * the optional parts this reader uses it has. Checked once when the store opens.
 */
import { UnreachableError } from '../../util/errors.js';
import type { ReadConnection } from './connection.js';
import { knownRevision, supportedRange } from './revisions.js';
import { text } from './values.js';

export interface SchemaFeatures {
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
}

const REQUIRED_TABLES = ['experiments', 'experiment_tags', 'runs', 'params', 'tags', 'metrics'];

export function readSchemaFeatures(connection: ReadConnection): SchemaFeatures {
  const tables = new Set(
    connection.all("SELECT name FROM sqlite_master WHERE type = 'table'").map((row) => text(row.name) ?? ''),
  );
  if (!tables.has('alembic_version')) {
    throw new UnreachableError(
      `${connection.label} is not an MLflow tracking database: it has no alembic_version table (MLflow stamps its schema revision there)`,
    );
  }
  const revision = readRevision(connection);
  const missing = REQUIRED_TABLES.filter((table) => !tables.has(table));
  if (missing.length > 0) {
    throw new UnreachableError(`${connection.label} is not an MLflow tracking database: table ${missing.join(', ')} missing`);
  }
  const datasets = tables.has('datasets') && tables.has('inputs') && tables.has('input_tags');
  return {
    revision,
    workspaces: columns(connection, 'experiments').has('workspace'),
    workspaceCatalog: tables.has('workspaces'),
    experimentCreationTime: columns(connection, 'experiments').has('creation_time'),
    datasets,
    inputStep: datasets && columns(connection, 'inputs').has('step'),
  };
}

function readRevision(connection: ReadConnection): string {
  const revisions = connection.all('SELECT version_num FROM alembic_version').map((row) => text(row.version_num) ?? '');
  if (revisions.length !== 1) {
    const found = revisions.length === 0 ? 'no revision' : `${revisions.length} revisions (${revisions.join(', ')})`;
    throw new UnreachableError(
      `${connection.label} records ${found} in alembic_version; an MLflow database has exactly one. Supported: ${supportedRange()}`,
    );
  }
  const revision = revisions[0]!;
  if (!knownRevision(revision)) {
    throw new UnreachableError(
      `${connection.label} has MLflow schema revision "${revision}", which this tool does not know. ` +
        `Supported: ${supportedRange()}. An older database can be upgraded with \`mlflow db upgrade <uri>\` ` +
        `using MLflow 3.11 (back it up first); for a newer one, serve it with \`mlflow server --backend-store-uri <uri>\` ` +
        `and copy from the server's http:// URI instead.`,
    );
  }
  return revision;
}

function columns(connection: ReadConnection, table: string): Set<string> {
  return new Set(connection.all(`PRAGMA table_info("${table}")`).map((row) => text(row.name) ?? ''));
}
