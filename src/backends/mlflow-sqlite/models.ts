/**
 * MLflow 3 logged models, run<->model links and the model registry read from `mlflow.db`
 * (tables logged_models, logged_model_params/_tags/_metrics, inputs, registered_models,
 * registered_model_tags/_aliases, model_versions, model_version_tags). A database without these
 * tables (older than MLflow 3 / 2.x) simply has no models. Model files resolve like run files
 * (artifact-location.ts). model_versions has no model_id column: it is read from a models:/<id>
 * source. Only the `default` workspace of a database with a workspace column is read.
 */
import type { Readable } from 'node:stream';
import type { ReadIssue } from '../contract.js';
import type {
  LoggedModelInfo,
  LoggedModelStatus,
  ModelLinks,
  ModelMetric,
  ModelVersionInfo,
  RegisteredModelInfo,
  SourceModel,
  SourceRegistry,
} from '../model-contract.js';
import type { FileEntry, KeyValue } from '../../model/run.js';
import { NotFoundError } from '../../util/errors.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import { ArtifactTree } from './artifact-tree.js';
import type { ReadConnection } from './connection.js';
import type { SqlReader } from './sql-driver.js';
import { int64, num, text } from './values.js';

const STATUS: Record<string, LoggedModelStatus> = { '1': 'PENDING', '2': 'READY', '3': 'FAILED' };

type Row = Record<string, unknown>;

/**
 * The SQLite reader behind a connection, or undefined for PostgreSQL: models are read through
 * SQLite's synchronous reader only (duck-typed, so the PostgreSQL backend never loads SQLite's
 * native module).
 */
export function sqliteReader(connection: SqlReader): ReadConnection | undefined {
  return typeof (connection as Partial<ReadConnection>).allSync === 'function' ? (connection as ReadConnection) : undefined;
}

export function hasTable(connection: ReadConnection, table: string): boolean {
  return connection.allSync("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", table).length > 0;
}

function hasColumn(connection: ReadConnection, table: string, column: string): boolean {
  return connection.allSync(`PRAGMA table_info(${table})`).some((row) => text(row.name) === column);
}

function modelInfo(row: Row): LoggedModelInfo {
  const modelType = text(row.model_type);
  const sourceRunId = text(row.source_run_id);
  const artifactUri = text(row.artifact_location);
  const creationTime = num(row.creation_timestamp_ms);
  const lastUpdatedTime = num(row.last_updated_timestamp_ms);
  return {
    modelId: text(row.model_id) ?? '',
    name: text(row.name) ?? '',
    status: STATUS[String(row.status)] ?? 'PENDING',
    experimentId: String(row.experiment_id),
    ...(modelType ? { modelType } : {}),
    ...(sourceRunId ? { sourceRunId } : {}),
    ...(artifactUri ? { artifactUri } : {}),
    ...(creationTime !== undefined ? { creationTime } : {}),
    ...(lastUpdatedTime !== undefined ? { lastUpdatedTime } : {}),
  };
}

/** The experiment's logged models that are not deleted. */
export function listLoggedModels(connection: ReadConnection, experimentId: string): LoggedModelInfo[] {
  if (!hasTable(connection, 'logged_models')) return [];
  return connection
    .allSync(
      `SELECT * FROM logged_models WHERE experiment_id = ? AND (lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted') ORDER BY creation_timestamp_ms, model_id`,
      BigInt(experimentId),
    )
    .map(modelInfo);
}

export class SqliteSourceModel implements SourceModel {
  private readonly issues: ReadIssue[] = [];
  private readonly tree: ArtifactTree | undefined;

  constructor(
    readonly info: LoggedModelInfo,
    private readonly connection: ReadConnection,
    artifacts: ArtifactContext,
  ) {
    const location = resolveArtifactLocation(info.artifactUri, artifacts);
    if (location.kind === 'local') this.tree = new ArtifactTree(location.root, (issue) => this.issues.push(issue));
    else this.issues.push({ field: 'files', reason: location.reason });
  }

  private keyValues(table: string, key: string, value: string): KeyValue[] {
    return this.connection
      .allSync(`SELECT ${key} AS k, ${value} AS v FROM ${table} WHERE model_id = ? ORDER BY ${key}`, this.info.modelId)
      .map((row) => ({ key: text(row.k) ?? '', value: text(row.v) ?? '' }));
  }

  async params(): Promise<KeyValue[]> {
    return this.keyValues('logged_model_params', 'param_key', 'param_value');
  }

  async tags(): Promise<KeyValue[]> {
    return this.keyValues('logged_model_tags', 'tag_key', 'tag_value');
  }

  async metrics(): Promise<ModelMetric[]> {
    return this.connection
      .allSync('SELECT * FROM logged_model_metrics WHERE model_id = ? ORDER BY metric_timestamp_ms, metric_step, metric_name', this.info.modelId)
      .map((row) => {
        const runId = text(row.run_id);
        const datasetName = text(row.dataset_name);
        const datasetDigest = text(row.dataset_digest);
        return {
          key: text(row.metric_name) ?? '',
          value: num(row.metric_value) ?? Number.NaN,
          timestamp: num(row.metric_timestamp_ms) ?? 0,
          step: int64(row.metric_step) ?? 0,
          ...(runId ? { runId } : {}),
          ...(datasetName ? { datasetName } : {}),
          ...(datasetDigest ? { datasetDigest } : {}),
        };
      });
  }

  async *files(): AsyncIterable<FileEntry> {
    if (this.tree) yield* this.tree.files();
  }

  async openFile(path: string): Promise<Readable> {
    if (!this.tree) throw new NotFoundError(`files of logged model ${this.info.modelId} are not readable`);
    return this.tree.open(path);
  }

  readIssues(): ReadIssue[] {
    return [...this.issues];
  }
}

/** Run edges of the inputs table: RUN_OUTPUT -> MODEL_OUTPUT (with step), RUN_INPUT -> MODEL_INPUT. */
export function readModelLinks(connection: ReadConnection, runId: string): ModelLinks {
  const rows = connection.allSync(
    "SELECT source_type, destination_id, step FROM inputs WHERE source_id = ? AND source_type IN ('RUN_OUTPUT', 'RUN_INPUT') ORDER BY destination_id",
    runId,
  );
  return {
    outputs: rows.filter((r) => r.source_type === 'RUN_OUTPUT').map((r) => ({ modelId: text(r.destination_id) ?? '', step: int64(r.step) ?? 0 })),
    inputs: rows.filter((r) => r.source_type === 'RUN_INPUT').map((r) => ({ modelId: text(r.destination_id) ?? '' })),
  };
}

export class SqliteRegistry implements SourceRegistry {
  private readonly where: string;

  constructor(private readonly connection: ReadConnection) {
    this.where = hasTable(connection, 'registered_models') && hasColumn(connection, 'registered_models', 'workspace') ? "AND workspace = 'default'" : '';
  }

  async *listRegisteredModels(): AsyncIterable<RegisteredModelInfo> {
    if (!hasTable(this.connection, 'registered_models')) return;
    for (const row of this.connection.allSync(`SELECT * FROM registered_models WHERE 1 = 1 ${this.where} ORDER BY name`)) {
      const name = text(row.name) ?? '';
      const description = text(row.description);
      yield {
        name,
        ...(description ? { description } : {}),
        tags: this.connection
          .allSync(`SELECT key, value FROM registered_model_tags WHERE name = ? ${this.where} ORDER BY key`, name)
          .map((t) => ({ key: text(t.key) ?? '', value: text(t.value) ?? '' })),
        aliases: hasTable(this.connection, 'registered_model_aliases')
          ? this.connection
              .allSync(`SELECT alias, version FROM registered_model_aliases WHERE name = ? ${this.where} ORDER BY alias`, name)
              .map((a) => ({ alias: text(a.alias) ?? '', version: String(a.version) }))
          : [],
      };
    }
  }

  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    return this.connection
      .allSync(`SELECT * FROM model_versions WHERE name = ? AND current_stage <> 'Deleted_Internal' ${this.where} ORDER BY version`, name)
      .map((row) => {
        const version = String(row.version);
        const source = text(row.source) ?? '';
        const runId = text(row.run_id);
        const description = text(row.description);
        const modelId = /^models:\/(m-[^/]+)$/.exec(source)?.[1];
        return {
          name,
          version,
          ...(description ? { description } : {}),
          tags: this.connection
            .allSync(`SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ${this.where} ORDER BY key`, name, BigInt(version))
            .map((t) => ({ key: text(t.key) ?? '', value: text(t.value) ?? '' })),
          stage: text(row.current_stage) ?? 'None',
          status: text(row.status) ?? 'READY',
          source,
          ...(runId ? { runId } : {}),
          ...(modelId ? { modelId } : {}),
        };
      });
  }
}
