/** experiments/* endpoints. */
import type { Ctx } from '../context.js';
import { invalidParam, notFound } from '../errors.js';
import { json } from '../http.js';
import { experimentJson } from '../runjson.js';
import { type Router, API } from '../router.js';
import { compareVals, makePageToken, matches, parseFilter, parseOrderBy, parsePageToken, type SortVal } from '../search.js';
import type { Experiment } from '../store.js';
import {
  keyValues,
  lengthLimit,
  MAX_ENTITY_KEY_LENGTH,
  MAX_EXPERIMENT_NAME_LENGTH,
  MAX_EXPERIMENT_TAG_VAL_LENGTH,
  SEARCH_MAX_RESULTS_THRESHOLD,
  validateEntityName,
  type Fields,
} from '../validation.js';

export function validateExperimentTag(key: string, value: string): void {
  validateEntityName(key, 'key');
  lengthLimit('key', MAX_ENTITY_KEY_LENGTH, key);
  lengthLimit('value', MAX_EXPERIMENT_TAG_VAL_LENGTH, value);
}

const VIEW_TYPES: Record<string, string> = { '1': 'ACTIVE_ONLY', '2': 'DELETED_ONLY', '3': 'ALL' };

export function viewType(f: Fields, name: string): string {
  const v = f.raw(name);
  if (v === undefined) return 'ACTIVE_ONLY';
  const s = String(v);
  return VIEW_TYPES[s] ?? (['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(s) ? s : 'ACTIVE_ONLY');
}

async function create(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const location = f.str('artifact_location');
  const tags = keyValues(f.objList('tags'), 'tags');
  const { store, auth } = ctx.state;
  if (store.workspacesEnabled && location)
    throw invalidParam('artifact_location cannot be specified when workspaces are enabled');
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH)
    throw invalidParam(`Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  if (location?.startsWith('runs:')) throw invalidParam(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  const tagMap = new Map<string, string>();
  for (const t of tags) {
    validateExperimentTag(t.key, t.value);
    tagMap.set(t.key, t.value);
  }
  const e = store.createExperiment(ctx.ws, name, location || undefined, tagMap);
  if (auth && ctx.user && !ctx.user.isAdmin) auth.grant(e.id, ctx.user.id, 'MANAGE');
  return json({ experiment_id: e.id });
}

async function get(ctx: Ctx) {
  const f = await ctx.fields();
  const e = ctx.state.store.getExperiment(ctx.ws, f.str('experiment_id', true)!);
  return json({ experiment: experimentJson(e) });
}

async function getByName(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('experiment_name', true)!;
  const e = ctx.state.store.experimentByName(ctx.ws, name);
  if (!e) throw notFound(`Could not find experiment with name '${name}'`);
  return json({ experiment: experimentJson(e) });
}

function expValue(e: Experiment, type: string, key: string): SortVal {
  if (type === 'tag') return e.tags.get(key);
  switch (key) {
    case 'name':
      return e.name;
    case 'experiment_id':
      return Number(e.id);
    case 'creation_time':
      return e.creationTime;
    case 'last_update_time':
      return e.lastUpdateTime;
    default:
      throw invalidParam(`Invalid attribute key '${key}' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'`);
  }
}

async function search(ctx: Ctx) {
  const f = await ctx.fields();
  const max = Number(f.int('max_results') ?? 0);
  if (max < 1) throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied. It must be a positive integer`);
  if (max > SEARCH_MAX_RESULTS_THRESHOLD)
    throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${SEARCH_MAX_RESULTS_THRESHOLD}`);
  const view = viewType(f, 'view_type');
  const clauses = parseFilter(f.str('filter'));
  for (const c of clauses)
    if (c.type !== 'attribute' && c.type !== 'tag') throw invalidParam(`Invalid entity type '${c.type}'. Valid values are ['attribute', 'tag']`);
  const orders = f.strList('order_by').map(parseOrderBy);
  if (orders.length === 0) orders.push({ type: 'attribute', key: 'creation_time', asc: false });
  if (!orders.some((o) => o.key === 'experiment_id')) orders.push({ type: 'attribute', key: 'experiment_id', asc: true });
  const offset = parsePageToken(f.str('page_token'));
  const stages = view === 'ALL' ? ['active', 'deleted'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active'];
  const hits = ctx.state.store
    .experimentsInWorkspace(ctx.ws)
    .filter((e) => stages.includes(e.lifecycle) && clauses.every((c) => matches(expValue(e, c.type, c.key) as never, c)));
  hits.sort((a, b) => {
    for (const o of orders) {
      const c = compareVals(expValue(a, o.type, o.key), expValue(b, o.type, o.key), o.asc);
      if (c) return c;
    }
    return 0;
  });
  const start = Math.max(0, offset);
  const page = hits.slice(start, start + max + 1);
  const out: Record<string, unknown> = {};
  if (page.length) out.experiments = page.slice(0, max).map(experimentJson);
  if (page.length > max) out.next_page_token = makePageToken(offset + max);
  return json(out);
}

async function lifecycle(ctx: Ctx, to: 'active' | 'deleted') {
  const f = await ctx.fields();
  ctx.state.store.setExperimentLifecycle(ctx.ws, f.str('experiment_id', true)!, to);
  return json({});
}

async function update(ctx: Ctx) {
  const f = await ctx.fields();
  const e = ctx.state.store.getExperiment(ctx.ws, f.str('experiment_id', true)!);
  const newName = f.str('new_name');
  if (newName) ctx.state.store.renameExperiment(e, newName);
  return json({});
}

async function setTag(ctx: Ctx) {
  const f = await ctx.fields();
  const id = f.str('experiment_id', true)!;
  const key = f.str('key', true)!;
  const value = f.str('value') ?? '';
  validateExperimentTag(key, value);
  const { store } = ctx.state;
  const e = store.getExperiment(ctx.ws, id);
  store.checkExperimentActive(e);
  e.tags.set(key, value);
  return json({});
}

async function deleteTag(ctx: Ctx) {
  const f = await ctx.fields();
  const id = f.str('experiment_id', true)!;
  const key = f.str('key', true)!;
  const { store } = ctx.state;
  const e = store.getExperiment(ctx.ws, id);
  store.checkExperimentActive(e);
  if (!e.tags.has(key)) throw notFound(`No tag with name: ${key} in experiment with id ${id}`);
  e.tags.delete(key);
  return json({});
}

export function registerExperiments(r: Router): void {
  r.add(API, '/experiments/create', ['POST'], 'experiments/create', create);
  r.add(API, '/experiments/get', ['GET'], 'experiments/get', get);
  r.add(API, '/experiments/get-by-name', ['GET'], 'experiments/get-by-name', getByName);
  r.add(API, '/experiments/search', ['GET', 'POST'], 'experiments/search', search);
  r.add(API, '/experiments/delete', ['POST'], 'experiments/delete', (c) => lifecycle(c, 'deleted'));
  r.add(API, '/experiments/restore', ['POST'], 'experiments/restore', (c) => lifecycle(c, 'active'));
  r.add(API, '/experiments/update', ['POST'], 'experiments/update', update);
  r.add(API, '/experiments/set-experiment-tag', ['POST'], 'experiments/set-experiment-tag', setTag);
  r.add(API, '/experiments/delete-experiment-tag', ['POST'], 'experiments/delete-experiment-tag', deleteTag);
}
