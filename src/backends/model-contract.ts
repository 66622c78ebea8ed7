/**
 * Optional abilities of a backend for MLflow 3 logged models, run<->model links and the model
 * registry. A backend without them is unchanged: the engine asks for each method and does
 * without it (rclone's optional features). Shapes follow MLflow's own entities.
 */
import type { Readable } from 'node:stream';
import type { FileEntry, Int64, KeyValue, RunInfo } from '../model/run.js';
import type { ReadIssue } from './contract.js';

/** LOGGED_MODEL_READY / _UPLOAD_FAILED / _PENDING, without the prefix. */
export type LoggedModelStatus = 'READY' | 'FAILED' | 'PENDING';

export interface LoggedModelInfo {
  modelId: string;
  name: string;
  /** "" and absent mean the same: no type. */
  modelType?: string;
  status: LoggedModelStatus;
  /** The run that produced it, in the same store; absent when none. */
  sourceRunId?: string;
  experimentId?: string;
  artifactUri?: string;
  creationTime?: number;
  lastUpdatedTime?: number;
  /**
   * Optional: a digest of what the source's listing says about the model (status, tags, params,
   * metrics, file stats - whatever the store gives cheaply). A model copy records the token it was
   * last synced with; an equal token means the copy is not opened again (engine/models/sync-model.ts).
   */
  stateToken?: string;
}

/** A metric of a logged model: logged by a run (runId), maybe on a dataset. */
export interface ModelMetric {
  key: string;
  value: number;
  timestamp: number;
  step: Int64;
  runId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

export interface SourceModel {
  readonly info: LoggedModelInfo;
  params(): Promise<KeyValue[]>;
  tags(): Promise<KeyValue[]>;
  metrics(): Promise<ModelMetric[]>;
  /** Every file below the model's artifact root. */
  files(): AsyncIterable<FileEntry>;
  openFile(path: string): Promise<Readable>;
  readIssues?(): ReadIssue[];
}

/** A run's links to logged models: `outputs.model_outputs` and `inputs.model_inputs`. */
export interface ModelLinks {
  outputs: Array<{ modelId: string; step: Int64 }>;
  inputs: Array<{ modelId: string }>;
}

/** A logged model in the target that names its source through provenance tags. */
export interface ModelCopyRecord {
  sourceProject: string;
  sourceModelId: string;
  targetModelId: string;
  complete: boolean;
  /** The source's state token the copy was last brought up to date with (`runs_migrator.source_state`). */
  sourceState?: string;
}

export interface ModelInit {
  name: string;
  modelType?: string;
  /** The target id of the source run's copy. */
  sourceRunId?: string;
  params: KeyValue[];
  /** Provenance first: written with the creation. */
  tags: KeyValue[];
}

export interface TargetModel {
  readonly modelId: string;
  /** Metrics of this model; `runId` names a run of the target (already remapped). */
  logMetrics(metrics: ModelMetric[]): Promise<void>;
  /** `path` is a checked relative POSIX path; the stream holds exactly `size` bytes. */
  writeFile(path: string, data: Readable, size: number): Promise<void>;
  /** Final status, then the completion marker last. */
  finish(status: LoggedModelStatus, marker: KeyValue): Promise<void>;
}

/**
 * Writes a sync makes to a complete model copy (engine/models/sync-model.ts), in the limits of
 * what the store lets a client change: MLflow logged-model params are write-once, so there is no
 * way to change one here; `deleteFile` is absent where the store cannot delete a file.
 */
export interface ModelCopyEditor {
  /** New params only (a key the copy holds is never sent again). */
  logParams(params: KeyValue[]): Promise<void>;
  setTags(tags: KeyValue[]): Promise<void>;
  deleteTags(keys: string[]): Promise<void>;
  setStatus(status: LoggedModelStatus): Promise<void>;
  /** Metric rows the copy lacks; `runId` names a run of the target. */
  logMetrics(metrics: ModelMetric[]): Promise<void>;
  /** `path` is a checked relative POSIX path; an existing file is replaced. */
  writeFile(path: string, data: Readable, size: number): Promise<void>;
  deleteFile?(path: string): Promise<void>;
}

export interface SourceModels {
  /** The project's logged models (not deleted ones). */
  listModels(): AsyncIterable<LoggedModelInfo>;
  openModel(info: LoggedModelInfo): Promise<SourceModel>;
  /**
   * Optional: a run's model links without opening the run (one request instead of two on a
   * server); the engine falls back to SourceRun.modelLinks.
   */
  runModelLinks?(info: RunInfo): Promise<ModelLinks>;
}

export interface TargetModels {
  /** Every logged model here that carries provenance, complete or not. */
  listModelCopies(): AsyncIterable<ModelCopyRecord>;
  createModel(init: ModelInit): Promise<TargetModel>;
  /** Remove or hide a partial copy so it is never taken for a copy again. */
  discardModel(targetModelId: string): Promise<void>;
  /**
   * Adds the links a run copy lacks (idempotent: links already there are not written again) and
   * sets `tags` on the run (the old ids of links that could not be remapped).
   */
  linkRun(targetRunId: string, links: ModelLinks, tags: KeyValue[]): Promise<void>;
  /** Optional: writes to a complete copy, for a sync (without it, complete copies are left as they are). */
  openModelCopy?(targetModelId: string): Promise<ModelCopyEditor>;
}

// ---------------------------------------------------------------- model registry

export interface RegisteredModelInfo {
  name: string;
  description?: string;
  tags: KeyValue[];
  aliases: Array<{ alias: string; version: string }>;
}

export interface ModelVersionInfo {
  name: string;
  version: string;
  description?: string;
  tags: KeyValue[];
  /** None, Staging, Production, Archived. */
  stage: string;
  status: string;
  source: string;
  runId?: string;
  /** The logged model behind the version (from model_id or a models:/<id> source). */
  modelId?: string;
}

export interface SourceRegistry {
  listRegisteredModels(): AsyncIterable<RegisteredModelInfo>;
  listVersions(name: string): Promise<ModelVersionInfo[]>;
}

export interface VersionInit {
  name: string;
  source: string;
  runId?: string;
  modelId?: string;
  description?: string;
  tags: KeyValue[];
}

export interface TargetRegistry extends SourceRegistry {
  getRegisteredModel(name: string): Promise<RegisteredModelInfo | undefined>;
  createRegisteredModel(info: RegisteredModelInfo): Promise<void>;
  setRegisteredModelTags(name: string, tags: KeyValue[]): Promise<void>;
  /**
   * Creates a version. With `wanted`, the backend makes it carry that number when it can (the
   * number is free and not below the next one); it answers the number it got.
   */
  createVersion(init: VersionInit, wanted?: number): Promise<string>;
  deleteVersion(name: string, version: string): Promise<void>;
  setVersionTags(name: string, version: string, tags: KeyValue[]): Promise<void>;
  setStage(name: string, version: string, stage: string): Promise<void>;
  setAlias(name: string, alias: string, version: string): Promise<void>;
}

/** Registry access of a store, per workspace (registered-model names are per workspace). */
export interface RegistryStore {
  openSourceRegistry(workspace: string): Promise<SourceRegistry>;
  openTargetRegistry?(workspace: string): Promise<TargetRegistry>;
}

/** Discovery helpers: the engine never names a backend, it asks what an object can do. */
export function sourceModelsOf(project: object): SourceModels | undefined {
  const p = project as Partial<SourceModels>;
  return typeof p.listModels === 'function' && typeof p.openModel === 'function' ? (p as SourceModels) : undefined;
}

export function targetModelsOf(project: object | undefined): TargetModels | undefined {
  const p = project as Partial<TargetModels> | undefined;
  return p && typeof p.listModelCopies === 'function' && typeof p.createModel === 'function' ? (p as TargetModels) : undefined;
}

export function modelLinksOf(run: object): (() => Promise<ModelLinks>) | undefined {
  const r = run as { modelLinks?: () => Promise<ModelLinks> };
  return typeof r.modelLinks === 'function' ? () => r.modelLinks!() : undefined;
}

/** A run's model links: through the project when it can, else by opening the run (undefined: no links ability). */
export async function readRunLinks(
  project: { openRun(info: RunInfo): Promise<{ close?(): Promise<void> }> } & Partial<SourceModels>,
  info: RunInfo,
): Promise<ModelLinks | undefined> {
  if (typeof project.runModelLinks === 'function') return project.runModelLinks(info);
  const run = await project.openRun(info);
  try {
    return await modelLinksOf(run)?.();
  } finally {
    await run.close?.();
  }
}

export function registryOf(store: object): RegistryStore | undefined {
  const s = store as Partial<RegistryStore>;
  return typeof s.openSourceRegistry === 'function' ? (s as RegistryStore) : undefined;
}
