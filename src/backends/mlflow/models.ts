/**
 * MLflow 3 logged models over REST, as the 3.11 server answers (test/golden/README.md "Logged
 * models and the model registry"): logged-models/search (POST, experiment_ids required, opaque
 * tokens), create, finalize (PATCH with model_id repeated in the body), tags (PATCH answers {}),
 * soft delete; files listed with logged-models/{id}/artifacts/directories and moved through the
 * artifact proxy under <exp>/models/<id>/artifacts; run links with runs/outputs and
 * runs/log-inputs (runs/search never shows inputs.model_inputs, so links are read with runs/get).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ReadIssue } from '../contract.js';
import type {
  LoggedModelInfo,
  LoggedModelStatus,
  ModelCopyEditor,
  ModelCopyRecord,
  ModelInit,
  ModelLinks,
  ModelMetric,
  SourceModel,
  TargetModel,
} from '../model-contract.js';
import { MODEL_PROVENANCE } from '../../model/model-provenance.js';
import { PROVENANCE } from '../../model/provenance.js';
import type { FileEntry, KeyValue } from '../../model/run.js';
import { PATHS } from './api.js';
import { directStoreReason, downloadArtifact, proxyFilePath, proxyRoot, unsafePathReason, uploadArtifact } from './artifacts.js';
import { accessFor, isObjectStoreUri, listDirect, readDirect, readModelFileThroughServer, writeDirect } from './store-artifacts.js';
import { readFallbackOf } from './read-fallback.js';
import { MissingEndpointError, MlflowRequestError } from './errors.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, formatDouble, formatInt64, toDouble, toInt64, toKeyValues, toMillis, toStr } from './json.js';

const API = '/api/2.0/mlflow';
const MODELS = `${API}/logged-models`;
/** Log-batch takes at most 1000 metrics per call. */
const METRICS_PER_CALL = 1000;
const SEARCH_PAGE = 100;

const STATUS_IN: Record<string, LoggedModelStatus> = {
  LOGGED_MODEL_READY: 'READY',
  LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
  LOGGED_MODEL_PENDING: 'PENDING',
};
const STATUS_OUT: Record<LoggedModelStatus, string> = {
  READY: 'LOGGED_MODEL_READY',
  FAILED: 'LOGGED_MODEL_UPLOAD_FAILED',
  PENDING: 'LOGGED_MODEL_PENDING',
};

export interface ModelDoc {
  info: LoggedModelInfo;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: ModelMetric[];
}

export function parseLoggedModel(value: unknown): ModelDoc {
  const model = asRecord(value);
  const info = asRecord(model.info);
  const data = asRecord(model.data);
  const modelType = toStr(info.model_type);
  const sourceRunId = toStr(info.source_run_id);
  const experimentId = toStr(info.experiment_id);
  const artifactUri = toStr(info.artifact_uri);
  const creationTime = toMillis(info.creation_timestamp_ms);
  const lastUpdatedTime = toMillis(info.last_updated_timestamp_ms);
  return {
    info: {
      modelId: toStr(info.model_id) ?? '',
      name: toStr(info.name) ?? '',
      // proto3 JSON leaves a default enum out: absent status is the first value, PENDING.
      status: STATUS_IN[toStr(info.status) ?? ''] ?? 'PENDING',
      ...(modelType ? { modelType } : {}),
      ...(sourceRunId ? { sourceRunId } : {}),
      ...(experimentId ? { experimentId } : {}),
      ...(artifactUri ? { artifactUri } : {}),
      ...(creationTime !== undefined ? { creationTime } : {}),
      ...(lastUpdatedTime !== undefined ? { lastUpdatedTime } : {}),
    },
    tags: toKeyValues(info.tags),
    params: toKeyValues(data.params),
    metrics: asArray(data.metrics).map((item) => {
      const m = asRecord(item);
      const runId = toStr(m.run_id);
      const datasetName = toStr(m.dataset_name);
      const datasetDigest = toStr(m.dataset_digest);
      return {
        key: toStr(m.key) ?? '',
        value: toDouble(m.value),
        timestamp: toMillis(m.timestamp) ?? 0,
        step: toInt64(m.step),
        ...(runId ? { runId } : {}),
        ...(datasetName ? { datasetName } : {}),
        ...(datasetDigest ? { datasetDigest } : {}),
      };
    }),
  };
}

/**
 * A search entry holds the model's info (status, name, last update), tags, params and metric rows:
 * a digest of it moves whenever one of those does (engine/models/sync-model.ts). Files are not
 * in it: a file added to a model on a server is seen only with another change of the model.
 */
export function modelStateToken(doc: ModelDoc): string {
  const { stateToken: _ignored, ...info } = doc.info;
  const text = JSON.stringify([info, doc.tags, doc.params, doc.metrics], (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

function isMissingEndpoint(error: unknown): boolean {
  return error instanceof MissingEndpointError || (error instanceof MlflowRequestError && error.errorCode === 'ENDPOINT_NOT_FOUND');
}

/** Every logged model of one experiment, newest first, each once (none on a server before MLflow 3). */
export async function* searchLoggedModels(client: MlflowHttpClient, workspace: string, experimentId: string): AsyncGenerator<ModelDoc> {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  let pageToken: string | undefined;
  for (;;) {
    const body: Record<string, unknown> = { experiment_ids: [experimentId], max_results: SEARCH_PAGE };
    if (pageToken !== undefined) body.page_token = pageToken;
    let doc: Record<string, unknown>;
    try {
      doc = asRecord(await client.post(`${MODELS}/search`, body, 'logged-models/search', workspace));
    } catch (error) {
      // A server older than MLflow 3 has no logged models: nothing to list.
      if (pageToken === undefined && isMissingEndpoint(error)) return;
      throw error;
    }
    const models = asArray(doc.models);
    for (const item of models) {
      const model = parseLoggedModel(item);
      if (model.info.modelId === '' || seen.has(model.info.modelId)) continue;
      seen.add(model.info.modelId);
      model.info.stateToken = modelStateToken(model);
      yield model;
    }
    const next = toStr(doc.next_page_token);
    if (!next || tokens.has(next) || models.length === 0) return;
    tokens.add(next);
    pageToken = next;
  }
}

interface ListedFile {
  path: string;
  isDir: boolean;
  size: number;
}

/** The model's artifact tree, depth-first; hostile entries reported, never followed. */
async function* listModelFiles(client: MlflowHttpClient, workspace: string, modelId: string, issues: ReadIssue[]): AsyncGenerator<FileEntry> {
  const pending = [''];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const doc = asRecord(
      await client.get(
        `${MODELS}/${encodeURIComponent(modelId)}/artifacts/directories`,
        { artifact_directory_path: dir === '' ? undefined : dir },
        'logged-models/list-artifacts',
        workspace,
      ),
    );
    const files: ListedFile[] = asArray(doc.files).map((item) => {
      const rec = asRecord(item);
      // proto3 JSON: a 0-byte file comes without file_size.
      return { path: toStr(rec.path) ?? '', isDir: rec.is_dir === true, size: toMillis(rec.file_size) ?? 0 };
    });
    const dirs: string[] = [];
    for (const file of files) {
      const reason = unsafePathReason(file.path) ?? (dir !== '' && !file.path.startsWith(`${dir}/`) ? `listed inside '${dir}'` : undefined);
      if (reason !== undefined) {
        issues.push({ field: `files/${file.path}`, reason: `unsafe artifact path listed by the server (${reason}); not copied` });
        continue;
      }
      // An S3 directory marker (a key ending in '/') lists as a 0-byte file named after its own directory.
      if (!file.isDir && file.path === dir) continue;
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      if (file.isDir) dirs.push(file.path);
      else yield { path: file.path, size: file.size };
    }
    for (let i = dirs.length - 1; i >= 0; i--) pending.push(dirs[i]!);
  }
}

export class MlflowSourceModel implements SourceModel {
  readonly info: LoggedModelInfo;
  private readonly issues: ReadIssue[] = [];
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    private readonly doc: ModelDoc,
  ) {
    this.info = doc.info;
  }

  async params(): Promise<KeyValue[]> {
    return this.doc.params;
  }

  async tags(): Promise<KeyValue[]> {
    return this.doc.tags;
  }

  async metrics(): Promise<ModelMetric[]> {
    return this.doc.metrics;
  }

  async *files(): AsyncIterable<FileEntry> {
    const uri = this.info.artifactUri;
    const root = proxyRoot(uri);
    if (root === undefined && !isObjectStoreUri(uri)) {
      this.issues.push({ field: 'files', reason: `files not copied: ${directStoreReason(uri)}`, lost: true });
      return;
    }
    const server = () => listModelFiles(this.client, this.workspace, this.info.modelId, this.issues);
    const listing = root === undefined ? readFallbackOf(this.client).listing(uri!, () => listDirect(uri!, this.issues), server) : server();
    for await (const entry of listing) {
      this.sizes.set(entry.path, entry.size);
      yield entry;
    }
  }

  async openFile(path: string): Promise<Readable> {
    const uri = this.info.artifactUri;
    const root = proxyRoot(uri);
    if (root !== undefined) return downloadArtifact(this.client, root, path, this.workspace, this.sizes.get(path));
    if (!isObjectStoreUri(uri)) throw new Error(`cannot read '${path}': ${directStoreReason(uri)}`);
    return readFallbackOf(this.client).open(uri!, () => readDirect(uri!, path), () => readModelFileThroughServer(this.client, this.info.modelId, path, this.workspace));
  }

  readIssues(): ReadIssue[] {
    return [...this.issues];
  }
}

/** A run's model links, from runs/get (the only answer that carries inputs.model_inputs). */
export async function readModelLinks(client: MlflowHttpClient, workspace: string, runId: string): Promise<ModelLinks> {
  return (await readLinksAndTags(client, workspace, runId)).links;
}

async function readLinksAndTags(client: MlflowHttpClient, workspace: string, runId: string): Promise<{ links: ModelLinks; tags: KeyValue[] }> {
  const run = asRecord(asRecord(await client.get(PATHS.runsGet, { run_id: runId }, 'runs/get', workspace)).run);
  return {
    links: {
      outputs: asArray(asRecord(run.outputs).model_outputs).map((o) => ({ modelId: toStr(asRecord(o).model_id) ?? '', step: toInt64(asRecord(o).step) })),
      inputs: asArray(asRecord(run.inputs).model_inputs).map((i) => ({ modelId: toStr(asRecord(i).model_id) ?? '' })),
    },
    tags: toKeyValues(asRecord(run.data).tags),
  };
}

// ---------------------------------------------------------------- writing

export function modelCopyRecord(doc: ModelDoc): ModelCopyRecord | undefined {
  const tags = new Map(doc.tags.map((t) => [t.key, t.value]));
  const sourceModelId = tags.get(MODEL_PROVENANCE.modelId);
  if (sourceModelId === undefined) return undefined;
  const sourceState = tags.get(PROVENANCE.sourceState);
  return {
    sourceProject: tags.get(MODEL_PROVENANCE.project) ?? '',
    sourceModelId,
    targetModelId: doc.info.modelId,
    complete: tags.has(MODEL_PROVENANCE.completed),
    ...(sourceState !== undefined ? { sourceState } : {}),
  };
}

export async function createLoggedModel(client: MlflowHttpClient, workspace: string, experimentId: string, init: ModelInit): Promise<MlflowTargetModel> {
  const body: Record<string, unknown> = { experiment_id: experimentId, name: init.name };
  if (init.modelType) body.model_type = init.modelType;
  if (init.sourceRunId) body.source_run_id = init.sourceRunId;
  if (init.params.length) body.params = init.params.map((p) => ({ key: p.key, value: p.value }));
  if (init.tags.length) body.tags = init.tags.map((t) => ({ key: t.key, value: t.value }));
  const doc = parseLoggedModel(asRecord(await client.post(MODELS, body, 'logged-models/create', workspace)).model);
  if (doc.info.modelId === '') throw new Error(`logged-models/create on ${client.displayUri} answered no model id`);
  return new MlflowTargetModel(client, workspace, doc.info);
}

export async function deleteLoggedModel(client: MlflowHttpClient, workspace: string, modelId: string): Promise<void> {
  await client.json({ method: 'DELETE', path: `${MODELS}/${encodeURIComponent(modelId)}`, what: 'logged-models/delete', workspace });
}

export class MlflowTargetModel implements TargetModel {
  readonly modelId: string;

  get artifactUri(): string | undefined {
    return this.info.artifactUri;
  }

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    private readonly info: LoggedModelInfo,
  ) {
    this.modelId = info.modelId;
  }

  /** Through runs/log-batch with model_id (the server also appends the point to the run, dropping exact duplicates). */
  async logMetrics(metrics: ModelMetric[]): Promise<void> {
    const byRun = new Map<string, ModelMetric[]>();
    for (const m of metrics) if (m.runId) byRun.set(m.runId, [...(byRun.get(m.runId) ?? []), m]);
    for (const [runId, rows] of byRun) {
      for (let i = 0; i < rows.length; i += METRICS_PER_CALL) {
        const items = rows.slice(i, i + METRICS_PER_CALL).map((m) => {
          let s = `{"key":${JSON.stringify(m.key)},"value":${formatDouble(m.value)},"timestamp":${Math.floor(m.timestamp)},"step":${formatInt64(m.step)},"model_id":${JSON.stringify(this.modelId)}`;
          if (m.datasetName) s += `,"dataset_name":${JSON.stringify(m.datasetName)}`;
          if (m.datasetDigest) s += `,"dataset_digest":${JSON.stringify(m.datasetDigest)}`;
          return s + '}';
        });
        const json = `{"run_id":${JSON.stringify(runId)},"metrics":[${items.join(',')}]}`;
        await this.client.json({ method: 'POST', path: PATHS.runsLogBatch, json, what: 'runs/log-batch', workspace: this.workspace });
      }
    }
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    const uri = this.info.artifactUri;
    const root = proxyRoot(uri);
    if (root !== undefined) return uploadArtifact(this.client, root, path, data, size, this.workspace);
    // presigned-upload-url takes runs only: a model in an object store needs the user's credentials.
    if (isObjectStoreUri(uri) && accessFor(uri) === 'direct') return writeDirect(uri!, path, data, size);
    throw new Error(`cannot write '${path}': ${isObjectStoreUri(uri) ? `the model's files live in ${uri} and no credentials for that store are in the environment` : directStoreReason(uri)}`);
  }

  async finish(status: LoggedModelStatus, marker: KeyValue): Promise<void> {
    const path = `${MODELS}/${encodeURIComponent(this.modelId)}`;
    if (status !== 'PENDING') {
      // The body must repeat model_id (recorded: a 400 without it).
      const json = JSON.stringify({ model_id: this.modelId, status: STATUS_OUT[status] });
      await this.client.json({ method: 'PATCH', path, json, what: 'logged-models/finalize', workspace: this.workspace });
    }
    await setModelTags(this.client, this.workspace, this.modelId, [marker]);
  }
}

export async function setModelTags(client: MlflowHttpClient, workspace: string, modelId: string, tags: KeyValue[]): Promise<void> {
  const json = JSON.stringify({ tags: tags.map((t) => ({ key: t.key, value: t.value })) });
  await client.json({ method: 'PATCH', path: `${MODELS}/${encodeURIComponent(modelId)}/tags`, json, what: 'logged-models/set-tags', workspace });
}

/**
 * Adds the links a run copy lacks. One run and model pair is unique on the server whatever the
 * step (a second output is a 400), so outputs already there are never sent again.
 */
export async function linkRunModels(client: MlflowHttpClient, workspace: string, runId: string, links: ModelLinks, tags: KeyValue[]): Promise<void> {
  const { links: have, tags: haveTags } = await readLinksAndTags(client, workspace, runId);
  const outputs = new Set(have.outputs.map((o) => o.modelId));
  const inputs = new Set(have.inputs.map((i) => i.modelId));
  const newOutputs = links.outputs.filter((o) => !outputs.has(o.modelId));
  const newInputs = links.inputs.filter((i) => !inputs.has(i.modelId));
  if (newOutputs.length) {
    const json = `{"run_id":${JSON.stringify(runId)},"models":[${newOutputs.map((o) => `{"model_id":${JSON.stringify(o.modelId)},"step":${formatInt64(o.step)}}`).join(',')}]}`;
    await client.json({ method: 'POST', path: `${API}/runs/outputs`, json, what: 'runs/outputs', workspace });
  }
  if (newInputs.length) {
    const json = JSON.stringify({ run_id: runId, models: newInputs.map((i) => ({ model_id: i.modelId })) });
    await client.json({ method: 'POST', path: PATHS.runsLogInputs, json, what: 'runs/log-inputs', workspace });
  }
  // Tags the run already holds are not sent again: a re-run with nothing changed writes nothing.
  const held = new Map(haveTags.map((t) => [t.key, t.value]));
  const newTags = tags.filter((t) => held.get(t.key) !== t.value);
  if (newTags.length) {
    const json = JSON.stringify({ run_id: runId, tags: newTags.map((t) => ({ key: t.key, value: t.value })) });
    await client.json({ method: 'POST', path: PATHS.runsLogBatch, json, what: 'runs/log-batch', workspace });
  }
}

// ---------------------------------------------------------------- a sync of a complete copy

/**
 * The writes a sync makes to a model copy, through the routes a logged model offers (recorded in
 * models-logged-model-lifecycle): params (POST .../params, write-once: a logged key is a 400),
 * tags (PATCH .../tags, DELETE .../tags/{key}), status (PATCH finalize), metric rows (log-batch
 * with model_id), files through the artifact proxy (PUT replaces, DELETE removes). The model is
 * read (one GET) only when a file is written or deleted: its artifact location says how.
 */
export class MlflowModelCopyEditor implements ModelCopyEditor {
  private located: Promise<MlflowTargetModel> | undefined;

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    private readonly modelId: string,
  ) {}

  private path(suffix = ''): string {
    return `${MODELS}/${encodeURIComponent(this.modelId)}${suffix}`;
  }

  private model(): Promise<MlflowTargetModel> {
    this.located ??= (async () => {
      const doc = parseLoggedModel(asRecord(await this.client.get(this.path(), {}, 'logged-models/get', this.workspace)).model);
      if (doc.info.modelId === '') throw new Error(`logged-models/get on ${this.client.displayUri} did not return the copy ${this.modelId}`);
      return new MlflowTargetModel(this.client, this.workspace, doc.info);
    })();
    return this.located;
  }

  async logParams(params: KeyValue[]): Promise<void> {
    // The body repeats model_id (recorded: a 400 without it).
    const json = JSON.stringify({ model_id: this.modelId, params: params.map((p) => ({ key: p.key, value: p.value })) });
    await this.client.json({ method: 'POST', path: this.path('/params'), json, what: 'logged-models/log-params', workspace: this.workspace });
  }

  setTags(tags: KeyValue[]): Promise<void> {
    return setModelTags(this.client, this.workspace, this.modelId, tags);
  }

  async deleteTags(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.client.json({ method: 'DELETE', path: this.path(`/tags/${encodeURIComponent(key)}`), what: 'logged-models/delete-tag', workspace: this.workspace });
      } catch (error) {
        // Gone already (a retried pass): what the sync wanted.
        if (!(error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw error;
      }
    }
  }

  async setStatus(status: LoggedModelStatus): Promise<void> {
    const json = JSON.stringify({ model_id: this.modelId, status: STATUS_OUT[status] });
    await this.client.json({ method: 'PATCH', path: this.path(), json, what: 'logged-models/finalize', workspace: this.workspace });
  }

  async logMetrics(metrics: ModelMetric[]): Promise<void> {
    await (await this.model()).logMetrics(metrics);
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    await (await this.model()).writeFile(path, data, size);
  }

  /** Through the artifact proxy only; a model whose files live elsewhere keeps the file (reported). */
  async deleteFile(path: string): Promise<void> {
    const uri = (await this.model()).artifactUri;
    const root = proxyRoot(uri);
    if (root === undefined) throw new Error(`the copy's files live in ${uri ?? '(no artifact location)'}, not behind the server's artifact proxy; runs-migrator deletes files only through the proxy`);
    await this.client.json({ method: 'DELETE', path: proxyFilePath(root, path), what: `artifact delete of '${path}'`, workspace: this.workspace });
  }
}
