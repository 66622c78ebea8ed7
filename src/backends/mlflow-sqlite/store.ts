/**
 * An MLflow SQLite database (`mlflow.db`), opened to read (a read-only connection: nothing is
 * ever written) or as a target (plus one read-write connection, see sqlite-driver.ts). Both are
 * accepted by the shape of the tables (schema-shape.ts), never by a list of revisions; a target
 * must already hold MLflow's schema, which only MLflow creates.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Capabilities, SourceProject, Store, TargetProject, OpenTargetOptions } from '../contract.js';
import { rejectMlflowKey } from '../mlflow-rules.js';
import { MLFLOW_SQLITE_CAPABILITIES, MLFLOW_SQLITE_TARGET_CAPABILITIES } from './capabilities.js';
import type { ProjectRef } from '../../model/project-ref.js';
import type { ProjectMeta } from '../../model/run.js';
import { UnreachableError, UsageError } from '../../util/errors.js';
import type { ArtifactContext } from './artifact-location.js';
import { DEFAULT_BUSY_TIMEOUT_MS, ReadConnection } from './connection.js';
import { findExperiment, listProjects } from './experiment-lookup.js';
import { DEFAULT_METRIC_CHUNK } from './metric-history.js';
import type { Binding } from './metric-rows.js';
import { sqliteCatalog } from './schema-features.js';
import { readShape, shapeNote, writeShape, type SchemaFeatures } from './schema-shape.js';
import { SqliteDriver } from './sqlite-driver.js';
import { SqliteSourceProject } from './source-project.js';
import { registryWorkspace, SqliteRegistry } from './models.js';
import { SqlTargetRegistry } from './registry-target.js';
import { openSqlTargetProject } from './target-project.js';
import { parseSqliteUri, type SqliteLocation } from './uri.js';

export const KIND = 'mlflow-sqlite';
export { MLFLOW_SQLITE_CAPABILITIES, MLFLOW_SQLITE_TARGET_CAPABILITIES } from './capabilities.js';

export const SQLITE_BINDING: Binding = {
  bool: (value) => (value ? 1 : 0),
  int: (value) => (typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : value),
};

/** Knobs for tests and benchmarks; the factory uses the defaults. */
export interface MlflowSqliteSettings {
  /** Points per metric-history batch (and per SQL page). */
  metricChunk?: number;
  busyTimeoutMs?: number;
  /** Directory that relative sqlite:/// paths resolve against. */
  cwd?: string;
  /** Clock for creation and deletion times. */
  now?: () => number;
}

export class MlflowSqliteStore implements Store {
  readonly kind = KIND;
  readonly identity: string;
  readonly notes: readonly string[];
  readonly capabilities: Capabilities;
  readonly openTargetRegistry?: (workspace: string) => Promise<SqlTargetRegistry>;

  private constructor(
    readonly displayUri: string,
    private readonly location: SqliteLocation,
    private readonly connection: ReadConnection,
    readonly features: SchemaFeatures,
    private readonly settings: MlflowSqliteSettings,
    private readonly writer: SqliteDriver | undefined,
  ) {
    this.identity = `${KIND}:${fs.realpathSync(location.dbPath)}`;
    this.notes = [shapeNote(displayUri, features, writer ? 'write' : 'read')];
    this.capabilities = writer ? MLFLOW_SQLITE_TARGET_CAPABILITIES : MLFLOW_SQLITE_CAPABILITIES;
    // The registry is written as MLflow writes it (registry-target.ts), only into a target whose
    // schema has its tables: without this method --registry is refused before anything is written.
    if (writer && features.registry) {
      this.openTargetRegistry = async (workspace: string) =>
        new SqlTargetRegistry({
          reader: this.connection,
          driver: writer,
          features,
          bind: SQLITE_BINDING,
          now: settings.now ?? Date.now,
          workspace: registryWorkspace(this.displayUri, features, workspace),
        });
    }
  }

  /** Opens to read. */
  static open(uri: string, settings: MlflowSqliteSettings = {}): MlflowSqliteStore {
    const displayUri = uri.trim();
    const location = parseSqliteUri(displayUri, settings.cwd);
    const connection = ReadConnection.open(location.dbPath, displayUri, settings.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    try {
      const { catalog, revisions } = sqliteCatalog(connection);
      return new MlflowSqliteStore(displayUri, location, connection, readShape(catalog, revisions, displayUri), settings, undefined);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** Opens to write (and to read back, for verify): the database must hold MLflow's schema. */
  static openTarget(uri: string, settings: MlflowSqliteSettings = {}): MlflowSqliteStore {
    const displayUri = uri.trim();
    const location = parseSqliteUri(displayUri, settings.cwd);
    if (!fs.existsSync(location.dbPath)) {
      throw new UnreachableError(
        `no MLflow database at ${location.dbPath}: let MLflow create it by starting \`mlflow server --backend-store-uri ${displayUri}\` once, then copy again`,
      );
    }
    const busy = settings.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const connection = ReadConnection.open(location.dbPath, displayUri, busy);
    let writer: SqliteDriver | undefined;
    try {
      const { catalog, revisions } = sqliteCatalog(connection);
      const features = writeShape(catalog, revisions, displayUri);
      writer = SqliteDriver.open(location.dbPath, displayUri, busy);
      return new MlflowSqliteStore(displayUri, location, connection, features, settings, writer);
    } catch (error) {
      connection.close();
      closeQuietly(writer);
      throw error;
    }
  }

  rejectKey(key: string): string | undefined {
    return rejectMlflowKey(key);
  }

  listProjects(): Promise<ProjectRef[]> {
    return listProjects(this.connection, this.features);
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    const experiment = await findExperiment(this.connection, this.features, ref);
    return SqliteSourceProject.open(ref, experiment, {
      connection: this.connection,
      features: this.features,
      artifactContext: this.artifactContext(),
      metricChunk: this.settings.metricChunk ?? DEFAULT_METRIC_CHUNK,
    });
  }

  /** A workspace's model registry (models.ts). */
  async openSourceRegistry(workspace: string): Promise<SqliteRegistry> {
    return new SqliteRegistry(this.connection, this.features, registryWorkspace(this.displayUri, this.features, workspace));
  }

  async openTarget(ref: ProjectRef, meta: ProjectMeta, options: OpenTargetOptions): Promise<TargetProject | undefined> {
    if (!this.writer) throw new UsageError(`${this.displayUri} was opened to read; open it as a target to write`);
    return openSqlTargetProject(
      { driver: this.writer, features: this.features, bind: SQLITE_BINDING, artifactContext: this.artifactContext(), now: this.settings.now ?? Date.now },
      ref,
      meta,
      options.create,
      options.artifactLocation,
    );
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.connection.close();
  }

  private artifactContext(): ArtifactContext {
    return {
      dbDir: path.dirname(this.location.dbPath),
      artifactsRoot: this.location.artifactsRoot,
      artifactsRootGiven: this.location.artifactsRootGiven,
    };
  }
}

function closeQuietly(writer: SqliteDriver | undefined): void {
  void writer?.close();
}
