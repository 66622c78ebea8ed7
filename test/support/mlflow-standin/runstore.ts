/**
 * Run-level rules of the SQL tracking store: create (name rules), update, soft delete, tags,
 * params (write-once), log-batch (validation order, limits, atomic apply), history paging,
 * search. JSON shapes of runs are built in runjson.ts.
 */
import { invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from './errors.js';
import type { Int64 } from './json.js';
import { Series } from './metrics.js';
import { newRunId, randomRunName } from './names.js';
import { pyFloatRepr, pyRepr } from './pyfmt.js';
import { compareVals, type Clause, matches, parseFilter, parseOrderBy, type SortVal } from './search.js';
import type { Run, Store } from './store.js';
import {
  invalidValue,
  joinPath,
  lengthLimit,
  MAX_ENTITIES_PER_BATCH,
  MAX_ENTITY_KEY_LENGTH,
  MAX_METRICS_PER_BATCH,
  MAX_PARAM_VAL_LENGTH,
  MAX_PARAMS_TAGS_PER_BATCH,
  MAX_TAG_VAL_LENGTH,
  validateEntityName,
} from './validation.js';

export const RUN_NAME_TAG = 'mlflow.runName';
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

export interface KV {
  key: string;
  value: string;
}

export interface MetricIn {
  key: string;
  value: number;
  ts: Int64;
  step: Int64;
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;

export function validateRunId(runId: string): void {
  if (!RUN_ID_RE.test(runId)) throw invalidParam(`Invalid value ${JSON.stringify(runId)} for parameter 'run_id' supplied.`);
}

export function getRun(store: Store, ws: string, runId: string): Run {
  const r = store.runs.get(runId);
  if (!r || store.workspaceOfRun(r) !== ws) throw notFound(`Run with id=${runId} not found`);
  return r;
}

export function checkRunActive(r: Run): void {
  if (r.lifecycle !== 'active')
    throw invalidParam(`The run ${r.id} must be in the 'active' state. Current state is ${r.lifecycle}.`);
}

// ---------------------------------------------------------------- validators with paths

export function validateTag(t: KV, path: string): KV {
  validateEntityName(t.key, joinPath(path, 'key'));
  return {
    key: lengthLimit(joinPath(path, 'key'), MAX_ENTITY_KEY_LENGTH, t.key),
    value: lengthLimit(joinPath(path, 'value'), MAX_TAG_VAL_LENGTH, t.value, true),
  };
}

export function validateParam(p: KV, path: string): KV {
  validateEntityName(p.key, joinPath(path, 'key'));
  return {
    key: lengthLimit('Param key', MAX_ENTITY_KEY_LENGTH, p.key),
    value: lengthLimit('Param value', MAX_PARAM_VAL_LENGTH, p.value, true),
  };
}

export function validateMetric(m: MetricIn, path: string): void {
  validateEntityName(m.key, joinPath(path, 'name'));
  if (m.ts < 0)
    throw invalidValue(
      joinPath(path, 'timestamp'),
      m.ts,
      `metric '${m.key}' (value=${pyFloatRepr(m.value)}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  if (m.key.length > MAX_ENTITY_KEY_LENGTH) lengthLimit('Metric name', MAX_ENTITY_KEY_LENGTH, m.key);
}

// ---------------------------------------------------------------- create / update / delete

export interface CreateRunReq {
  experimentId: string | undefined;
  userId: string;
  runName: string | undefined;
  startTime: Int64;
  tags: KV[];
}

export function createRun(store: Store, ws: string, req: CreateRunReq): Run {
  const exp = store.getExperiment(ws, req.experimentId || '0');
  store.checkExperimentActive(exp);
  const id = newRunId();
  const tags = new Map<string, string>();
  for (const t of req.tags) tags.set(t.key, t.value);
  const nameTag = req.tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (req.runName && nameTag && req.runName !== nameTag)
    throw invalidParam(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${req.runName}', mlflow.runName='${nameTag}').`,
    );
  const name = req.runName || nameTag || randomRunName();
  if (!nameTag) tags.set(RUN_NAME_TAG, name);
  const artifactUri = `${exp.artifactLocation}/${id}/artifacts`;
  if (!req.experimentId) {
    // The store looks up experiment "0" but inserts experiment_id '' -> foreign key failure.
    throw new MlflowError(
      'BAD_REQUEST',
      '(raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n' +
        '(sqlite3.IntegrityError) FOREIGN KEY constraint failed\n' +
        '[SQL: INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, deleted_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]\n' +
        `[parameters: (${pyRepr(id)}, ${pyRepr(name)}, 'UNKNOWN', '', '', ${pyRepr(req.userId)}, 'RUNNING', ${pyRepr(req.startTime)}, None, None, '', 'active', ${pyRepr(artifactUri)}, '')]\n` +
        SQLA_BACKGROUND,
    );
  }
  const run: Run = {
    id,
    experimentId: exp.id,
    name,
    userId: req.userId,
    status: 'RUNNING',
    startTime: req.startTime,
    lifecycle: 'active',
    artifactUri,
    params: new Map(),
    tags,
    metrics: new Map(),
    datasetInputs: [],
    modelInputs: [],
    modelOutputs: [],
  };
  store.runs.set(id, run);
  return run;
}

export function renameRun(run: Run, name: string): void {
  run.name = name;
  run.tags.set(RUN_NAME_TAG, name);
}

export function updateRun(run: Run, status: string | undefined, endTime: Int64 | undefined, runName: string | undefined): void {
  checkRunActive(run);
  if (status !== undefined) run.status = status;
  if (endTime !== undefined) run.endTime = endTime;
  if (runName) renameRun(run, runName);
}

export function setRunLifecycle(store: Store, run: Run, to: 'active' | 'deleted'): void {
  run.lifecycle = to;
  run.deletedTime = to === 'deleted' ? store.now() : undefined;
}

export function setTag(run: Run, tag: KV): void {
  checkRunActive(run);
  if (tag.key === RUN_NAME_TAG) renameRun(run, tag.value);
  else run.tags.set(tag.key, tag.value);
}

export function deleteTag(run: Run, key: string): void {
  checkRunActive(run);
  if (!run.tags.has(key)) throw notFound(`No tag with name: ${key} in run with id ${run.id}`);
  run.tags.delete(key);
}

export function logParam(run: Run, p: KV): void {
  checkRunActive(run);
  const old = run.params.get(p.key);
  if (old === undefined) run.params.set(p.key, p.value);
  else if (old !== p.value)
    throw invalidParam(
      `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${run.id}'. Attempted logging new value '${p.value}'.`,
    );
}

// ---------------------------------------------------------------- log-batch

export interface BatchReq {
  metrics: MetricIn[];
  params: KV[];
  tags: KV[];
}

/** SqlAlchemyStore.log_batch: validate everything, then write params, metrics, tags (all or nothing). */
export function logBatch(store: Store, ws: string, runId: string, req: BatchReq): void {
  validateRunId(runId);
  req.metrics.forEach((m, i) => validateMetric(m, `metrics[${i}]`));
  const params = req.params.map((p, i) => validateParam(p, `params[${i}]`));
  const tags = req.tags.map((t, i) => validateTag(t, `tags[${i}]`));
  const nm = req.metrics.length;
  const np = params.length;
  const nt = tags.length;
  if (nm > MAX_METRICS_PER_BATCH)
    throw invalidParam(
      `A batch logging request can contain at most ${MAX_METRICS_PER_BATCH} metrics. Got ${nm} metrics. Please split up metrics across multiple requests and try again.`,
    );
  if (np > MAX_PARAMS_TAGS_PER_BATCH)
    throw invalidParam(
      `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} params. Got ${np} params. Please split up params across multiple requests and try again.`,
    );
  if (nt > MAX_PARAMS_TAGS_PER_BATCH)
    throw invalidParam(
      `A batch logging request can contain at most ${MAX_PARAMS_TAGS_PER_BATCH} tags. Got ${nt} tags. Please split up tags across multiple requests and try again.`,
    );
  if (nm + np + nt > MAX_ENTITIES_PER_BATCH)
    throw invalidParam(
      `A batch logging request can contain at most ${MAX_ENTITIES_PER_BATCH} metrics, params, and tags. Got ${nm + np + nt} metrics, params, and tags. Please split up metrics, params, and tags across multiple requests and try again.`,
    );
  const counts = new Map<string, number>();
  for (const p of params) counts.set(p.key, (counts.get(p.key) ?? 0) + 1);
  const dups = [...counts].filter(([, c]) => c > 1).map(([k]) => k);
  if (dups.length)
    throw invalidParam(
      `Duplicate parameter keys have been submitted: ${pyRepr(dups)}. Please ensure the request contains only one param value per param key.`,
    );
  const run = getRun(store, ws, runId);
  checkRunActive(run);
  const conflicts = params
    .filter((p) => run.params.has(p.key) && run.params.get(p.key) !== p.value)
    .map((p) => ({ key: p.key, old_value: run.params.get(p.key)!, new_value: p.value }));
  if (conflicts.length)
    throw invalidParam(
      `Changing param values is not allowed. Params were already logged='${pyRepr(conflicts)}' for run ID='${run.id}'.`,
    );
  for (const p of params) if (!run.params.has(p.key)) run.params.set(p.key, p.value);
  for (const m of req.metrics) {
    let s = run.metrics.get(m.key);
    if (!s) run.metrics.set(m.key, (s = new Series(m.key)));
    s.add(m.ts, m.step, m.value);
    if (m.modelId) linkModelMetric(store, run, m);
  }
  for (const t of tags) {
    if (t.key === RUN_NAME_TAG) renameRun(run, t.value);
    else run.tags.set(t.key, t.value);
  }
}

function linkModelMetric(store: Store, run: Run, m: MetricIn): void {
  const model = store.models.get(m.modelId!);
  if (!model) return;
  const sig = `${m.key}\u0000${m.ts}\u0000${m.step}\u0000${m.value}\u0000${m.datasetName ?? ''}\u0000${m.datasetDigest ?? ''}`;
  if (model.metricKeys.has(sig)) return;
  model.metricKeys.add(sig);
  model.metrics.push({ key: m.key, value: m.value, ts: m.ts, step: m.step, runId: run.id, datasetName: m.datasetName, datasetDigest: m.datasetDigest });
}

// ---------------------------------------------------------------- metric history

/**
 * 3.11 get_metric_history paging: LIMIT max_results+1 OFFSET offset, a next token when more rows
 * came back than max_results (so a missing max_results = 0 answers no metrics and token offset 0).
 */
export function historyPage(
  store: Store,
  ws: string,
  runId: string,
  key: string,
  maxResults: number,
  offset: number,
): { items: string[]; next?: number } {
  const r = store.runs.get(runId);
  const s = r && store.workspaceOfRun(r) === ws ? r.metrics.get(key) : undefined;
  const total = s ? s.size() : 0;
  const start = Math.max(0, offset);
  const limit = maxResults + 1;
  const end = limit < 0 ? total : Math.min(total, start + limit);
  const fetched = Math.max(0, end - start);
  if (fetched > maxResults) {
    const keep = maxResults >= 0 ? maxResults : Math.max(0, fetched + maxResults);
    return { items: s ? s.jsonRange(start, start + keep) : [], next: offset + maxResults };
  }
  return { items: s ? s.jsonRange(start, end) : [] };
}

// ---------------------------------------------------------------- search

const RUN_ATTRS = ['run_id', 'experiment_id', 'run_name', 'status', 'user_id', 'start_time', 'end_time', 'artifact_uri', 'lifecycle_stage', 'created', 'Created'];

function runAttr(r: Run, key: string): SortVal {
  switch (key) {
    case 'run_id':
      return r.id;
    case 'experiment_id':
      return r.experimentId;
    case 'run_name':
      return r.name;
    case 'status':
      return r.status;
    case 'user_id':
      return r.userId;
    case 'start_time':
    case 'created':
    case 'Created':
      return r.startTime;
    case 'end_time':
      return r.endTime;
    case 'artifact_uri':
      return r.artifactUri;
    case 'lifecycle_stage':
      return r.lifecycle;
    default:
      throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '${JSON.stringify(RUN_ATTRS)}'`);
  }
}

function runValue(r: Run, type: Clause['type'], key: string): SortVal {
  switch (type) {
    case 'attribute':
      return runAttr(r, key);
    case 'param':
      return r.params.get(key);
    case 'tag':
      return r.tags.get(key);
    case 'metric': {
      const v = r.metrics.get(key)?.latest?.value;
      return v === undefined || Number.isNaN(v) ? undefined : v;
    }
    default:
      return undefined;
  }
}

function matchRun(r: Run, c: Clause): boolean {
  if (c.type === 'dataset') {
    return r.datasetInputs.some((d) => matches(c.key === 'digest' ? d.digest : c.key === 'context' ? d.tags.find((t) => t.key === 'mlflow.data.context')?.value : d.name, c));
  }
  if (c.type === 'attribute' && c.key !== 'start_time' && c.key !== 'end_time' && typeof c.value === 'number' && !['created', 'Created'].includes(c.key))
    throw invalidParam(`Invalid attribute key '${c.key}' specified for a numeric comparison.`);
  return matches(runValue(r, c.type, c.key) as string | number | bigint | undefined, c);
}

export interface SearchRunsReq {
  experimentIds: string[];
  filter?: string;
  viewType: string;
  maxResults: number;
  orderBy: string[];
  offset: number;
}

export function searchRuns(store: Store, ws: string, req: SearchRunsReq): { runs: Run[]; next?: number } {
  const clauses = parseFilter(req.filter);
  const orders = req.orderBy.map(parseOrderBy);
  if (!orders.some((o) => o.type === 'attribute' && (o.key === 'start_time' || o.key === 'created')))
    orders.push({ type: 'attribute', key: 'start_time', asc: false });
  orders.push({ type: 'attribute', key: 'run_id', asc: true });
  const exps = new Set(req.experimentIds.filter((id) => store.experiments.get(id)?.workspace === ws));
  const stages = req.viewType === 'ALL' ? ['active', 'deleted'] : req.viewType === 'DELETED_ONLY' ? ['deleted'] : ['active'];
  const hits = [...store.runs.values()].filter(
    (r) => exps.has(r.experimentId) && stages.includes(r.lifecycle) && clauses.every((c) => matchRun(r, c)),
  );
  hits.sort((a, b) => {
    for (const o of orders) {
      const c = compareVals(runValue(a, o.type, o.key), runValue(b, o.type, o.key), o.asc);
      if (c) return c;
    }
    return 0;
  });
  // SQL: OFFSET n LIMIT m (a negative LIMIT means no limit)
  const start = Math.max(0, req.offset);
  const page = req.maxResults < 0 ? hits.slice(start) : hits.slice(start, start + req.maxResults);
  return { runs: page, next: page.length === req.maxResults ? req.offset + req.maxResults : undefined };
}
