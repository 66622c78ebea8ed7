/** runs/* endpoints (create, get, update, delete, restore, tags, params, metrics, log-batch, search). */
import type { Ctx } from '../context.js';
import { json, jsonText } from '../http.js';
import { stringify } from '../json.js';
import { containsBare, StopWalker } from '../proto.js';
import { runInfoJson, runJson } from '../runjson.js';
import { type Router, API } from '../router.js';
import {
  createRun,
  deleteTag,
  getRun,
  logBatch,
  logParam,
  RUN_STATUSES,
  searchRuns,
  setRunLifecycle,
  setTag,
  updateRun,
  validateParam,
  validateTag,
  type MetricIn,
} from '../runstore.js';
import { makePageToken, parsePageToken } from '../search.js';
import { badType, keyValues, missingValue, SEARCH_MAX_RESULTS_THRESHOLD, type Fields } from '../validation.js';
import { viewType } from './experiments.js';

/** run_id, or the deprecated run_uuid. */
export function runIdOf(f: Fields): string {
  return f.str('run_id') || f.str('run_uuid') || (() => {
    throw missingValue('run_id');
  })();
}

async function create(ctx: Ctx) {
  const f = await ctx.fields();
  const run = createRun(ctx.state.store, ctx.ws, {
    experimentId: f.str('experiment_id'),
    userId: f.str('user_id') ?? '',
    runName: f.str('run_name'),
    startTime: f.int('start_time') ?? 0,
    tags: keyValues(f.objList('tags'), 'tags'),
  });
  return json({ run: runJson(run, false) });
}

async function get(ctx: Ctx) {
  const f = await ctx.fields();
  return json({ run: runJson(getRun(ctx.state.store, ctx.ws, runIdOf(f)), true) });
}

function parseStatus(v: unknown): string | undefined {
  if (typeof v === 'string' && RUN_STATUSES.includes(v)) return v;
  if (typeof v === 'number' && v >= 1 && v <= 5) return RUN_STATUSES[v - 1];
  return undefined; // unknown enum value: ignored, status unchanged (runs-update)
}

async function update(ctx: Ctx) {
  const f = await ctx.fields();
  const run = getRun(ctx.state.store, ctx.ws, runIdOf(f));
  updateRun(run, parseStatus(f.raw('status')), f.int('end_time'), f.str('run_name'));
  return json({ run_info: runInfoJson(run) });
}

async function lifecycle(ctx: Ctx, to: 'active' | 'deleted') {
  const f = await ctx.fields();
  setRunLifecycle(ctx.state.store, getRun(ctx.state.store, ctx.ws, runIdOf(f)), to);
  return json({});
}

async function setTagH(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  const tag = validateTag({ key: f.str('key', true)!, value: f.str('value') ?? '' }, '');
  setTag(getRun(ctx.state.store, ctx.ws, runId), tag);
  return json({});
}

async function deleteTagH(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  deleteTag(getRun(ctx.state.store, ctx.ws, runId), f.str('key', true)!);
  return json({});
}

async function logParameter(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  const p = validateParam({ key: f.str('key', true)!, value: f.str('value') ?? '' }, '');
  logParam(getRun(ctx.state.store, ctx.ws, runId), p);
  return json({});
}

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

async function logMetric(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  for (const k of ['key', 'value', 'timestamp']) if (!present(f.raw(k))) throw missingValue(k);
  const m = new StopWalker().metric(f.src as Record<string, unknown>);
  logBatch(ctx.state.store, ctx.ws, runId, { metrics: [m], params: [], tags: [] });
  return json({});
}

async function batch(ctx: Ctx) {
  const f = await ctx.fields();
  const body = f.src as Record<string, unknown>;
  const runId = f.str('run_id', true)!;
  for (const name of ['metrics', 'params', 'tags']) {
    const v = f.raw(name);
    if (v !== undefined && !Array.isArray(v)) throw badType(name, v);
  }
  f.objList('metrics').forEach((m, i) => {
    for (const k of ['key', 'value', 'timestamp']) if (!present(m[k])) throw missingValue(`metrics[${i}].${k}`);
  });
  for (const name of ['params', 'tags'])
    f.objList(name).forEach((e, i) => {
      if (!present(e.key)) throw missingValue(`${name}[${i}].key`);
    });
  // protobuf conversion in JSON order, stopping at the first unconvertible value
  const w = new StopWalker();
  let metrics: MetricIn[] = [];
  let params: ReturnType<StopWalker['kv']>[] = [];
  let tags: ReturnType<StopWalker['kv']>[] = [];
  for (const [k, v] of Object.entries(body)) {
    if (w.stopped) break;
    if (k === 'metrics') metrics = w.list(v, (o) => w.metric(o));
    else if (k === 'params') params = w.list(v, (o) => w.kv(o));
    else if (k === 'tags') tags = w.list(v, (o) => w.kv(o));
    else if (containsBare(v)) w.stopped = true;
  }
  logBatch(ctx.state.store, ctx.ws, runId, { metrics, params, tags });
  return json({});
}

async function search(ctx: Ctx) {
  const f = await ctx.fields();
  const max = f.has('max_results') ? Number(f.int('max_results')) : 1000;
  if (max > SEARCH_MAX_RESULTS_THRESHOLD) throw badType('max_results', f.int('max_results'));
  const { runs, next } = searchRuns(ctx.state.store, ctx.ws, {
    experimentIds: f.strList('experiment_ids'),
    filter: f.str('filter'),
    viewType: viewType(f, 'run_view_type'),
    maxResults: max,
    orderBy: f.strList('order_by'),
    offset: parsePageToken(f.str('page_token')),
  });
  // built as text: runs can carry many params/tags
  const parts: string[] = [];
  if (runs.length) parts.push('"runs":[' + runs.map((r) => stringify(runJson(r, true, false))).join(',') + ']');
  if (next !== undefined) parts.push('"next_page_token":' + JSON.stringify(makePageToken(next)));
  return jsonText('{' + parts.join(',') + '}');
}

export function registerRuns(r: Router): void {
  r.add(API, '/runs/create', ['POST'], 'runs/create', create);
  r.add(API, '/runs/get', ['GET'], 'runs/get', get);
  r.add(API, '/runs/update', ['POST'], 'runs/update', update);
  r.add(API, '/runs/delete', ['POST'], 'runs/delete', (c) => lifecycle(c, 'deleted'));
  r.add(API, '/runs/restore', ['POST'], 'runs/restore', (c) => lifecycle(c, 'active'));
  r.add(API, '/runs/set-tag', ['POST'], 'runs/set-tag', setTagH);
  r.add(API, '/runs/delete-tag', ['POST'], 'runs/delete-tag', deleteTagH);
  r.add(API, '/runs/log-parameter', ['POST'], 'runs/log-parameter', logParameter);
  r.add(API, '/runs/log-metric', ['POST'], 'runs/log-metric', logMetric);
  r.add(API, '/runs/log-batch', ['POST'], 'runs/log-batch', batch);
  r.add(API, '/runs/search', ['POST'], 'runs/search', search);
}

