/**
 * WORKSPACE/PROJECT -> one active experiment. A database with workspace columns (MLflow 3.10+)
 * selects by (workspace, name), unique there; an older one has only the `default` workspace and
 * unique names. A deleted experiment is never read as a source, but is named in the error so the
 * user knows to restore it rather than hunt for a typo.
 */
import type { ProjectRef } from '../../model/project-ref.js';
import { DEFAULT_WORKSPACE, formatProjectRef } from '../../model/project-ref.js';
import { NotFoundError } from '../../util/errors.js';
import type { SqlReader } from './sql-driver.js';
import type { SchemaFeatures } from './schema-features.js';
import { num, text } from './values.js';

export interface ExperimentRow {
  id: string;
  name: string;
  artifactLocation?: string;
  creationTime?: number;
}

export async function findExperiment(connection: SqlReader, features: SchemaFeatures, ref: ProjectRef): Promise<ExperimentRow> {
  const where = `${connection.label} (project ${formatProjectRef(ref)})`;
  if (!features.workspaces && ref.workspace !== DEFAULT_WORKSPACE) {
    throw new NotFoundError(
      `workspace "${ref.workspace}" does not exist in ${where}: its schema predates MLflow 3.10 workspaces, so the only workspace is "${DEFAULT_WORKSPACE}" (name the project ${DEFAULT_WORKSPACE}/${ref.project})`,
    );
  }
  const creation = features.experimentCreationTime ? 'creation_time' : 'NULL AS creation_time';
  const rows = features.workspaces
    ? await connection.all(
        `SELECT experiment_id, name, artifact_location, lifecycle_stage, ${creation} FROM experiments WHERE name = ? AND workspace = ?`,
        ref.project,
        ref.workspace,
      )
    : await connection.all(`SELECT experiment_id, name, artifact_location, lifecycle_stage, ${creation} FROM experiments WHERE name = ?`, ref.project);

  const active = rows.find((row) => text(row.lifecycle_stage) !== 'deleted');
  if (active) {
    return {
      id: text(active.experiment_id) ?? '',
      name: text(active.name) ?? ref.project,
      ...(text(active.artifact_location) !== undefined ? { artifactLocation: text(active.artifact_location)! } : {}),
      ...(num(active.creation_time) !== undefined ? { creationTime: num(active.creation_time)! } : {}),
    };
  }
  if (rows.length > 0) {
    const id = text(rows[0]!.experiment_id);
    throw new NotFoundError(
      `experiment "${ref.project}" in ${where} is deleted (experiment id ${id}); restore it with \`mlflow experiments restore --experiment-id ${id}\` to copy its runs`,
    );
  }
  if (features.workspaces && !(await workspaceExists(connection, features, ref.workspace))) {
    const known = await knownWorkspaces(connection, features);
    throw new NotFoundError(`workspace "${ref.workspace}" does not exist in ${where}; workspaces there: ${known.join(', ') || 'none'}`);
  }
  throw new NotFoundError(`no experiment named "${ref.project}" in workspace "${ref.workspace}" of ${where}`);
}

async function workspaceExists(connection: SqlReader, features: SchemaFeatures, workspace: string): Promise<boolean> {
  if (features.workspaceCatalog && (await connection.get('SELECT 1 AS found FROM workspaces WHERE name = ?', workspace))) return true;
  return (await connection.get('SELECT 1 AS found FROM experiments WHERE workspace = ? LIMIT 1', workspace)) !== undefined;
}

async function knownWorkspaces(connection: SqlReader, features: SchemaFeatures): Promise<string[]> {
  const sql = features.workspaceCatalog
    ? 'SELECT name FROM workspaces UNION SELECT workspace AS name FROM experiments ORDER BY name LIMIT 20'
    : 'SELECT DISTINCT workspace AS name FROM experiments ORDER BY name LIMIT 20';
  return (await connection.all(sql)).map((row) => text(row.name) ?? '');
}

/** Every active experiment as a project, in (workspace, name) order: for whole-store copies. */
export async function listProjects(connection: SqlReader, features: SchemaFeatures): Promise<ProjectRef[]> {
  const workspace = features.workspaces ? 'workspace' : `'${DEFAULT_WORKSPACE}' AS workspace`;
  const rows = await connection.all(
    `SELECT ${workspace}, name FROM experiments WHERE lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted' ORDER BY 1, name`,
  );
  return rows.map((row) => ({ workspace: text(row.workspace) ?? DEFAULT_WORKSPACE, project: text(row.name) ?? '' }));
}
