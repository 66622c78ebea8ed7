/**
 * MLflow 3 logged models in an mlruns store, in FileStore's layout (see test/golden/stores/mlruns):
 *
 *   <exp>/models/<model_id>/meta.yaml                 model (status 1 PENDING, 2 READY, 3 UPLOAD_FAILED)
 *   <exp>/models/<model_id>/{params,tags}/<key>       one file per key
 *   <exp>/models/<model_id>/metrics/<key>             "timestamp value step run_id[ dataset_name dataset_digest]"
 *   <exp>/models/<model_id>/artifacts/...
 *   <exp>/<run>/outputs/<model_id>/meta.yaml          run output link (RUN_OUTPUT -> MODEL_OUTPUT, step)
 *   <exp>/<run>/inputs/md5(model_id+run_id)/meta.yaml run input link (MODEL -> RUN)
 *
 * A meta.yaml's artifact_location may name a path of the machine that wrote the store (an rsynced
 * store): the files are then read from the model's own artifacts folder. A model copy is built in
 * the staging folder and renamed into place after its completion marker, like a run (layout.ts).
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { runStateToken } from './state-token.js';
import type { Readable } from 'node:stream';
import type { ReadIssue } from '../contract.js';
import type {
  LoggedModelInfo,
  LoggedModelStatus,
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
import { listArtifacts, openArtifact, writeArtifact } from './artifacts.js';
import { exists, listSubdirs, mkdirPrivate, readTextIfExists, tempName, writeFileAtomic, writePrivateFile } from './fs-util.js';
import { inputId } from './inputs.js';
import { readKeyValue, readKeyValues, writeKeyValue } from './key-value-dir.js';
import { ARTIFACTS_DIR, INPUTS_DIR, keyPath, META_FILE, METRICS_DIR, PARAMS_DIR, safeSegments, TAGS_DIR } from './layout.js';
import { formatMetricLine, parseMetricLine } from './metric-file.js';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml.js';
import { fileUriToPath } from './uri.js';

export const MODELS_DIR = 'models';
export const OUTPUTS_DIR = 'outputs';

const STATUS_BY_CODE: Record<string, LoggedModelStatus> = {
  '1': 'PENDING', '2': 'READY', '3': 'FAILED',
  LOGGED_MODEL_PENDING: 'PENDING', LOGGED_MODEL_READY: 'READY', LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
};
export const CODE_BY_STATUS: Record<LoggedModelStatus, number> = { PENDING: 1, READY: 2, FAILED: 3 };

export type YamlMap = { [key: string]: YamlValue };

function asMap(value: YamlValue | undefined): YamlMap | undefined {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

const text = (value: YamlValue | undefined) => (value === undefined || value === null ? undefined : String(value));
const millis = (value: YamlValue | undefined) => (typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined);

export interface ModelFolder {
  dir: string;
  meta: YamlMap;
  info: LoggedModelInfo;
}

export async function readModelFolder(dir: string): Promise<ModelFolder | undefined> {
  const raw = await readTextIfExists(join(dir, META_FILE));
  const meta = raw === undefined ? undefined : asMap(parsePyYaml(raw));
  const modelId = text(meta?.model_id);
  if (!meta || !modelId) return undefined;
  const modelType = text(meta.model_type);
  const sourceRunId = text(meta.source_run_id);
  const experimentId = text(meta.experiment_id);
  const artifactUri = text(meta.artifact_location);
  const creationTime = millis(meta.creation_timestamp);
  const lastUpdatedTime = millis(meta.last_updated_timestamp);
  return {
    dir,
    meta,
    info: {
      modelId,
      name: text(meta.name) ?? '',
      status: STATUS_BY_CODE[text(meta.status) ?? ''] ?? 'PENDING',
      ...(modelType ? { modelType } : {}),
      ...(sourceRunId ? { sourceRunId } : {}),
      ...(experimentId ? { experimentId } : {}),
      ...(artifactUri ? { artifactUri } : {}),
      ...(creationTime !== undefined ? { creationTime } : {}),
      ...(lastUpdatedTime !== undefined ? { lastUpdatedTime } : {}),
    },
  };
}

/** The models of an experiment folder (those whose meta.yaml names this experiment). */
export async function* listModelFolders(experimentDir: string, experimentId: string, issues: ReadIssue[]): AsyncGenerator<ModelFolder> {
  const dir = join(experimentDir, MODELS_DIR);
  for (const name of await listSubdirs(dir)) {
    const folder = await readModelFolder(join(dir, name));
    if (!folder || (folder.info.experimentId !== undefined && folder.info.experimentId !== experimentId)) {
      issues.push({ field: `models/${name}`, reason: 'no readable meta.yaml for this experiment; not a logged model MLflow can read, not copied' });
      continue;
    }
    yield folder;
  }
}

/** The meta.yaml location when it exists here, else the model's own artifacts folder. */
export async function modelArtifactRoot(folder: ModelFolder): Promise<string> {
  const own = join(folder.dir, ARTIFACTS_DIR);
  const uri = folder.info.artifactUri ?? '';
  const path = /^[A-Za-z][A-Za-z0-9+.-]+:/.test(uri) ? fileUriToPath(uri) : uri;
  return path && (await exists(path)) ? path : own;
}

/**
 * The state token of a model folder (LoggedModelInfo.stateToken): path, size and modification
 * time of every file below it (meta.yaml, params, tags, metrics, its own artifacts) and below its
 * artifact location when that lies elsewhere - stat calls only (state-token.ts). A file rewritten
 * with the same size still moves it, through its mtime.
 */
export async function modelFolderStateToken(folder: ModelFolder): Promise<string> {
  const root = await modelArtifactRoot(folder);
  const inside = root === join(folder.dir, ARTIFACTS_DIR) || root.startsWith(folder.dir + sep);
  const tokens = [await runStateToken(folder.dir)];
  if (!inside) tokens.push(await runStateToken(root));
  return tokens.join('.');
}

/** Model metric lines: "timestamp value step run_id" plus " dataset_name dataset_digest" when logged on a dataset. */
export function parseModelMetricLine(key: string, line: string): ModelMetric {
  const parts = line.trim().split(' ');
  const point = parseMetricLine(parts.slice(0, 3).join(' '));
  return {
    key,
    value: point.value,
    timestamp: point.timestamp,
    step: point.step,
    ...(parts[3] ? { runId: parts[3] } : {}),
    ...(parts.length >= 6 ? { datasetName: parts[4], datasetDigest: parts[5] } : {}),
  };
}

export function formatModelMetricLine(m: ModelMetric): string {
  const base = formatMetricLine({ value: m.value, timestamp: m.timestamp, step: m.step }).trimEnd();
  const dataset = m.datasetName && m.datasetDigest ? ` ${m.datasetName} ${m.datasetDigest}` : '';
  return `${base} ${m.runId ?? ''}${dataset}\n`;
}

export class MlrunsSourceModel implements SourceModel {
  readonly info: LoggedModelInfo;
  private readonly issues: ReadIssue[] = [];
  private root?: Promise<string>;

  constructor(private readonly folder: ModelFolder) {
    this.info = folder.info;
  }

  params(): Promise<KeyValue[]> {
    return readKeyValues(join(this.folder.dir, PARAMS_DIR), (key) => this.issues.push({ field: `params/${key}`, reason: 'symbolic link; not followed' }));
  }

  tags(): Promise<KeyValue[]> {
    return readKeyValues(join(this.folder.dir, TAGS_DIR), (key) => this.issues.push({ field: `tags/${key}`, reason: 'symbolic link; not followed' }));
  }

  async metrics(): Promise<ModelMetric[]> {
    const out: ModelMetric[] = [];
    for (const { key, value } of await readKeyValues(join(this.folder.dir, METRICS_DIR))) {
      value.split('\n').forEach((line, index) => {
        if (line.trim() === '') return;
        try {
          out.push(parseModelMetricLine(key, line));
        } catch (error) {
          this.issues.push({ field: `metrics/${key}`, reason: `line ${index + 1} skipped: ${(error as Error).message}` });
        }
      });
    }
    return out;
  }

  private artifactRoot(): Promise<string> {
    this.root ??= modelArtifactRoot(this.folder);
    return this.root;
  }

  async *files(): AsyncIterable<FileEntry> {
    yield* listArtifacts(await this.artifactRoot(), (path) => this.issues.push({ field: `artifacts/${path}`, reason: 'symbolic link; not followed and not copied' }));
  }

  async openFile(path: string): Promise<Readable> {
    return openArtifact(await this.artifactRoot(), path);
  }

  readIssues(): ReadIssue[] {
    return [...this.issues];
  }
}

/** A run's links: outputs/<model_id>/meta.yaml and inputs of source_type MODEL. */
export async function readRunModelLinks(runDir: string): Promise<ModelLinks> {
  const links: ModelLinks = { outputs: [], inputs: [] };
  for (const name of await listSubdirs(join(runDir, OUTPUTS_DIR))) {
    const meta = asMap(parsePyYaml((await readTextIfExists(join(runDir, OUTPUTS_DIR, name, META_FILE))) ?? ''));
    const modelId = text(meta?.destination_id) ?? name;
    const step = meta?.step;
    links.outputs.push({ modelId, step: typeof step === 'number' || typeof step === 'bigint' ? step : 0 });
  }
  for (const name of await listSubdirs(join(runDir, INPUTS_DIR))) {
    const meta = asMap(parsePyYaml((await readTextIfExists(join(runDir, INPUTS_DIR, name, META_FILE))) ?? ''));
    if (meta?.source_type === 'MODEL' && typeof meta.source_id === 'string') links.inputs.push({ modelId: meta.source_id });
  }
  return links;
}

/** Adds missing links to a run folder (idempotent: one folder per model). */
export async function writeRunModelLinks(runDir: string, runId: string, links: ModelLinks): Promise<void> {
  for (const output of links.outputs) {
    const [id] = safeSegments(output.modelId, 'model id');
    const file = join(runDir, OUTPUTS_DIR, id!, META_FILE);
    if (await exists(file)) continue;
    const meta: YamlMap = { destination_id: output.modelId, destination_type: 'MODEL_OUTPUT', source_id: output.modelId, source_type: 'RUN_OUTPUT', step: output.step, tags: {} };
    await writePrivateFile(file, dumpPyYaml(meta));
  }
  for (const input of links.inputs) {
    const file = join(runDir, INPUTS_DIR, inputId(input.modelId, runId), META_FILE);
    if (await exists(file)) continue;
    const meta: YamlMap = { destination_id: input.modelId, destination_type: 'RUN', source_id: input.modelId, source_type: 'MODEL', tags: {} };
    await writePrivateFile(file, dumpPyYaml(meta));
  }
}

// ---------------------------------------------------------------- writing

export function newModelId(): string {
  return `m-${randomBytes(16).toString('hex')}`;
}

export async function modelCopyRecord(dir: string, modelId: string, staged: boolean): Promise<ModelCopyRecord | undefined> {
  const tags = join(dir, TAGS_DIR);
  const sourceModelId = await readKeyValue(tags, MODEL_PROVENANCE.modelId);
  if (sourceModelId === undefined) return undefined;
  const sourceState = await readKeyValue(tags, PROVENANCE.sourceState);
  return {
    sourceProject: (await readKeyValue(tags, MODEL_PROVENANCE.project)) ?? '',
    sourceModelId,
    targetModelId: modelId,
    complete: !staged && (await readKeyValue(tags, MODEL_PROVENANCE.completed)) !== undefined,
    ...(sourceState !== undefined ? { sourceState } : {}),
  };
}

export interface ModelPlaces {
  experimentId: string;
  /** artifact_location of the experiment (the model's is <it>/models/<id>/artifacts). */
  experimentArtifactLocation: string;
  stagingDir: string;
  finalDir: string;
  now: () => number;
}

export async function createModelFolder(init: ModelInit, modelId: string, places: ModelPlaces, scratchDir: string): Promise<MlrunsTargetModel> {
  const now = places.now();
  const meta: YamlMap = {
    artifact_location: `${places.experimentArtifactLocation.replace(/\/+$/, '')}/${MODELS_DIR}/${modelId}/${ARTIFACTS_DIR}`,
    creation_timestamp: now,
    experiment_id: places.experimentId,
    last_updated_timestamp: now,
    model_id: modelId,
    model_type: init.modelType ?? null,
    name: init.name,
    source_run_id: init.sourceRunId ?? null,
    status: CODE_BY_STATUS.PENDING,
    status_message: null,
  };
  const temp = join(scratchDir, tempName(modelId));
  try {
    await writePrivateFile(join(temp, META_FILE), dumpPyYaml(meta));
    for (const tag of init.tags) await writeKeyValue(join(temp, TAGS_DIR), tag.key, tag.value);
    for (const param of init.params) await writeKeyValue(join(temp, PARAMS_DIR), param.key, param.value);
    for (const dir of [METRICS_DIR, ARTIFACTS_DIR]) await mkdirPrivate(join(temp, dir));
    await mkdirPrivate(join(places.stagingDir, '..'));
    await rename(temp, places.stagingDir);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return new MlrunsTargetModel(modelId, meta, places);
}

export class MlrunsTargetModel implements TargetModel {
  constructor(
    readonly modelId: string,
    private readonly meta: YamlMap,
    private readonly places: ModelPlaces,
  ) {}

  async logMetrics(metrics: ModelMetric[]): Promise<void> {
    const byKey = new Map<string, string>();
    for (const m of metrics) byKey.set(m.key, (byKey.get(m.key) ?? '') + formatModelMetricLine(m));
    for (const [key, lines] of byKey) {
      const file = keyPath(join(this.places.stagingDir, METRICS_DIR), key);
      const before = (await readTextIfExists(file)) ?? '';
      await writePrivateFile(file, before + lines);
    }
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    await writeArtifact(join(this.places.stagingDir, ARTIFACTS_DIR), path, data, size);
  }

  /** Status into meta.yaml, the marker, then one rename makes the model visible. */
  async finish(status: LoggedModelStatus, marker: KeyValue): Promise<void> {
    const meta = { ...this.meta, status: CODE_BY_STATUS[status], last_updated_timestamp: this.places.now() };
    await writeFileAtomic(join(this.places.stagingDir, META_FILE), dumpPyYaml(meta));
    await writeKeyValue(join(this.places.stagingDir, TAGS_DIR), marker.key, marker.value);
    await mkdirPrivate(join(this.places.finalDir, '..'));
    await rename(this.places.stagingDir, this.places.finalDir);
  }
}
