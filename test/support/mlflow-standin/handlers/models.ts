/** 3.x logged models, runs/log-inputs and runs/outputs. */
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { invalidParam, notFound } from '../errors.js';
import { json } from '../http.js';
import { randomRunName } from '../names.js';
import { loggedModelJson } from '../runjson.js';
import { type Router, API } from '../router.js';
import { checkRunActive, getRun, validateRunId } from '../runstore.js';
import { makePageToken, parsePageToken } from '../search.js';
import type { LoggedModel } from '../store.js';
import {
  keyValues,
  lengthLimit,
  MAX_DATASET_DIGEST_SIZE,
  MAX_DATASET_NAME_SIZE,
  MAX_DATASET_PROFILE_SIZE,
  MAX_DATASET_SCHEMA_SIZE,
  MAX_DATASET_SOURCE_SIZE,
  MAX_DATASETS_PER_BATCH,
  MAX_INPUT_TAG_KEY_SIZE,
  MAX_INPUT_TAG_VALUE_SIZE,
  missingValue,
  toInt,
  Fields,
} from '../validation.js';
import { runIdOf } from './runs.js';

const STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'];

const str = (v: unknown) => (typeof v === 'string' ? v : '');

async function logInputs(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = f.str('run_id', true)!;
  const datasets = f.objList('datasets');
  const models = f.objList('models');
  validateRunId(runId);
  if (datasets.length > MAX_DATASETS_PER_BATCH)
    throw invalidParam(`Dataset inputs per batch exceeds the maximum of ${MAX_DATASETS_PER_BATCH}`);
  const parsed = datasets.map((di, i) => {
    const d = Fields.body(di.dataset);
    const name = str(d.raw('name'));
    const digest = str(d.raw('digest'));
    if (!name) throw missingValue(`datasets[${i}].dataset.name`);
    if (!digest) throw missingValue(`datasets[${i}].dataset.digest`);
    lengthLimit('name', MAX_DATASET_NAME_SIZE, name);
    lengthLimit('digest', MAX_DATASET_DIGEST_SIZE, digest);
    const source = str(d.raw('source'));
    lengthLimit('source', MAX_DATASET_SOURCE_SIZE, source);
    const schema = str(d.raw('schema')) || undefined;
    const profile = str(d.raw('profile')) || undefined;
    if (schema) lengthLimit('schema', MAX_DATASET_SCHEMA_SIZE, schema);
    if (profile) lengthLimit('profile', MAX_DATASET_PROFILE_SIZE, profile);
    const tags = keyValues(Fields.body(di).objList('tags'), `datasets[${i}].tags`);
    for (const t of tags) {
      lengthLimit('key', MAX_INPUT_TAG_KEY_SIZE, t.key);
      lengthLimit('value', MAX_INPUT_TAG_VALUE_SIZE, t.value);
    }
    return { name, digest, sourceType: str(d.raw('source_type')), source, schema, profile, tags };
  });
  const run = getRun(ctx.state.store, ctx.ws, runId);
  checkRunActive(run);
  for (const d of parsed)
    if (!run.datasetInputs.some((x) => x.name === d.name && x.digest === d.digest)) run.datasetInputs.push(d);
  for (const m of models) {
    const id = str(m.model_id);
    if (id && !run.modelInputs.includes(id)) run.modelInputs.push(id);
  }
  return json({});
}

async function outputs(ctx: Ctx) {
  const f = await ctx.fields();
  const run = getRun(ctx.state.store, ctx.ws, runIdOf(f));
  checkRunActive(run);
  f.objList('models').forEach((m, i) => {
    const modelId = str(m.model_id);
    if (!modelId) throw missingValue(`models[${i}].model_id`);
    const step = toInt(m.step) ?? 0;
    if (!run.modelOutputs.some((o) => o.modelId === modelId && o.step === step)) run.modelOutputs.push({ modelId, step });
  });
  return json({});
}

function getModel(ctx: Ctx, id: string): LoggedModel {
  const m = ctx.state.store.models.get(id);
  const e = m && ctx.state.store.experiments.get(m.experimentId);
  if (!m || m.deleted || !e || e.workspace !== ctx.ws) throw notFound(`Logged model with ID '${id}' not found.`);
  return m;
}

async function createModel(ctx: Ctx) {
  const f = await ctx.fields();
  const { store } = ctx.state;
  const exp = store.getExperiment(ctx.ws, f.str('experiment_id', true)!);
  store.checkExperimentActive(exp);
  const id = 'm-' + randomBytes(16).toString('hex');
  const now = store.now();
  const m: LoggedModel = {
    id,
    experimentId: exp.id,
    name: f.str('name') || randomRunName(),
    modelType: f.str('model_type') || undefined,
    sourceRunId: f.str('source_run_id') || undefined,
    status: 'LOGGED_MODEL_PENDING',
    creationTs: now,
    lastUpdatedTs: now,
    artifactUri: `${exp.artifactLocation}/models/${id}/artifacts`,
    tags: new Map(keyValues(f.objList('tags'), 'tags').map((t) => [t.key, t.value])),
    params: new Map(keyValues(f.objList('params'), 'params').map((t) => [t.key, t.value])),
    metrics: [],
    metricKeys: new Set(),
    deleted: false,
  };
  store.models.set(id, m);
  return json({ model: loggedModelJson(m, true) });
}

async function finalizeModel(ctx: Ctx) {
  const f = await ctx.fields();
  const id = f.str('model_id', true)!;
  const m = getModel(ctx, id);
  const raw = f.raw('status');
  const status = typeof raw === 'number' ? STATUSES[raw - 1] : typeof raw === 'string' && STATUSES.includes(raw) ? raw : undefined;
  if (!status) throw missingValue('status');
  m.status = status;
  m.lastUpdatedTs = ctx.state.store.now();
  return json({ model: loggedModelJson(m, true) });
}

async function deleteModel(ctx: Ctx) {
  getModel(ctx, ctx.params.model_id!).deleted = true;
  return json({});
}

async function setModelTags(ctx: Ctx) {
  const f = await ctx.fields();
  const m = getModel(ctx, ctx.params.model_id!);
  for (const t of keyValues(f.objList('tags'), 'tags')) m.tags.set(t.key, t.value);
  return json({});
}

async function deleteModelTag(ctx: Ctx) {
  const m = getModel(ctx, ctx.params.model_id!);
  m.tags.delete(ctx.params.tag_key!);
  return json({});
}

async function searchModels(ctx: Ctx) {
  const f = await ctx.fields();
  const max = Number(f.int('max_results') ?? 50);
  const offset = parsePageToken(f.str('page_token'));
  const exps = new Set(f.strList('experiment_ids'));
  const hits = [...ctx.state.store.models.values()]
    .filter((m) => !m.deleted && exps.has(m.experimentId) && ctx.state.store.experiments.get(m.experimentId)?.workspace === ctx.ws)
    .sort((a, b) => b.creationTs - a.creationTs || (a.id < b.id ? -1 : 1));
  const start = Math.max(0, offset);
  const page = hits.slice(start, start + max + 1);
  const out: Record<string, unknown> = {};
  if (page.length) out.models = page.slice(0, max).map((m) => loggedModelJson(m, true));
  if (page.length > max) out.next_page_token = makePageToken(offset + max);
  return json(out);
}

export function registerModels(r: Router): void {
  r.add(API, '/runs/log-inputs', ['POST'], 'runs/log-inputs', logInputs);
  r.add(API, '/runs/outputs', ['POST'], 'runs/outputs', outputs);
  r.add(API, '/logged-models', ['POST'], 'logged-models/create', createModel);
  r.add(API, '/logged-models/search', ['POST'], 'logged-models/search', searchModels);
  r.add(API, '/logged-models/<model_id>', ['GET'], 'logged-models/get', (c) => json({ model: loggedModelJson(getModel(c, c.params.model_id!), true) }));
  r.add(API, '/logged-models/<model_id>', ['PATCH'], 'logged-models/finalize', finalizeModel);
  r.add(API, '/logged-models/<model_id>', ['DELETE'], 'logged-models/delete', deleteModel);
  r.add(API, '/logged-models/<model_id>/tags', ['PATCH'], 'logged-models/set-tags', setModelTags);
  r.add(API, '/logged-models/<model_id>/tags/<tag_key>', ['DELETE'], 'logged-models/delete-tag', deleteModelTag);
}
