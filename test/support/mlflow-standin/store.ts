/**
 * In-memory state of the stand-in (what the real server keeps in its SQL database):
 * workspaces, experiments, runs, logged models. Experiment-level rules live here; run-level
 * rules in runstore.ts.
 */
import { alreadyExists, invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from './errors.js';
import type { Int64 } from './json.js';
import type { Series } from './metrics.js';
import { pyRepr } from './pyfmt.js';
import type { RegisteredModel } from './registry.js';

export const DEFAULT_WORKSPACE = 'default';

export interface Workspace {
  name: string;
  description?: string;
  defaultArtifactRoot?: string;
}

export interface Experiment {
  id: string;
  workspace: string;
  name: string;
  artifactLocation: string;
  lifecycle: 'active' | 'deleted';
  creationTime: number;
  lastUpdateTime: number;
  tags: Map<string, string>;
}

export interface DatasetInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
  tags: Array<{ key: string; value: string }>;
}

export interface Run {
  id: string;
  experimentId: string;
  name: string;
  userId: string;
  status: string;
  startTime: Int64;
  endTime?: Int64;
  lifecycle: 'active' | 'deleted';
  deletedTime?: number;
  artifactUri: string;
  params: Map<string, string>;
  tags: Map<string, string>;
  metrics: Map<string, Series>;
  datasetInputs: DatasetInput[];
  modelInputs: string[];
  modelOutputs: Array<{ modelId: string; step: Int64 }>;
}

export interface ModelMetric {
  key: string;
  value: number;
  ts: Int64;
  step: Int64;
  runId: string;
  datasetName?: string;
  datasetDigest?: string;
}

export interface LoggedModel {
  id: string;
  experimentId: string;
  name: string;
  /** "" when not given: the server answers it as "" (present), like source_run_id. */
  modelType: string;
  sourceRunId: string;
  status: string;
  creationTs: number;
  lastUpdatedTs: number;
  artifactUri: string;
  tags: Map<string, string>;
  params: Map<string, string>;
  metrics: ModelMetric[];
  metricKeys: Set<string>;
  deleted: boolean;
  /** Creation order: breaks ties of equal creation timestamps (newest first). */
  seq: number;
}

export class Store {
  readonly workspaces = new Map<string, Workspace>();
  readonly experiments = new Map<string, Experiment>();
  readonly runs = new Map<string, Run>();
  readonly models = new Map<string, LoggedModel>();
  /** Registered models by `${workspace}\u0000${name}` (model registry, registry.ts). */
  readonly registry = new Map<string, RegisteredModel>();
  private readonly byName = new Map<string, string>();
  private nextExperimentId = 1;
  private lastCreation = 0;
  private lastRegistryWrite = 0;

  constructor(
    readonly workspacesEnabled: boolean,
    /** --default-artifact-root other than the proxy (s3-direct: s3://bucket/root/<id>). */
    private readonly defaultRoot?: (id: string) => string,
  ) {
    if (workspacesEnabled)
      this.workspaces.set(DEFAULT_WORKSPACE, { name: DEFAULT_WORKSPACE, description: 'Default workspace for legacy resources' });
    const now = Date.now();
    this.insertExperiment({
      id: '0',
      workspace: DEFAULT_WORKSPACE,
      name: 'Default',
      artifactLocation: this.experimentLocation(DEFAULT_WORKSPACE, '0'),
      lifecycle: 'active',
      creationTime: now,
      lastUpdateTime: now,
      tags: new Map(),
    });
  }

  now(): number {
    return Date.now();
  }

  /**
   * Registry times strictly increase: on a real server every registry write is a database
   * transaction that takes over a millisecond, so two writes never share a timestamp, and a
   * "last_updated_timestamp DESC" search lists them in write order (registry-registered-models).
   */
  registryNow(): number {
    this.lastRegistryWrite = Math.max(Date.now(), this.lastRegistryWrite + 1);
    return this.lastRegistryWrite;
  }

  /** Creation times strictly increase, so "creation_time DESC" lists experiments newest first. */
  private creationNow(): number {
    this.lastCreation = Math.max(Date.now(), this.lastCreation + 1);
    return this.lastCreation;
  }

  experimentLocation(ws: string, id: string): string {
    if (this.defaultRoot) return this.defaultRoot(id);
    return this.workspacesEnabled ? `mlflow-artifacts:/workspaces/${ws}/${id}` : `mlflow-artifacts:/${id}`;
  }

  private insertExperiment(e: Experiment): void {
    this.experiments.set(e.id, e);
    this.byName.set(`${e.workspace}\u0000${e.name}`, e.id);
  }

  /** _validate_experiment_id + lookup inside the request's workspace. */
  getExperiment(ws: string, id: string): Experiment {
    if (!/^\d+$/.test(id)) throw invalidParam(`Invalid experiment ID '${id}'. Experiment ID must be a valid integer.`);
    const key = String(BigInt(id));
    const e = this.experiments.get(key);
    if (!e || e.workspace !== ws) throw notFound(`No Experiment with id=${id} exists`);
    return e;
  }

  experimentByName(ws: string, name: string): Experiment | undefined {
    const id = this.byName.get(`${ws}\u0000${name}`);
    return id === undefined ? undefined : this.experiments.get(id);
  }

  createExperiment(ws: string, name: string, artifactLocation: string | undefined, tags: Map<string, string>): Experiment {
    const now = this.creationNow();
    if (this.experimentByName(ws, name)) {
      throw alreadyExists(
        `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name\n` +
          '[SQL: INSERT INTO experiments (name, workspace, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)]\n' +
          `[parameters: (${pyRepr(name)}, ${pyRepr(ws)}, ${pyRepr(artifactLocation ?? '')}, 'active', ${now}, ${now})]\n` +
          SQLA_BACKGROUND,
      );
    }
    const id = String(this.nextExperimentId++);
    const e: Experiment = {
      id,
      workspace: ws,
      name,
      artifactLocation: artifactLocation || this.experimentLocation(ws, id),
      lifecycle: 'active',
      creationTime: now,
      lastUpdateTime: now,
      tags,
    };
    this.insertExperiment(e);
    return e;
  }

  renameExperiment(e: Experiment, newName: string): void {
    if (e.lifecycle !== 'active') throw new MlflowError('INVALID_STATE', 'Cannot rename a non-active experiment.');
    if (newName === e.name) return;
    if (this.experimentByName(e.workspace, newName))
      throw alreadyExists(
        `Experiment(name=${newName}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name`,
      );
    this.byName.delete(`${e.workspace}\u0000${e.name}`);
    e.name = newName;
    e.lastUpdateTime = this.now();
    this.byName.set(`${e.workspace}\u0000${e.name}`, e.id);
  }

  /** Soft delete / restore; runs follow their experiment. Not idempotent (404 the second time). */
  setExperimentLifecycle(ws: string, id: string, to: 'active' | 'deleted'): void {
    const e = this.getExperiment(ws, id);
    const from = to === 'deleted' ? 'active' : 'deleted';
    if (e.lifecycle !== from) throw notFound(`No Experiment with id=${id} exists`);
    const now = this.now();
    e.lifecycle = to;
    e.lastUpdateTime = now;
    for (const r of this.runs.values()) {
      if (r.experimentId !== e.id) continue;
      r.lifecycle = to;
      r.deletedTime = to === 'deleted' ? now : undefined;
    }
  }

  checkExperimentActive(e: Experiment): void {
    if (e.lifecycle !== 'active')
      throw invalidParam(`The experiment ${e.id} must be in the 'active' state. Current state is ${e.lifecycle}.`);
  }

  /** Reassign experiments to another workspace (workspace delete with mode=SET_DEFAULT). */
  moveExperiments(exps: Experiment[], to: string): void {
    for (const e of exps)
      if (this.experimentByName(to, e.name))
        throw new MlflowError('INVALID_STATE', `Cannot move experiment '${e.name}' to workspace '${to}': the name is taken there.`);
    for (const e of exps) {
      this.byName.delete(`${e.workspace}\u0000${e.name}`);
      e.workspace = to;
      this.byName.set(`${to}\u0000${e.name}`, e.id);
    }
  }

  experimentsInWorkspace(ws: string): Experiment[] {
    return [...this.experiments.values()].filter((e) => e.workspace === ws);
  }

  workspaceOfRun(r: Run): string {
    return this.experiments.get(r.experimentId)?.workspace ?? DEFAULT_WORKSPACE;
  }
}
