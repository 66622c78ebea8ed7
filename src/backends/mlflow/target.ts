/**
 * Writing a project (an MLflow experiment) to a tracking server.
 *
 * Order per run (reference M): runs/create with the original start time, name, user and the
 * provenance tags -> log-batch (params, tags, metrics; the engine keeps to the batch limits) ->
 * log-inputs -> artifact uploads -> finish: runs/update (status, end time), the completion
 * marker, and runs/delete when the source run was deleted (a deleted run takes no writes).
 * A small run's params, tags and metrics wait for finishWith and go in the marker's log-batch:
 * runs/create, uploads, runs/update, one log-batch.
 */
import { mlflowTargetDatasets } from './datasets.js';
import type { Readable } from 'node:stream';
import type {
  CopyEditor,
  CopyRecord,
  MetricBatch,
  ReadIssue,
  RunEnd,
  RunInit,
  RunValues,
  TargetProject,
  TargetRun,
} from '../contract.js';
import type { DatasetInput, KeyValue, ProjectMeta, RunStatus } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { PROVENANCE } from '../../model/provenance.js';
import { rejectMlflowKey } from '../mlflow-rules.js';
import { UsageError } from '../../util/errors.js';
import {
  DISCARDED_TAG,
  NOTE_TAG,
  PATHS,
  RUN_NAME_TAG,
  getExperimentByName,
  parseRun,
  searchRuns,
  type Experiment,
  type ListedRun,
} from './api.js';
import { FILES_AT_ONCE, directStoreReason, proxyFilePath, proxyRoot, unsafePathReason, uploadArtifact } from './artifacts.js';
import { accessFor, checkTargetArtifactStore, isObjectStoreUri, writeDirect, writeThroughPresignedUrl } from './store-artifacts.js';
import { MlflowRequestError } from './errors.js';
import { logInputsRetryingRace } from './dataset-race.js';
import { ownString } from './own-strings.js';
import type { MlflowHttpClient } from './http-client.js';
import { mlflowTargetTraces } from './traces.js';
import { mlflowTracePromptLinks } from './trace-prompt-links.js';
import { mlflowTraceRunLinks } from './trace-run-links.js';
import { mlflowScorers } from './scorers.js';
import { asRecord, encodeLogBatch, encodeLogInputs } from './json.js';
import type { ModelCopyEditor, ModelCopyRecord, ModelInit, ModelLinks, TargetModel } from '../model-contract.js';
import { createLoggedModel, deleteLoggedModel, linkRunModels, MlflowModelCopyEditor, modelCopyRecord, searchLoggedModels } from './models.js';

/** Experiment tag limits (validation.py: MAX_EXPERIMENT_TAG_KEY_LENGTH / _VAL_LENGTH). */
const EXPERIMENT_TAG_KEY_MAX = 250;
const EXPERIMENT_TAG_VALUE_MAX = 5000;
/** runs/log-inputs takes at most this many datasets per call. */
const MAX_DATASETS_PER_CALL = 1000;
/**
 * The log-batch body size MLflow documents. The server does not enforce it (golden README), but a
 * proxy in front of it may, so one combined batch stays below it and is split when it would not.
 */
const MAX_LOG_BATCH_BYTES = 1_000_000;

export interface TargetSettings {
  searchPageSize: number;
}

function deletedExperimentError(ref: ProjectRef, displayUri: string): UsageError {
  return new UsageError(
    `experiment '${ref.project}' in workspace '${ref.workspace}' on ${displayUri} is deleted and still holds the name: ` +
      `restore it (mlflow experiments restore) or choose another target project`,
  );
}

/**
 * Open (and when asked, create) the target experiment. Existing experiments get the source tags
 * they lack; differing values are left alone.
 */
export async function openTargetProject(
  client: MlflowHttpClient,
  ref: ProjectRef,
  meta: ProjectMeta,
  create: boolean,
  settings: TargetSettings,
  /** --target-artifact-location: the artifact_location of an experiment created here. */
  artifactLocation?: string,
): Promise<MlflowTargetProject | undefined> {
  const issues: ReadIssue[] = [];
  const wanted = experimentTags(meta, issues);
  let experiment = await getExperimentByName(client, ref);
  if (experiment?.deleted) throw deletedExperimentError(ref, client.displayUri);
  if (!create) {
    return experiment ? new MlflowTargetProject(client, ref, experiment, settings, issues, false) : undefined;
  }
  let created = false;
  if (!experiment) {
    try {
      const doc = asRecord(
        await client.post(
          PATHS.experimentCreate,
          { name: ref.project, tags: wanted, ...(artifactLocation !== undefined ? { artifact_location: artifactLocation } : {}) },
          'experiments/create',
          ref.workspace,
        ),
      );
      created = true;
      const id = String(doc.experiment_id ?? '');
      experiment = (await getExperimentByName(client, ref)) ?? { id, name: ref.project, deleted: false, tags: wanted };
    } catch (error) {
      if (!(error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      // Another process created it first (or a retried create succeeded): read it back.
      experiment = await getExperimentByName(client, ref);
      if (!experiment) throw error;
      if (experiment.deleted) throw deletedExperimentError(ref, client.displayUri);
    }
  }
  if (!created && artifactLocation !== undefined && experiment.artifactLocation?.replace(/\/+$/, '') !== artifactLocation) {
    issues.push({
      field: 'artifact_location',
      reason: `the target experiment already exists with artifact location ${experiment.artifactLocation ?? '(none)'}; --target-artifact-location ${artifactLocation} applies to experiments the copy creates, so files go to the existing location`,
    });
  }
  if (!created) {
    const have = new Set(experiment.tags.map((t) => t.key));
    for (const tag of wanted) {
      if (have.has(tag.key)) continue;
      await client.post(
        PATHS.experimentSetTag,
        { experiment_id: experiment.id, key: tag.key, value: tag.value },
        'experiments/set-experiment-tag',
        ref.workspace,
      );
      experiment.tags.push(tag);
    }
  }
  await checkTargetArtifactStore(experiment.artifactLocation, ref.project);
  return new MlflowTargetProject(client, ref, experiment, settings, issues, created);
}

/** The experiment tags to write: source tags plus the description, minus what MLflow refuses. */
function experimentTags(meta: ProjectMeta, issues: ReadIssue[]): KeyValue[] {
  const out: KeyValue[] = [];
  const add = (tag: KeyValue) => {
    const bad =
      rejectMlflowKey(tag.key) ??
      (tag.key.length > EXPERIMENT_TAG_KEY_MAX ? `key longer than ${EXPERIMENT_TAG_KEY_MAX} characters` : undefined) ??
      (tag.value.length > EXPERIMENT_TAG_VALUE_MAX
        ? `value longer than ${EXPERIMENT_TAG_VALUE_MAX} characters (MLflow's experiment tag limit)`
        : undefined);
    if (bad !== undefined) {
      issues.push({ field: `project tag ${tag.key}`, reason: `not written: ${bad}` });
      return;
    }
    out.push({ key: tag.key, value: tag.value });
  };
  for (const tag of meta.tags) {
    if (tag.key === NOTE_TAG && meta.description !== undefined) continue;
    add(tag);
  }
  if (meta.description !== undefined && meta.description !== '') add({ key: NOTE_TAG, value: meta.description });
  return out;
}

export class MlflowTargetProject implements TargetProject {
  readonly id: string;

  constructor(
    private readonly client: MlflowHttpClient,
    readonly ref: ProjectRef,
    readonly experiment: Experiment,
    private readonly settings: TargetSettings,
    /** Project tags that could not be written (not part of the contract; see report). */
    readonly issues: ReadIssue[],
    /** True when openTarget created the experiment. */
    readonly created: boolean,
  ) {
    this.id = experiment.id;
    // MLflow 3 traces (traces.ts): the engine asks for listTraceCopies / writeTrace.
    // Evaluation datasets (datasets.ts): listDatasetCopies / writeDataset and friends.
    Object.assign(this, mlflowTargetTraces(client, ref.workspace, experiment.id), mlflowTargetDatasets(client, ref.workspace, experiment.id));
    // Trace -> prompt links (trace-prompt-links.ts): tracesLinkedToPrompt / linkPromptsToTrace.
    Object.assign(this, mlflowTracePromptLinks(client, ref.workspace, experiment.id));
    // Trace -> run links (trace-run-links.ts): traceRunLinks / linkTracesToRun.
    Object.assign(this, mlflowTraceRunLinks(client, ref.workspace, experiment.id));
    // Scorers (scorers.ts): the engine asks for listScorers / addScorerVersion.
    Object.assign(this, mlflowScorers(client, ref.workspace, experiment.id));
  }

  async *listCopies(): AsyncIterable<CopyRecord> {
    const filter = `tags.\`${PROVENANCE.runId}\` LIKE '%'`;
    let runs: AsyncGenerator<ListedRun>;
    try {
      runs = this.search(filter);
      const first = await runs.next();
      if (!first.done) {
        const record = copyRecord(first.value);
        if (record) yield record;
      }
    } catch (error) {
      // A server without LIKE on tags: list everything and keep the runs with provenance.
      if (!(error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE')) throw error;
      runs = this.search(undefined);
    }
    for await (const run of runs) {
      const record = copyRecord(run);
      if (record) yield record;
    }
  }

  async createRun(init: RunInit): Promise<MlflowTargetRun> {
    const body: Record<string, unknown> = {
      experiment_id: this.id,
      // Always send start_time: without it MLflow stores 0, not the current time.
      start_time: Math.floor(init.startTime ?? Date.now()),
    };
    let tags = init.tags;
    if (init.name !== undefined && init.name !== '') {
      body.run_name = init.name;
      // run_name and a different mlflow.runName tag are refused together; the name wins.
      tags = tags.filter((t) => t.key !== RUN_NAME_TAG || t.value === init.name);
    }
    if (init.user !== undefined) body.user_id = init.user;
    if (tags.length > 0) body.tags = tags.map((t) => ({ key: t.key, value: t.value }));
    const attempts = { count: 0 };
    const doc = asRecord(
      await this.client.json({
        method: 'POST',
        path: PATHS.runsCreate,
        json: JSON.stringify(body),
        what: 'runs/create',
        workspace: this.ref.workspace,
        attempts,
      }),
    );
    const run = parseRun(doc.run);
    if (run.info.runId === '') throw new Error(`runs/create on ${this.client.displayUri} answered no run id`);
    if (attempts.count > 1) await this.discardTwins(init, run.info.runId, body.start_time as number);
    // What runs/create wrote already (the server adds mlflow.runName from run_name) is not sent again.
    const written = new Map(tags.map((t) => [t.key, t.value]));
    if (body.run_name !== undefined) written.set(RUN_NAME_TAG, body.run_name as string);
    // Own strings: the run id outlives the run (the report keeps it), the answer's text need not.
    return new MlflowTargetRun(this.client, this.ref.workspace, ownString(run.info.runId), run.info.artifactUri, written);
  }

  /**
   * runs/create is not idempotent: when it had to be sent again, an earlier attempt may have
   * created a run whose answer was lost. Such twins (same provenance, same start time, no marker)
   * are discarded at once; if that fails they stay partial copies, discarded on the next pass.
   */
  private async discardTwins(init: RunInit, keptRunId: string, startTime: number): Promise<void> {
    const sourceRunId = init.tags.find((t) => t.key === PROVENANCE.runId)?.value;
    const sourceProject = init.tags.find((t) => t.key === PROVENANCE.project)?.value ?? '';
    if (sourceRunId === undefined || /['\\]/.test(sourceRunId)) return;
    try {
      for await (const run of this.search(`tags.\`${PROVENANCE.runId}\` = '${sourceRunId}'`)) {
        const record = copyRecord(run);
        if (!record || record.targetRunId === keptRunId || record.complete || record.deleted) continue;
        if (record.sourceProject !== sourceProject || run.info.startTime !== startTime) continue;
        await this.discardRun(record.targetRunId);
      }
    } catch {
      // best effort: the engine discards leftover partial copies on its next pass
    }
  }

  async discardRun(targetRunId: string): Promise<void> {
    try {
      await setTag(this.client, this.ref.workspace, targetRunId, { key: DISCARDED_TAG, value: new Date().toISOString() });
    } catch (error) {
      // A deleted run takes no tags: it is hidden already; deleting again is harmless.
      if (!(error instanceof MlflowRequestError && error.errorCode === 'INVALID_PARAMETER_VALUE')) throw error;
    }
    await deleteRun(this.client, this.ref.workspace, targetRunId);
  }

  async deleteRun(targetRunId: string): Promise<void> {
    await deleteRun(this.client, this.ref.workspace, targetRunId);
  }

  /**
   * Experiment tags (the description is mlflow.note.content) whose value differs from the
   * source's are set again; tags only the target has are kept (they may be the target's own).
   */
  async updateMeta(meta: ProjectMeta): Promise<string[]> {
    const have = new Map(this.experiment.tags.map((t) => [t.key, t.value]));
    const changes: string[] = [];
    for (const tag of experimentTags(meta, [])) {
      if (have.get(tag.key) === tag.value) continue;
      await this.client.post(
        PATHS.experimentSetTag,
        { experiment_id: this.id, key: tag.key, value: tag.value },
        'experiments/set-experiment-tag',
        this.ref.workspace,
      );
      changes.push(`${tag.key === NOTE_TAG ? 'description' : `experiment tag ${tag.key}`} ${have.has(tag.key) ? 'changed' : 'set'}`);
      have.set(tag.key, tag.value);
    }
    this.experiment.tags.splice(0, this.experiment.tags.length, ...[...have].map(([key, value]) => ({ key, value })));
    return changes;
  }

  /** One runs/get for the copy's artifact root; nothing is written until the engine asks. */
  async openCopy(targetRunId: string): Promise<CopyEditor> {
    const doc = asRecord(await this.client.get(PATHS.runsGet, { run_id: targetRunId }, 'runs/get', this.ref.workspace));
    const run = parseRun(doc.run);
    if (run.info.runId === '') throw new Error(`runs/get on ${this.client.displayUri} did not return the copy ${targetRunId}`);
    return new MlflowCopyEditor(this.client, this.ref.workspace, ownString(run.info.runId), run.info.artifactUri);
  }

  // Logged models (models.ts). A discarded partial copy is soft-deleted: search hides it.
  async *listModelCopies(): AsyncIterable<ModelCopyRecord> {
    for await (const doc of searchLoggedModels(this.client, this.ref.workspace, this.id)) {
      const record = modelCopyRecord(doc);
      if (record) yield record;
    }
  }

  createModel(init: ModelInit): Promise<TargetModel> {
    return createLoggedModel(this.client, this.ref.workspace, this.id, init);
  }

  discardModel(targetModelId: string): Promise<void> {
    return deleteLoggedModel(this.client, this.ref.workspace, targetModelId);
  }

  linkRun(targetRunId: string, links: ModelLinks, tags: KeyValue[]): Promise<void> {
    return linkRunModels(this.client, this.ref.workspace, targetRunId, links, tags);
  }

  async openModelCopy(targetModelId: string): Promise<ModelCopyEditor> {
    return new MlflowModelCopyEditor(this.client, this.ref.workspace, targetModelId);
  }

  private search(filter: string | undefined): AsyncGenerator<ListedRun> {
    return searchRuns(this.client, this.ref.workspace, {
      experimentId: this.id,
      viewType: 'ALL',
      pageSize: this.settings.searchPageSize,
      tagKeys: COPY_RECORD_TAGS,
      ...(filter !== undefined ? { filter } : {}),
    });
  }
}

/** The tags copyRecord reads: a listing of the copies decodes no other tag. */
const COPY_RECORD_TAGS = [PROVENANCE.runId, PROVENANCE.sourceState, PROVENANCE.project, PROVENANCE.completed, DISCARDED_TAG];

function copyRecord(run: ListedRun): CopyRecord | undefined {
  let sourceRunId: string | undefined;
  let sourceProject = '';
  let complete = false;
  let discarded = false;
  let sourceState: string | undefined;
  for (const tag of run.tags) {
    if (tag.key === PROVENANCE.runId) sourceRunId = tag.value;
    else if (tag.key === PROVENANCE.sourceState) sourceState = tag.value;
    else if (tag.key === PROVENANCE.project) sourceProject = tag.value;
    else if (tag.key === PROVENANCE.completed) complete = true;
    else if (tag.key === DISCARDED_TAG) discarded = true;
  }
  if (sourceRunId === undefined) return undefined;
  // Discarded and deleted: gone for good. Discarded but still active (killed between the tag and
  // the delete): a partial copy, so the engine discards it again.
  if (discarded && run.info.deleted) return undefined;
  return {
    sourceProject: ownString(sourceProject),
    sourceRunId: ownString(sourceRunId),
    targetRunId: ownString(run.info.runId),
    complete: complete && !discarded,
    deleted: run.info.deleted,
    ...(sourceState !== undefined ? { sourceState: ownString(sourceState) } : {}),
  };
}

async function setTag(client: MlflowHttpClient, workspace: string, runId: string, tag: KeyValue): Promise<void> {
  await client.post(PATHS.runsSetTag, { run_id: runId, key: tag.key, value: tag.value }, 'runs/set-tag', workspace);
}

async function deleteRun(client: MlflowHttpClient, workspace: string, runId: string): Promise<void> {
  await client.post(PATHS.runsDelete, { run_id: runId }, 'runs/delete', workspace);
}

export class MlflowTargetRun implements TargetRun {
  /** Uploads are independent PUTs on the client's pool (each retried on its own). */
  readonly fileConcurrency = FILES_AT_ONCE;

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly workspace: string,
    readonly runId: string,
    readonly artifactUri: string | undefined,
    /** Tags runs/create wrote (key -> value): the same tag is not sent again. */
    private readonly writtenAtCreate: ReadonlyMap<string, string> = new Map(),
  ) {}

  async logParams(params: KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    await this.postLogBatch(encodeLogBatch(this.runId, { params }));
  }

  async setTags(tags: KeyValue[]): Promise<void> {
    const fresh = this.notWrittenYet(tags);
    if (fresh.length === 0) return;
    await this.postLogBatch(encodeLogBatch(this.runId, { tags: fresh }));
  }

  async logMetrics(batches: MetricBatch[]): Promise<void> {
    if (!batches.some((b) => b.points.length > 0)) return;
    await this.postLogBatch(encodeLogBatch(this.runId, { metrics: batches }));
  }

  /** Params, tags and metrics in one runs/log-batch (the engine keeps to the count limits). */
  async logBatch(parts: RunValues): Promise<void> {
    const tags = this.notWrittenYet(parts.tags);
    const metrics = parts.metrics.filter((b) => b.points.length > 0);
    if (parts.params.length === 0 && tags.length === 0 && metrics.length === 0) return;
    const body = encodeLogBatch(this.runId, { params: parts.params, tags, metrics });
    if (body.length <= MAX_LOG_BATCH_BYTES / 3 || Buffer.byteLength(body) <= MAX_LOG_BATCH_BYTES) {
      await this.postLogBatch(body);
      return;
    }
    await this.logParams(parts.params);
    await this.setTags(tags);
    await this.logMetrics(metrics);
  }

  private notWrittenYet(tags: KeyValue[]): KeyValue[] {
    if (this.writtenAtCreate.size === 0) return tags;
    return tags.filter((t) => this.writtenAtCreate.get(t.key) !== t.value);
  }

  async logInputs(inputs: DatasetInput[]): Promise<void> {
    for (let i = 0; i < inputs.length; i += MAX_DATASETS_PER_CALL) {
      const chunk = inputs.slice(i, i + MAX_DATASETS_PER_CALL);
      // Another run logging the same dataset at the same moment can make the server fail this one
      // (dataset-race.ts): read back and log the rest again.
      await logInputsRetryingRace(chunk, {
        send: async (pending) => {
          await this.client.post(PATHS.runsLogInputs, encodeLogInputs(this.runId, pending), 'runs/log-inputs', this.workspace);
        },
        readBack: async () => {
          const doc = asRecord(await this.client.get(PATHS.runsGet, { run_id: this.runId }, 'runs/get', this.workspace));
          return parseRun(doc.run).inputs ?? [];
        },
      });
    }
  }

  async writeFile(path: string, data: Readable, size: number): Promise<void> {
    const unsafe = unsafePathReason(path);
    if (unsafe !== undefined) {
      data.destroy();
      throw new Error(`refusing to write artifact '${path}': ${unsafe}`);
    }
    if (path.includes('#')) {
      data.destroy();
      throw new Error(`cannot write artifact '${path}': MLflow's artifact proxy refuses '#' in paths (Invalid path)`);
    }
    const root = proxyRoot(this.artifactUri);
    if (root !== undefined) return uploadArtifact(this.client, root, path, data, size, this.workspace);
    const uri = this.artifactUri;
    if (isObjectStoreUri(uri)) {
      if (accessFor(uri) === 'direct') return writeDirect(uri!, path, data, size);
      if (uri!.startsWith('s3://')) return writeThroughPresignedUrl(this.client, this.runId, path, data, size, this.workspace);
    }
    data.destroy();
    throw new Error(
      `cannot write '${path}' to run ${this.runId}: ${isObjectStoreUri(uri) ? `its files live in ${uri} and no credentials for that store are in the environment` : directStoreReason(uri)}`,
    );
  }

  async finish(end: RunEnd): Promise<void> {
    await this.updateStatus(end);
    await setTag(this.client, this.workspace, this.runId, end.marker);
    if (end.deleted) await deleteRun(this.client, this.workspace, this.runId);
  }

  /**
   * runs/update, then the last values and the marker in one log-batch: MLflow's stores write a
   * batch's params, then its metrics, then its tags (sqlalchemy_store.log_batch, file_store), and
   * the marker is the batch's last tag - so it is stored only after everything else.
   */
  async finishWith(end: RunEnd, last: RunValues): Promise<void> {
    await this.updateStatus(end);
    const tags = [...this.notWrittenYet(last.tags).filter((t) => t.key !== end.marker.key), end.marker];
    const metrics = last.metrics.filter((b) => b.points.length > 0);
    const body = encodeLogBatch(this.runId, { params: last.params, tags, metrics });
    if (body.length <= MAX_LOG_BATCH_BYTES / 3 || Buffer.byteLength(body) <= MAX_LOG_BATCH_BYTES) {
      await this.postLogBatch(body);
    } else {
      await this.logBatch(last);
      await setTag(this.client, this.workspace, this.runId, end.marker);
    }
    if (end.deleted) await deleteRun(this.client, this.workspace, this.runId);
  }

  private async updateStatus(end: RunEnd): Promise<void> {
    const update: Record<string, unknown> = { run_id: this.runId, status: end.status };
    if (end.endTime !== undefined) update.end_time = Math.floor(end.endTime);
    await this.client.post(PATHS.runsUpdate, update, 'runs/update', this.workspace);
  }

  private async postLogBatch(body: string): Promise<void> {
    await this.client.json({ method: 'POST', path: PATHS.runsLogBatch, json: body, what: 'runs/log-batch', workspace: this.workspace });
  }
}

/** A complete copy reopened for a sync: runs/delete-tag, runs/update (with run_name), runs/restore. */
export class MlflowCopyEditor extends MlflowTargetRun implements CopyEditor {
  constructor(
    private readonly http: MlflowHttpClient,
    private readonly space: string,
    runId: string,
    artifactUri: string | undefined,
  ) {
    super(http, space, runId, artifactUri);
  }

  /** Through the artifact proxy only (DELETE mlflow-artifacts/artifacts/<path>); elsewhere the file is kept and reported. */
  async deleteFile(path: string): Promise<void> {
    const root = proxyRoot(this.artifactUri);
    if (root === undefined) throw new Error(`the copy's files live in ${this.artifactUri ?? '(no artifact location)'}, not behind the server's artifact proxy; runs-migrator deletes files only through the proxy`);
    await this.http.json({ method: 'DELETE', path: proxyFilePath(root, path), what: `artifact delete of '${path}'`, workspace: this.space });
  }

  async deleteTags(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.http.post(PATHS.runsDeleteTag, { run_id: this.runId, key }, 'runs/delete-tag', this.space);
      } catch (error) {
        // Deleted already (a pass killed after this request): the wanted state holds.
        if (!(error instanceof MlflowRequestError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw error;
      }
    }
  }

  async updateInfo(info: { name?: string; status: RunStatus; endTime?: number }): Promise<void> {
    const update: Record<string, unknown> = { run_id: this.runId, status: info.status };
    if (info.endTime !== undefined) update.end_time = Math.floor(info.endTime);
    if (info.name !== undefined && info.name !== '') update.run_name = info.name;
    await this.http.post(PATHS.runsUpdate, update, 'runs/update', this.space);
  }

  async restore(): Promise<void> {
    await this.http.post(PATHS.runsRestore, { run_id: this.runId }, 'runs/restore', this.space);
  }
}
