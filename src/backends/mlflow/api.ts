/**
 * Endpoint paths and the parsing of MLflow entities (experiments, runs) into the canonical model.
 */
import type { DatasetInput, KeyValue, MetricPoint, RunInfo } from '../../model/run.js';
import { isRunStatus } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UnreachableError } from '../../util/errors.js';
import { arrayItemSpans } from './raw-items.js';
import { datasetFromFields } from '../mlflow-dataset.js';
import type { MlflowHttpClient } from './http-client.js';
import { asArray, asRecord, parseJson, toDouble, toInt64, toKeyValues, toMillis, toStr } from './json.js';

const API = '/api/2.0/mlflow';
export const PATHS = {
  experimentGetByName: `${API}/experiments/get-by-name`,
  experimentCreate: `${API}/experiments/create`,
  experimentSetTag: `${API}/experiments/set-experiment-tag`,
  runsSearch: `${API}/runs/search`,
  runsGet: `${API}/runs/get`,
  runsCreate: `${API}/runs/create`,
  runsUpdate: `${API}/runs/update`,
  runsDelete: `${API}/runs/delete`,
  runsRestore: `${API}/runs/restore`,
  runsDeleteTag: `${API}/runs/delete-tag`,
  runsSetTag: `${API}/runs/set-tag`,
  runsLogBatch: `${API}/runs/log-batch`,
  runsLogInputs: `${API}/runs/log-inputs`,
  metricsHistory: `${API}/metrics/get-history`,
  workspace: (name: string) => `/api/3.0/mlflow/workspaces/${encodeURIComponent(name)}`,
} as const;

export const NOTE_TAG = 'mlflow.note.content';
export const PARENT_TAG = 'mlflow.parentRunId';
export const RUN_NAME_TAG = 'mlflow.runName';
/** Written on a partial copy before it is soft-deleted by discardRun. */
export const DISCARDED_TAG = 'runs_migrator.discarded';

export interface Experiment {
  id: string;
  name: string;
  artifactLocation?: string;
  deleted: boolean;
  creationTime?: number;
  tags: KeyValue[];
}

export function parseExperiment(value: unknown): Experiment {
  const rec = asRecord(value);
  const artifactLocation = toStr(rec.artifact_location);
  const creationTime = toMillis(rec.creation_time);
  return {
    id: toStr(rec.experiment_id) ?? '',
    name: toStr(rec.name) ?? '',
    deleted: rec.lifecycle_stage === 'deleted',
    tags: toKeyValues(rec.tags),
    ...(artifactLocation ? { artifactLocation } : {}),
    ...(creationTime !== undefined ? { creationTime } : {}),
  };
}

/** experiments/get-by-name; undefined when there is none (deleted experiments are returned). */
export async function getExperimentByName(
  client: MlflowHttpClient,
  ref: ProjectRef,
): Promise<Experiment | undefined> {
  try {
    const doc = asRecord(
      await client.get(PATHS.experimentGetByName, { experiment_name: ref.project }, 'experiments/get-by-name', ref.workspace),
    );
    const experiment = parseExperiment(doc.experiment);
    return experiment.id === '' ? undefined : experiment;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** A run of runs/search or runs/get, parsed. */
export interface RunDoc {
  info: RunInfo;
  params: KeyValue[];
  tags: KeyValue[];
  metricKeys: string[];
  /** Each metric's latest point as runs/search and runs/get report it (data.metrics), by key. */
  latestMetrics?: Map<string, MetricPoint>;
  /** Undefined when the answer did not carry the inputs object. */
  inputs?: DatasetInput[];
  /** Logged models the run produced (outputs.model_outputs), not copied yet: reported. */
}

export function parseRun(value: unknown): RunDoc {
  const run = asRecord(value);
  const info = asRecord(run.info);
  const data = asRecord(run.data);
  const tags = toKeyValues(data.tags);
  const params = toKeyValues(data.params);
  const keys = new Set<string>();
  const latestMetrics = new Map<string, MetricPoint>();
  for (const metric of asArray(data.metrics)) {
    const m = asRecord(metric);
    const key = toStr(m.key);
    if (key === undefined) continue;
    keys.add(key);
    latestMetrics.set(key, { value: toDouble(m.value), timestamp: toMillis(m.timestamp) ?? 0, step: toInt64(m.step, 0) });
  }
  const runId = toStr(info.run_id) ?? toStr(info.run_uuid) ?? '';
  const name = toStr(info.run_name) ?? tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  const user = toStr(info.user_id);
  const startTime = toMillis(info.start_time);
  const endTime = toMillis(info.end_time);
  const experimentId = toStr(info.experiment_id);
  const artifactUri = toStr(info.artifact_uri);
  const parentRunId = tags.find((t) => t.key === PARENT_TAG)?.value;
  const status = isRunStatus(info.status) ? info.status : 'RUNNING';
  const runInfo: RunInfo = {
    runId,
    status,
    deleted: info.lifecycle_stage === 'deleted',
    ...(name !== undefined && name !== '' ? { name } : {}),
    ...(user !== undefined && user !== '' ? { user } : {}),
    ...(startTime !== undefined ? { startTime } : {}),
    ...(endTime !== undefined ? { endTime } : {}),
    ...(experimentId !== undefined ? { experimentId } : {}),
    ...(artifactUri !== undefined ? { artifactUri } : {}),
    ...(parentRunId !== undefined && parentRunId !== '' ? { parentRunId } : {}),
  };
  const doc: RunDoc = { info: runInfo, params, tags, metricKeys: [...keys], latestMetrics };
  if (run.inputs !== undefined && run.inputs !== null && typeof run.inputs === 'object') {
    doc.inputs = parseInputs(run.inputs);
  }
  return doc;
}

export function parseInputs(value: unknown): DatasetInput[] {
  const out: DatasetInput[] = [];
  for (const item of asArray(asRecord(value).dataset_inputs)) {
    const rec = asRecord(item);
    out.push({
      dataset: datasetFromFields(asRecord(rec.dataset), toStr),
      tags: toKeyValues(rec.tags),
    });
  }
  return out;
}

export interface SearchRunsRequest {
  experimentId: string;
  filter?: string;
  viewType: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  pageSize: number;
  /** searchRunEntries also gives each run's text as the server sent it (a pass over each page). */
  withText?: boolean;
}

/**
 * runs/search over one experiment, every page, oldest first (start_time ASC; the server breaks
 * ties by run id), each run once even when pages shift under concurrent writes.
 */
export async function* searchRuns(
  client: MlflowHttpClient,
  workspace: string,
  request: SearchRunsRequest,
): AsyncGenerator<RunDoc> {
  for await (const [doc] of searchRunEntries(client, workspace, request)) yield doc;
}

/**
 * searchRuns, each run also as the server's JSON object it was read from and, when found, that
 * object's text as the server sent it (raw-items.ts). The next page is asked
 * for as soon as a page is parsed, before its runs are handed on: the server prepares page N+1
 * while the caller works through page N (at most two pages are held).
 */
export async function* searchRunEntries(
  client: MlflowHttpClient,
  workspace: string,
  request: SearchRunsRequest,
): AsyncGenerator<[RunDoc, unknown, string | undefined]> {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  const page = (pageToken: string | undefined): Promise<SearchPage> => {
    const body: Record<string, unknown> = {
      experiment_ids: [request.experimentId],
      run_view_type: request.viewType,
      max_results: request.pageSize,
      order_by: ['attributes.start_time ASC'],
    };
    if (request.filter !== undefined && request.filter.trim() !== '') body.filter = request.filter;
    if (pageToken !== undefined) body.page_token = pageToken;
    const answer = client
      .text({ method: 'POST', path: PATHS.runsSearch, json: JSON.stringify(body), what: 'runs/search', ...(workspace ? { workspace } : {}) })
      .then((text) => searchPage(client, text, request.withText ?? false));
    // A caller that stops early never awaits the page asked for ahead: its failure is not an error.
    answer.catch(() => undefined);
    return answer;
  };
  let pending: Promise<SearchPage> | undefined = page(undefined);
  while (pending !== undefined) {
    const { doc, text, spans } = await pending;
    pending = undefined;
    const runs = asArray(doc.runs);
    const next = toStr(doc.next_page_token);
    if (next && !tokens.has(next) && runs.length > 0) {
      tokens.add(next);
      pending = page(next);
    }
    const raw = spans !== undefined && spans.length === runs.length ? spans : undefined;
    for (let index = 0; index < runs.length; index++) {
      const item = runs[index];
      const run = parseRun(item);
      if (run.info.runId === '' || seen.has(run.info.runId)) continue;
      seen.add(run.info.runId);
      const span = raw?.[index];
      yield [run, item, span ? text.slice(span[0], span[1]) : undefined];
    }
  }
}

interface SearchPage {
  doc: Record<string, unknown>;
  text: string;
  /** Where each run's object lies in `text` (raw-items.ts); undefined when the text was not of that shape. */
  spans: Array<[number, number]> | undefined;
}

/** A runs/search answer parsed like MlflowHttpClient.json does, with the place of each run in its text. */
function searchPage(client: MlflowHttpClient, text: string, withText: boolean): SearchPage {
  if (text.trim() === '') return { doc: {}, text, spans: [] };
  let doc: Record<string, unknown>;
  try {
    doc = asRecord(parseJson(text));
  } catch {
    throw new UnreachableError(`${client.displayUri} answered runs/search with something that is not JSON: is this an MLflow tracking server?`);
  }
  return { doc, text, spans: withText ? arrayItemSpans(text, 'runs') : undefined };
}
