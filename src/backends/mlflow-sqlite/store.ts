/**
 * An MLflow SQLite database (`mlflow.db`) opened as a read-only source. Writing is refused: MLflow
 * owns this schema and its invariants (latest_metrics, alembic revision), so copies go into an
 * mlruns folder or through an MLflow server, which keep them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Capabilities, SourceProject, Store, TargetProject } from '../contract.js';
import { MLFLOW_BATCH_LIMITS, MLFLOW_VALUE_LIMITS, rejectMlflowKey } from '../mlflow-rules.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { UsageError } from '../../util/errors.js';
import { DEFAULT_BUSY_TIMEOUT_MS, ReadConnection } from './connection.js';
import { findExperiment } from './experiment-lookup.js';
import { DEFAULT_METRIC_CHUNK } from './metric-history.js';
import { readSchemaFeatures, type SchemaFeatures } from './schema-features.js';
import { shapeNote } from './schema-shape.js';
import { SqliteSourceProject } from './source-project.js';
import { parseSqliteUri, type SqliteLocation } from './uri.js';

export const KIND = 'mlflow-sqlite';

export const MLFLOW_SQLITE_CAPABILITIES: Capabilities = {
  read: true,
  write: false,
  setsStartTime: false,
  setsEndTime: false,
  setsStatus: false,
  setsUser: false,
  keepsDeletedRuns: false,
  nativeFilter: false,
  typedValues: false,
  nonFinite: 'infinity-clamped',
  batch: MLFLOW_BATCH_LIMITS,
  limits: MLFLOW_VALUE_LIMITS,
  writeConcurrency: 1,
};

/** Knobs for tests and benchmarks; the factory uses the defaults. */
export interface MlflowSqliteSettings {
  /** Points per metric-history batch (and per SQL page). */
  metricChunk?: number;
  busyTimeoutMs?: number;
  /** Directory that relative sqlite:/// paths resolve against. */
  cwd?: string;
}

export const READ_ONLY_MESSAGE =
  'mlflow-sqlite stores are read-only: this tool never writes into an MLflow database it does not run; copy into an mlruns folder or an MLflow server (which can itself use this database) instead';

export class MlflowSqliteStore implements Store {
  readonly kind = KIND;
  readonly capabilities = MLFLOW_SQLITE_CAPABILITIES;
  readonly identity: string;
  readonly notes: readonly string[];

  private constructor(
    readonly displayUri: string,
    private readonly location: SqliteLocation,
    private readonly connection: ReadConnection,
    readonly features: SchemaFeatures,
    private readonly metricChunk: number,
  ) {
    this.identity = `${KIND}:${fs.realpathSync(location.dbPath)}`;
    this.notes = [shapeNote(displayUri, features, 'read')];
  }

  static open(uri: string, settings: MlflowSqliteSettings = {}): MlflowSqliteStore {
    const displayUri = uri.trim();
    const location = parseSqliteUri(displayUri, settings.cwd);
    const connection = ReadConnection.open(location.dbPath, displayUri, settings.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    try {
      const features = readSchemaFeatures(connection);
      return new MlflowSqliteStore(displayUri, location, connection, features, settings.metricChunk ?? DEFAULT_METRIC_CHUNK);
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  rejectKey(key: string): string | undefined {
    return rejectMlflowKey(key);
  }

  async openSource(ref: ProjectRef): Promise<SourceProject> {
    const experiment = findExperiment(this.connection, this.features, ref);
    return new SqliteSourceProject(ref, experiment, {
      connection: this.connection,
      features: this.features,
      artifactContext: {
        dbDir: path.dirname(this.location.dbPath),
        artifactsRoot: this.location.artifactsRoot,
        artifactsRootGiven: this.location.artifactsRootGiven,
      },
      metricChunk: this.metricChunk,
    });
  }

  async openTarget(): Promise<TargetProject | undefined> {
    throw new UsageError(READ_ONLY_MESSAGE);
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
