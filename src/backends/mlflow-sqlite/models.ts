/**
 * MLflow 3 logged models, run<->model links and the model registry read from MLflow's database
 * (tables logged_models, logged_model_params/_tags/_metrics, inputs, registered_models,
 * registered_model_tags/_aliases, model_versions, model_version_tags). A database without these
 * tables (older than MLflow 3 / 2.x) simply has no models; which tables there are was judged once,
 * by shape (schema-shape.ts). SQLite and PostgreSQL read alike. Model files resolve like run files
 * (artifact-location.ts). model_versions has no model_id column: it is read from a models:/<id>
 * source. One workspace's registry is read (a database without the workspace column has only `default`).
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
import { NotFoundError, UsageError } from '../../util/errors.js';
import { resolveArtifactLocation, type ArtifactContext } from './artifact-location.js';
import { ObjectStoreTree } from '../object-store/tree.js';
import { ArtifactTree } from './artifact-tree.js';
import type { SchemaFeatures } from './schema-shape.js';
import type { SqlReader } from './sql-driver.js';
import { int64, num, text } from './values.js';

const STATUS: Record<string, LoggedModelStatus> = { '1': 'PENDING', '2': 'READY', '3': 'FAILED' };

type Row = Record<string, unknown>;

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
export async function listLoggedModels(connection: SqlReader, features: SchemaFeatures, experimentId: string): Promise<LoggedModelInfo[]> {
  if (!features.loggedModels) return [];
  return (
    await connection.all(
      `SELECT * FROM logged_models WHERE experiment_id = ? AND (lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted') ORDER BY creation_timestamp_ms, model_id`,
      BigInt(experimentId),
    )
  ).map(modelInfo);
}

export class SqliteSourceModel implements SourceModel {
  private readonly issues: ReadIssue[] = [];
  private readonly tree: Pick<ArtifactTree, 'files' | 'open'> | undefined;

  constructor(
    readonly info: LoggedModelInfo,
    private readonly connection: SqlReader,
    artifacts: ArtifactContext,
  ) {
    const location = resolveArtifactLocation(info.artifactUri, artifacts);
    if (location.kind === 'local') this.tree = new ArtifactTree(location.root, (issue) => this.issues.push(issue));
    else if (location.kind === 'object-store') this.tree = new ObjectStoreTree(location.uri, (issue) => this.issues.push(issue));
    else this.issues.push({ field: 'files', reason: location.reason, ...(location.lost ? { lost: true } : {}) });
  }

  private async keyValues(table: string, key: string, value: string): Promise<KeyValue[]> {
    const rows = await this.connection.all(`SELECT ${key} AS k, ${value} AS v FROM ${table} WHERE model_id = ? ORDER BY ${key}`, this.info.modelId);
    return rows.map((row) => ({ key: text(row.k) ?? '', value: text(row.v) ?? '' }));
  }

  async params(): Promise<KeyValue[]> {
    return this.keyValues('logged_model_params', 'param_key', 'param_value');
  }

  async tags(): Promise<KeyValue[]> {
    return this.keyValues('logged_model_tags', 'tag_key', 'tag_value');
  }

  async metrics(): Promise<ModelMetric[]> {
    const rows = await this.connection.all(
      'SELECT * FROM logged_model_metrics WHERE model_id = ? ORDER BY metric_timestamp_ms, metric_step, metric_name, run_id',
      this.info.modelId,
    );
    return rows.map((row) => {
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
export async function readModelLinks(connection: SqlReader, features: SchemaFeatures, runId: string): Promise<ModelLinks> {
  if (!features.loggedModels) return { outputs: [], inputs: [] };
  const rows = await connection.all(
    "SELECT source_type, destination_id, step FROM inputs WHERE source_id = ? AND source_type IN ('RUN_OUTPUT', 'RUN_INPUT') ORDER BY destination_id",
    runId,
  );
  return {
    outputs: rows.filter((r) => r.source_type === 'RUN_OUTPUT').map((r) => ({ modelId: text(r.destination_id) ?? '', step: int64(r.step) ?? 0 })),
    inputs: rows.filter((r) => r.source_type === 'RUN_INPUT').map((r) => ({ modelId: text(r.destination_id) ?? '' })),
  };
}

/** The workspace a registry is opened in: any where the schema has workspaces, else `default` only. */
export function registryWorkspace(label: string, features: SchemaFeatures, workspace: string): string {
  if (!features.registryWorkspace && workspace !== 'default') {
    throw new UsageError(`${label}: its registry tables have no workspace column (older than MLflow 3.10); only the default workspace exists`);
  }
  return workspace;
}

export class SqliteRegistry implements SourceRegistry {
  private readonly where: string;

  constructor(
    private readonly connection: SqlReader,
    private readonly features: SchemaFeatures,
    workspace = 'default',
  ) {
    this.where = features.registryWorkspace ? `AND workspace = '${workspace.replaceAll("'", "''")}'` : '';
  }

  async *listRegisteredModels(): AsyncIterable<RegisteredModelInfo> {
    if (!this.features.registry) return;
    for (const row of await this.connection.all(`SELECT name FROM registered_models WHERE 1 = 1 ${this.where} ORDER BY name`)) {
      const model = await this.getRegisteredModel(text(row.name) ?? '');
      if (model) yield model;
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo | undefined> {
    if (!this.features.registry) return undefined;
    const row = await this.connection.get(`SELECT name, description FROM registered_models WHERE name = ? ${this.where}`, name);
    if (!row) return undefined;
    const description = text(row.description);
    const tags = await this.connection.all(`SELECT key, value FROM registered_model_tags WHERE name = ? ${this.where} ORDER BY key`, name);
    const aliases = this.features.registryAliases
      ? await this.connection.all(`SELECT alias, version FROM registered_model_aliases WHERE name = ? ${this.where} ORDER BY alias`, name)
      : [];
    return {
      name,
      ...(description ? { description } : {}),
      tags: tags.map((t) => ({ key: text(t.key) ?? '', value: text(t.value) ?? '' })),
      aliases: aliases.map((a) => ({ alias: text(a.alias) ?? '', version: String(a.version) })),
    };
  }

  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    if (!this.features.registry) return [];
    const rows = await this.connection.all(
      `SELECT * FROM model_versions WHERE name = ? AND (current_stage IS NULL OR current_stage <> 'Deleted_Internal') ${this.where} ORDER BY version`,
      name,
    );
    const versions: ModelVersionInfo[] = [];
    for (const row of rows) {
      const version = String(row.version);
      const source = text(row.source) ?? '';
      const runId = text(row.run_id);
      const description = text(row.description);
      const modelId = /^models:\/(m-[^/]+)$/.exec(source)?.[1];
      const tags = await this.connection.all(
        `SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ${this.where} ORDER BY key`,
        name,
        Number(version),
      );
      versions.push({
        name,
        version,
        ...(description ? { description } : {}),
        tags: tags.map((t) => ({ key: text(t.key) ?? '', value: text(t.value) ?? '' })),
        stage: text(row.current_stage) ?? 'None',
        status: text(row.status) ?? 'READY',
        source,
        ...(runId ? { runId } : {}),
        ...(modelId ? { modelId } : {}),
      });
    }
    return versions;
  }
}
