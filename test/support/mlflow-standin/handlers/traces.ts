/**
 * MLflow 3 trace endpoints (recorded: traces-start-v3, traces-search, traces-tags-links-delete,
 * traces-artifact-spans, traces-client-exchange, workspaces-genai): StartTraceV3 (an upsert that
 * merges into, and even moves, a trace with the same id), trace info reads, span reads
 * (/traces/get, /traces/batchGet: database spans only), search, tags, link-to-run, deletion,
 * the deprecated v2 info/search, and get-trace-artifact (database spans, else traces.json).
 */
import { assessmentsOf } from '../assessment-model.js';
import type { Ctx } from '../context.js';
import { MlflowError, notFound, SQLA_BACKGROUND } from '../errors.js';
import { json, text, type Reply } from '../http.js';
import { parseBody } from '../json.js';
import { pyRepr } from '../pyfmt.js';
import { fromRequestJson, pyDumps } from '../pyvalue.js';
import { type Router, API, API3 } from '../router.js';
import { makePageToken, parsePageToken } from '../search.js';
import { spanProtoJson, orderedSpans, traceDataText } from '../spans.js';
import type { Store } from '../store.js';
import { parseTraceFilter, traceComparator, traceMatches } from '../trace-search.js';
import { traceLinkedToPrompt } from './prompts.js';
import {
  ARTIFACT_LOCATION_TAG,
  findTrace,
  fullyExported,
  INFO_FINALIZED_KEY,
  MAX_TRACE_TAG_VALUE,
  parseDuration,
  parseTimestamp,
  spansInStore,
  traceArtifactLocation,
  traceInfoJson,
  traceInfoV2Json,
  tracesOf,
  type Trace,
} from '../trace-store.js';
import { badType, Fields, lengthLimit, MAX_ENTITY_KEY_LENGTH, missingValue } from '../validation.js';
import { cpSlice } from '../pyfmt.js';
import { proxiedPathOfUri } from '../workspaces.js';

const AJAX = ['/ajax-api/2.0/mlflow', '/ajax-api/3.0/mlflow'];
const SEARCH_DEFAULT = 100;
const SEARCH_MAX = 500;

const infoOf = (t: Trace, withMetadata = true) => traceInfoJson(t, assessmentsOf(t.assessments), withMetadata);
const stringMap = (v: unknown): Map<string, string> =>
  new Map(v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]) : []);
const strOrUndef = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A trace the caller's workspace can see, or the recorded 404. */
export function getTraceOr404(store: Store, ws: string, id: string): Trace {
  const t = findTrace(store, ws, id);
  if (!t) throw notFound(`Trace with ID '${id}' not found.`);
  return t;
}

function blankOutError(): MlflowError {
  const addr = '7f' + Math.floor(Math.random() * 0xffffffffff).toString(16).padStart(10, '0');
  return new MlflowError(
    'INTERNAL_ERROR',
    `Dependency rule on column 'trace_info.request_id' tried to blank-out primary key column 'trace_tags.request_id' on instance '<SqlTraceTag at 0x${addr}>'`,
  );
}

async function startTraceV3(ctx: Ctx): Promise<Reply> {
  const f = await ctx.fields();
  const trace = f.raw('trace');
  if (!trace || typeof trace !== 'object') throw missingValue('trace');
  const info = Fields.body((trace as Record<string, unknown>).trace_info);
  const location = Fields.body(info.raw('trace_location'));
  const expId = Fields.body(location.raw('mlflow_experiment')).str('experiment_id') ?? '';
  const { store } = ctx.state;
  const exp = store.getExperiment(ctx.ws, expId);
  const id = strOrUndef(info.raw('trace_id')) ?? '';
  const requestTimeMs = parseTimestamp(info.raw('request_time'), 'request_time');
  const durationMs = parseDuration(info.raw('execution_duration'), 'execution_duration');
  const state = strOrUndef(info.raw('state')) ?? 'STATE_UNSPECIFIED';
  const metadata = stringMap(info.raw('trace_metadata'));
  const tags = stringMap(info.raw('tags'));
  tags.set(ARTIFACT_LOCATION_TAG, traceArtifactLocation(exp, id));
  const requestPreview = strOrUndef(info.raw('request_preview'));
  const responsePreview = strOrUndef(info.raw('response_preview'));
  const clientRequestId = strOrUndef(info.raw('client_request_id'));

  const all = tracesOf(store).traces;
  const existing = all.get(id);
  if (existing) {
    // SQLAlchemy merge of the new row: the tag collection is replaced; one orphaned tag row
    // survives, two or more make the flush fail (traces-start-v3).
    const orphans = [...existing.tags.keys()].filter((k) => !tags.has(k));
    if (orphans.length >= 2) throw blankOutError();
    existing.experimentId = exp.id; // moves a trace of another workspace here (workspaces-genai)
    existing.requestTimeMs = requestTimeMs;
    existing.durationMs = durationMs;
    existing.state = state;
    existing.clientRequestId = clientRequestId;
    if (requestPreview !== undefined) existing.requestPreview = requestPreview;
    if (responsePreview !== undefined) existing.responsePreview = responsePreview;
    for (const [k, v] of metadata) existing.metadata.set(k, v);
    existing.metadata.set(INFO_FINALIZED_KEY, 'true');
    for (const [k, v] of tags) existing.tags.set(k, v);
    return json({ trace: { trace_info: infoOf(existing, false) } });
  }
  metadata.set(INFO_FINALIZED_KEY, 'true');
  const t: Trace = {
    id,
    experimentId: exp.id,
    requestTimeMs,
    durationMs,
    state,
    clientRequestId,
    requestPreview,
    responsePreview,
    metadata,
    tags,
    spans: new Map(),
    assessments: [],
    linkedRuns: new Set(),
  };
  all.set(id, t);
  return json({ trace: { trace_info: infoOf(t) } });
}

async function getTraceInfo(ctx: Ctx) {
  return json({ trace: { trace_info: infoOf(getTraceOr404(ctx.state.store, ctx.ws, ctx.params.trace_id!)) } });
}

async function getTraceInfoV2(ctx: Ctx) {
  return json({ trace_info: traceInfoV2Json(getTraceOr404(ctx.state.store, ctx.ws, ctx.params.request_id!)) });
}

async function batchGetInfos(ctx: Ctx) {
  const f = await ctx.fields();
  const infos = f
    .strList('trace_ids')
    .map((id) => findTrace(ctx.state.store, ctx.ws, id))
    .filter((t): t is Trace => !!t)
    .map((t) => infoOf(t));
  return json(infos.length ? { trace_infos: infos } : {});
}

const notStored = () => new MlflowError('INTERNAL_ERROR', 'Trace data not stored in tracking store');

function traceWithSpans(t: Trace): Record<string, unknown> {
  if (!spansInStore(t)) throw notStored();
  return { trace_info: infoOf(t), spans: orderedSpans(t.spans.values()).map(spanProtoJson) };
}

/**
 * GET /traces/get. Not recorded: with allow_partial false (the client's choice and the default
 * here) a trace holding fewer spans than its mlflow.trace.sizeStats num_spans is 404 "not fully
 * exported yet" at once (the real server retries for about 3 s before answering that).
 */
async function getTrace(ctx: Ctx) {
  const f = await ctx.fields();
  const id = f.str('trace_id', true)!;
  const t = findTrace(ctx.state.store, ctx.ws, id);
  if (!t) throw notFound(`Trace with ID ${id} is not found.`);
  const out = traceWithSpans(t);
  if (!f.bool('allow_partial') && !fullyExported(t)) throw notFound(`Trace with ID ${id} is not fully exported yet.`);
  return json({ trace: out });
}

/** GET /traces/batchGet?trace_ids=…: unknown and not fully exported traces are left out (not recorded). */
async function batchGet(ctx: Ctx) {
  const f = await ctx.fields();
  const traces = f
    .strList('trace_ids')
    .map((id) => findTrace(ctx.state.store, ctx.ws, id))
    .filter((t): t is Trace => !!t)
    .map((t) => ({ t, out: traceWithSpans(t) }))
    .filter(({ t }) => fullyExported(t))
    .map(({ out }) => out);
  return json(traces.length ? { traces } : {});
}

function searchPage(store: Store, ws: string, expIds: string[], filter: string | undefined, orderBy: string[], maxResults: number, pageToken: string | undefined) {
  const offset = parsePageToken(pageToken);
  const clauses = parseTraceFilter(filter);
  const cmp = traceComparator(orderBy);
  const wanted = new Set(expIds.filter((id) => store.experiments.get(id)?.workspace === ws));
  const linked = (traceId: string, nameSlashVersion: string) => traceLinkedToPrompt(store, traceId, nameSlashVersion);
  const hits = [...tracesOf(store).traces.values()].filter((t) => wanted.has(t.experimentId) && traceMatches(t, clauses, linked)).sort(cmp);
  const page = hits.slice(offset, offset + maxResults);
  // The token comes whenever the page is full, even when nothing follows (traces-search).
  return { page, next: page.length === maxResults && maxResults > 0 ? makePageToken(offset + maxResults) : undefined };
}

function maxResultsOf(f: Fields): number {
  const n = f.int('max_results') ?? SEARCH_DEFAULT;
  if (typeof n !== 'number' || n < 0 || n > SEARCH_MAX) throw badType('max_results', n);
  return n;
}

async function searchV3(ctx: Ctx) {
  const f = await ctx.fields();
  const locations = f.objList('locations');
  if (!f.has('locations') || locations.length === 0) throw missingValue('locations');
  const expIds = locations.map((l) => Fields.body(Fields.body(l).raw('mlflow_experiment')).str('experiment_id') ?? '');
  const { page, next } = searchPage(ctx.state.store, ctx.ws, expIds, f.str('filter'), f.strList('order_by'), maxResultsOf(f), f.str('page_token'));
  const out: Record<string, unknown> = {};
  if (page.length) out.traces = page.map((t) => infoOf(t));
  if (next) out.next_page_token = next;
  return json(out);
}

async function searchV2(ctx: Ctx) {
  const f = await ctx.fields();
  const expIds = f.strList('experiment_ids');
  const { page, next } = searchPage(ctx.state.store, ctx.ws, expIds, f.str('filter'), f.strList('order_by'), maxResultsOf(f), f.str('page_token'));
  const out: Record<string, unknown> = {};
  if (page.length) out.traces = page.map(traceInfoV2Json);
  if (next) out.next_page_token = next;
  return json(out);
}

function foreignKeyError(sql: string, params: unknown[]): MlflowError {
  return new MlflowError(
    'BAD_REQUEST',
    `(sqlite3.IntegrityError) FOREIGN KEY constraint failed\n[SQL: ${sql}]\n[parameters: (${params.map(pyRepr).join(', ')})]\n${SQLA_BACKGROUND}`,
  );
}

async function setTraceTag(ctx: Ctx) {
  const f = await ctx.fields();
  const key = f.str('key', true)!;
  lengthLimit('key', MAX_ENTITY_KEY_LENGTH, key);
  const value = cpSlice(f.str('value') ?? '', MAX_TRACE_TAG_VALUE);
  const id = ctx.params.trace_id!;
  const t = findTrace(ctx.state.store, ctx.ws, id);
  if (!t) throw foreignKeyError('INSERT INTO trace_tags ("key", value, request_id) VALUES (?, ?, ?)', [key, value, id]);
  t.tags.set(key, value);
  return json({});
}

/** DELETE …/tags takes its key from the JSON body only (a query parameter is not read). */
async function deleteTraceTag(ctx: Ctx) {
  const key = Fields.body(await ctx.rawJson()).str('key', true)!;
  const id = ctx.params.trace_id!;
  const t = findTrace(ctx.state.store, ctx.ws, id);
  if (!t || !t.tags.has(key)) throw notFound(`No trace tag with key '${key}' for trace with ID '${id}'`);
  t.tags.delete(key);
  return json({});
}

/** link-to-run: neither the run nor the trace ids are checked (traces-tags-links-delete). */
async function linkToRun(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = f.str('run_id', true)!;
  for (const id of f.strList('trace_ids')) findTrace(ctx.state.store, ctx.ws, id)?.linkedRuns.add(runId);
  return json({});
}

async function deleteTraces(ctx: Ctx) {
  const f = await ctx.fields();
  const { store } = ctx.state;
  const exp = store.getExperiment(ctx.ws, f.str('experiment_id', true)!);
  const ids = f.strList('request_ids');
  const maxTs = f.int('max_timestamp_millis');
  const maxTraces = f.int('max_traces');
  const inv = (m: string) => new MlflowError('INVALID_PARAMETER_VALUE', m);
  if (maxTs === undefined && ids.length === 0) throw inv('Either `max_timestamp_millis` or `trace_ids` must be specified.');
  if (maxTs !== undefined && ids.length) throw inv('Only one of `max_timestamp_millis` and `trace_ids` can be specified.');
  if (ids.length && maxTraces !== undefined) throw inv("`max_traces` can't be specified if `trace_ids` is specified.");
  if (maxTraces !== undefined && Number(maxTraces) <= 0) throw inv(`\`max_traces\` must be a positive integer, received ${String(maxTraces)}.`);
  const traceStore = tracesOf(store);
  const all = traceStore.traces;
  let victims: Trace[];
  if (ids.length) victims = ids.map((id) => all.get(id)).filter((t): t is Trace => !!t && t.experimentId === exp.id);
  else {
    victims = [...all.values()]
      .filter((t) => t.experimentId === exp.id && t.requestTimeMs <= Number(maxTs))
      .sort((a, b) => a.requestTimeMs - b.requestTimeMs);
    if (maxTraces !== undefined) victims = victims.slice(0, Number(maxTraces));
  }
  for (const t of victims) traceStore.deleteTrace(t.id);
  return json({ traces_deleted: victims.length });
}

/** get-trace-artifact (/ajax-api only): database spans first, else the traces.json artifact re-serialised. */
async function getTraceArtifact(ctx: Ctx) {
  const id = ctx.query.get('request_id')?.[0];
  if (!id) throw new MlflowError('BAD_REQUEST', 'Request must include the "request_id" query parameter.');
  const t = findTrace(ctx.state.store, ctx.ws, id);
  if (!t) throw notFound(`Trace with ID ${id} is not found.`);
  const headers = { 'Content-Disposition': 'attachment; filename=traces.json' };
  if (t.spans.size) return text(200, traceDataText(t.spans.values()), 'text/plain', headers);
  const { artifacts } = ctx.state;
  const rel = `${proxiedPathOfUri(t.tags.get(ARTIFACT_LOCATION_TAG) ?? '') ?? ''}/traces.json`;
  const missing = () => new MlflowError('NOT_FOUND', `Trace data not found for path=${artifacts.root}/${rel}`);
  const kind = await artifacts.kind(rel).catch(() => undefined);
  if (!kind || kind.isDir) throw missing();
  const parsed = parseBody(await artifacts.readText(rel));
  if (parsed === undefined) throw missing();
  return text(200, pyDumps(fromRequestJson(parsed)), 'text/plain', headers);
}

export function registerTraces(r: Router): void {
  r.add(API3, '/traces', ['POST'], 'traces/start-v3', startTraceV3);
  r.add(API3, '/traces/<trace_id>', ['GET'], 'traces/get-info', getTraceInfo);
  r.add(API3, '/traces/batchGetInfos', ['POST'], 'traces/batch-get-infos', batchGetInfos);
  r.add(API3, '/traces/get', ['GET'], 'traces/get', getTrace);
  r.add(API3, '/traces/batchGet', ['GET'], 'traces/batch-get', batchGet);
  r.add(API3, '/traces/search', ['POST'], 'traces/search', searchV3);
  r.add(API3, '/traces/<trace_id>/tags', ['PATCH'], 'traces/set-tag', setTraceTag);
  r.add(API3, '/traces/<trace_id>/tags', ['DELETE'], 'traces/delete-tag', deleteTraceTag);
  r.add([...API, ...API3], '/traces/delete-traces', ['POST'], 'traces/delete', deleteTraces);
  r.add(API, '/traces/link-to-run', ['POST'], 'traces/link-to-run', linkToRun);
  r.add(API, '/traces/<request_id>/info', ['GET'], 'traces/get-info-v2', getTraceInfoV2);
  r.add(API, '/traces', ['GET'], 'traces/search-v2', searchV2);
  r.add(AJAX, '/get-trace-artifact', ['GET'], 'traces/get-artifact', getTraceArtifact);
}
