/**
 * MLflow's PostgreSQL database (`postgresql://user@host:port/db`) as a store: read and written
 * through the same readers and writer as SQLite (the SQL is shared; postgres-driver.ts speaks
 * the dialect). Accepted by the shape of its tables, like SQLite; a target must already hold
 * MLflow's schema. Artifacts: `mlflow-artifacts:` URIs map below `?artifacts=<dir>` (default
 * ./mlartifacts, the server's own default --artifacts-destination).
 */
import type { Capabilities, SourceProject, Store, TargetProject, OpenTargetOptions } from '../contract.js';
import { rejectMlflowKey } from '../mlflow-rules.js';
import type { ProjectRef } from '../../model/project-ref.js';
import type { ProjectMeta } from '../../model/run.js';
import { UsageError } from '../../util/errors.js';
import type { ArtifactContext } from './artifact-location.js';
import { findExperiment, listProjects } from './experiment-lookup.js';
import { DEFAULT_METRIC_CHUNK } from './metric-history.js';
import type { Binding } from './metric-rows.js';
import { PostgresDriver, type PostgresConnectOptions } from './postgres-driver.js';
import { parsePostgresUri, type PostgresLocation } from './postgres-uri.js';
import { readShape, shapeNote, writeShape, type Catalog, type SchemaFeatures } from './schema-shape.js';
import { SqliteSourceProject } from './source-project.js';
import { registryWorkspace, SqliteRegistry } from './models.js';
import { SqlTargetRegistry } from './registry-target.js';
import { MLFLOW_SQLITE_CAPABILITIES, MLFLOW_SQLITE_TARGET_CAPABILITIES } from './capabilities.js';
import { openSqlTargetProject } from './target-project.js';
import { text } from './values.js';

export const POSTGRES_KIND = 'mlflow-postgres';

export const POSTGRES_BINDING: Binding = {
  bool: (value) => value,
  int: (value) => (typeof value === 'bigint' ? value.toString() : Number.isInteger(value) ? String(value) : value),
  columnArrays: true,
};

/** Several writers are fine on PostgreSQL, but one connection writes: batches stay in order. */
const TARGET_CAPABILITIES: Capabilities = { ...MLFLOW_SQLITE_TARGET_CAPABILITIES };

export interface PostgresStoreSettings extends PostgresConnectOptions {
  metricChunk?: number;
  cwd?: string;
  now?: () => number;
}

export class MlflowPostgresStore implements Store {
  readonly kind = POSTGRES_KIND;
  readonly displayUri: string;
  readonly identity: string;
  readonly notes: readonly string[];
  readonly capabilities: Capabilities;
  readonly openTargetRegistry?: (workspace: string) => Promise<SqlTargetRegistry>;

  private constructor(
    private readonly location: PostgresLocation,
    readonly driver: PostgresDriver,
    readonly features: SchemaFeatures,
    private readonly settings: PostgresStoreSettings,
    private readonly writable: boolean,
    warnings: string[],
  ) {
    this.displayUri = location.displayUri;
    this.identity = `${POSTGRES_KIND}:${location.host}:${location.port}/${location.database}`;
    this.notes = [shapeNote(location.displayUri, features, writable ? 'write' : 'read'), ...warnings];
    this.capabilities = writable ? TARGET_CAPABILITIES : MLFLOW_SQLITE_CAPABILITIES;
    // The registry is written as MLflow writes it (registry-target.ts), only into a target whose
    // schema has its tables: without this method --registry is refused before anything is written.
    if (writable && features.registry) {
      this.openTargetRegistry = async (workspace: string) =>
        new SqlTargetRegistry({
          reader: this.driver,
          driver: this.driver,
          features,
          bind: POSTGRES_BINDING,
          now: settings.now ?? Date.now,
          workspace: registryWorkspace(this.displayUri, features, workspace),
        });
    }
  }

  static async open(uri: string, role: 'source' | 'target', settings: PostgresStoreSettings = {}): Promise<MlflowPostgresStore> {
    const location = parsePostgresUri(uri, settings.cwd);
    const warnings: string[] = [];
    const driver = await PostgresDriver.connect(location, {
      ...settings,
      onWarning: (text) => {
        warnings.push(text);
        settings.onWarning?.(text);
      },
    });
    try {
      const { catalog, revisions } = await postgresCatalog(driver);
      const features = role === 'target' ? writeShape(catalog, revisions, location.displayUri) : readShape(catalog, revisions, location.displayUri);
      return new MlflowPostgresStore(location, driver, features, settings, role === 'target', warnings);
    } catch (error) {
      await driver.close();
      throw error;
    }
  }

  rejectKey(key: string): string | undefined {
    return rejectMlflowKey(key);
  }

  listProjects(): Promise<ProjectRef[]> {
    return listProjects(this.driver, this.features);
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    const experiment = await findExperiment(this.driver, this.features, ref);
    return SqliteSourceProject.open(ref, experiment, {
      connection: this.driver,
      features: this.features,
      artifactContext: this.artifactContext(),
      metricChunk: this.settings.metricChunk ?? DEFAULT_METRIC_CHUNK,
    });
  }

  /** A workspace's model registry (models.ts). */
  async openSourceRegistry(workspace: string): Promise<SqliteRegistry> {
    return new SqliteRegistry(this.driver, this.features, registryWorkspace(this.displayUri, this.features, workspace));
  }

  async openTarget(ref: ProjectRef, meta: ProjectMeta, options: OpenTargetOptions): Promise<TargetProject | undefined> {
    if (!this.writable) throw new UsageError(`${this.displayUri} was opened to read; open it as a target to write`);
    return openSqlTargetProject(
      { driver: this.driver, features: this.features, bind: POSTGRES_BINDING, artifactContext: this.artifactContext(), now: this.settings.now ?? Date.now },
      ref,
      meta,
      options.create,
      options.artifactLocation,
    );
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  private artifactContext(): ArtifactContext {
    return {
      dbDir: this.settings.cwd ?? process.cwd(),
      artifactsRoot: this.location.artifactsRoot,
      artifactsRootGiven: this.location.artifactsRootGiven,
    };
  }
}

/** Tables and columns of the connection's current schema, and the alembic revision(s). */
async function postgresCatalog(driver: PostgresDriver): Promise<{ catalog: Catalog; revisions: string[] | undefined }> {
  const catalog: Catalog = new Map();
  const rows = await driver.all(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`,
  );
  for (const row of rows) {
    const table = text(row.table_name) ?? '';
    let columns = catalog.get(table);
    if (!columns) catalog.set(table, (columns = new Set()));
    columns.add(text(row.column_name) ?? '');
  }
  const revisions = catalog.has('alembic_version')
    ? (await driver.all('SELECT version_num FROM alembic_version ORDER BY version_num')).map((row) => text(row.version_num) ?? '')
    : undefined;
  return { catalog, revisions };
}
