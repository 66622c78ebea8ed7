/**
 * Endpoint paths and the parsing of MLflow entities (experiments, runs) into the canonical model.
 */
import type { DatasetInput, KeyValue, MetricPoint, RunInfo } from '../../model/run.js';
import { isRunStatus } from '../../model/run.js';
import type { ProjectRef } from '../../model/project-ref.js';
import { NotFoundError, UnreachableError } from '../../util/errors.js';
import { arrayItemSpans } from './raw-items.js';
import { readTags, scanSearchPage, TagKeys } from './page-scan.js';
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
  const doc: RunDoc = { info: parseRunInfo(run.info, tags), params, tags, metricKeys: [...keys], latestMetrics };
  if (run.inputs !== undefined && run.inputs !== null && typeof run.inputs === 'object') {
    doc.inputs = parseInputs(run.inputs);
  }
  return doc;
}

/** A run's info object; its tags give the name when the info has none, and the parent. */
export function parseRunInfo(value: unknown, tags: readonly KeyValue[]): RunInfo {
  const info = asRecord(value);
  const runId = toStr(info.run_id) ?? toStr(info.run_uuid) ?? '';
  const name = toStr(info.run_name) ?? tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  const user = toStr(info.user_id);
  const startTime = toMillis(info.start_time);
  const endTime = toMillis(info.end_time);
  const experimentId = toStr(info.experiment_id);
  const artifactUri = toStr(info.artifact_uri);
  const parentRunId = tags.find((t) => t.key === PARENT_TAG)?.value;
  const status = isRunStatus(info.status) ? info.status : 'RUNNING';
  return {
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
  /**
   * The tags the caller reads of each run, besides the run name and parent tags the run's info
   * takes (ListedRun.tags holds only these): the others are skipped, not decoded.
   */
  tagKeys: readonly string[];
}

/** What a listing reads of a run: its info and the tags asked for (the rest waits until it is opened). */
export type ListedRun = Pick<RunDoc, 'info' | 'tags'>;

/** A listed run with the server's JSON object for it. */
export interface ListedRunEntry {
  run: ListedRun;
  /**
   * The run's JSON object as the server sent it: bytes (a view into the page) when the page was
   * scanned (page-scan.ts), text when it was parsed whole and the run's place in it was found.
   */
  text?: Buffer | string;
  /** The parsed object, only when `text` could not be had. */
  item?: unknown;
}

/**
 * runs/search over one experiment, every page, oldest first (start_time ASC; the server breaks
 * ties by run id), each run once even when pages shift under concurrent writes.
 */
export async function* searchRuns(
  client: MlflowHttpClient,
  workspace: string,
  request: SearchRunsRequest,
): AsyncGenerator<ListedRun> {
  for await (const entry of searchRunEntries(client, workspace, request)) yield entry.run;
}

/**
 * searchRuns, each run also with its JSON object as the server sent it. The next page is asked
 * for as soon as a page is read, before its runs are handed on: the server prepares page N+1
 * while the caller works through page N (at most two pages are held).
 */
export async function* searchRunEntries(
  client: MlflowHttpClient,
  workspace: string,
  request: SearchRunsRequest,
): AsyncGenerator<ListedRunEntry> {
  const seen = new Set<string>();
  const tokens = new Set<string>();
  const tagKeys = new TagKeys(new Set([RUN_NAME_TAG, PARENT_TAG, ...request.tagKeys]));
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
      .bytes({ method: 'POST', path: PATHS.runsSearch, json: JSON.stringify(body), what: 'runs/search', ...(workspace ? { workspace } : {}) })
      .then((bytes) => searchPage(client, bytes, tagKeys));
    // A caller that stops early never awaits the page asked for ahead: its failure is not an error.
    answer.catch(() => undefined);
    return answer;
  };
  let pending: Promise<SearchPage> | undefined = page(undefined);
  while (pending !== undefined) {
    const { entries, next } = await pending;
    pending = undefined;
    if (next && !tokens.has(next) && entries.length > 0) {
      tokens.add(next);
      pending = page(next);
    }
    for (const entry of entries) {
      const runId = entry.run.info.runId;
      if (runId === '' || seen.has(runId)) continue;
      seen.add(runId);
      yield entry;
    }
  }
}

interface SearchPage {
  entries: ListedRunEntry[];
  next: string | undefined;
}

const notJson = (client: MlflowHttpClient) =>
  new UnreachableError(`${client.displayUri} answered runs/search with something that is not JSON: is this an MLflow tracking server?`);

/**
 * A runs/search answer: scanned (page-scan.ts), so that of each run only its info and tags are
 * parsed, or, when the page is not of the shape the scan knows, parsed whole.
 */
function searchPage(client: MlflowHttpClient, bytes: Buffer, tagKeys: TagKeys): SearchPage {
  const scanned = scanSearchPage(bytes);
  if (!scanned) return parsedSearchPage(client, pageText(bytes), tagKeys);
  const entries: ListedRunEntry[] = [];
  try {
    for (const found of scanned.runs) {
      // The info is small and flat: JSON.parse reads it faster than any scanner written in JS.
      const info = found.info === undefined ? {} : parseFlatObject(bytes.toString('utf8', found.info[0], found.info[1]));
      const tags = found.tags === undefined ? [] : readTags(bytes, found.tags, tagKeys, parseJson);
      if (tags === undefined) throw new SyntaxError('not a tags list');
      const tagList = toKeyValues(tags);
      entries.push({ run: { info: parseRunInfo(info, tagList), tags: tagList }, text: bytes.subarray(found.text[0], found.text[1]) });
    }
    const next = scanned.nextPageToken;
    return { entries, next: next === undefined ? undefined : toStr(parseJson(bytes.toString('utf8', next[0], next[1]))) };
  } catch {
    // A run the scan found but cannot read (a value that is not JSON, an info of another shape):
    // the whole page the ordinary way, which says what is wrong with it.
    return parsedSearchPage(client, pageText(bytes), tagKeys);
  }
}

/** The page as text, decoded as undici's body.text() does (a leading byte order mark dropped). */
function pageText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * A flat object (a run's info) by JSON.parse, which rounds an integer beyond 2^53: one that came
 * out unsafe has its text parsed again the big-integer-safe way (cheaper than looking for long
 * integers in every info first).
 */
function parseFlatObject(text: string): unknown {
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object') return parsed;
  for (const value of Object.values(parsed)) {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return parseJson(text);
    if (value !== null && typeof value === 'object') return parseJson(text); // not flat: the careful way
  }
  return parsed;
}

/** A runs/search answer parsed whole, with the place of each run in its text when found (raw-items.ts). */
function parsedSearchPage(client: MlflowHttpClient, text: string, tagKeys: TagKeys): SearchPage {
  if (text.trim() === '') return { entries: [], next: undefined };
  let doc: Record<string, unknown>;
  try {
    doc = asRecord(parseJson(text));
  } catch {
    throw notJson(client);
  }
  const runs = asArray(doc.runs);
  const found = arrayItemSpans(text, 'runs');
  const spans = found !== undefined && found.length === runs.length ? found : undefined;
  const entries = runs.map((item, index): ListedRunEntry => {
    const span = spans?.[index];
    const run = parseRun(item);
    return { run: { info: run.info, tags: run.tags.filter((tag) => tagKeys.keys.has(tag.key)) }, ...(span ? { text: text.slice(span[0], span[1]) } : { item }) };
  });
  return { entries, next: toStr(doc.next_page_token) };
}
