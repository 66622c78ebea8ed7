/** 3.x logged models, runs/log-inputs and runs/outputs. */
import { S3Artifacts } from '../s3-artifacts.js';
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from '../errors.js';
import { validatePathIsSafe } from '../artifacts.js';
import { pyRepr } from '../pyfmt.js';
import { proxiedPathOfUri } from '../workspaces.js';
import { download } from './artifacts.js';
import { searchLoggedModels } from './model-search.js';
import { json } from '../http.js';
import { randomRunName } from '../names.js';
import { loggedModelJson } from '../runjson.js';
import { type Router, API } from '../router.js';
import { checkRunActive, getRun, validateRunId } from '../runstore.js';
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
  const race = ctx.state.datasetRace;
  if (race) {
    // The datasets the experiment lacks are inserted; a concurrent insert of the same one loses.
    const known = (d: { name: string; digest: string }) =>
      [...ctx.state.store.runs.values()].some(
        (r) => r.experimentId === run.experimentId && r.datasetInputs.some((x) => x.name === d.name && x.digest === d.digest),
      );
    const fresh = parsed.filter((d) => !known(d)).map((d) => ({ ...d, experimentId: run.experimentId }));
    if (fresh.length > 0) await race.insert(fresh);
  }
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
  if (!f.has('models')) throw missingValue('models');
  // An output without model_id is stored with model_id "" (recorded); one run and model pair is
  // unique whatever the step (the inputs table's UNIQUE constraint).
  for (const m of f.objList('models')) {
    const modelId = str(m.model_id);
    const step = toInt(m.step) ?? 0;
    if (run.modelOutputs.some((o) => o.modelId === modelId))
      throw new MlflowError(
        'BAD_REQUEST',
        '(sqlite3.IntegrityError) UNIQUE constraint failed: inputs.source_type, inputs.source_id, inputs.destination_type, inputs.destination_id\n' +
          '[SQL: INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?)]\n' +
          `[parameters: (${pyRepr(randomBytes(16).toString('hex'))}, 'RUN_OUTPUT', ${pyRepr(run.id)}, 'MODEL_OUTPUT', ${pyRepr(modelId)}, ${step})]\n` +
          SQLA_BACKGROUND,
      );
    run.modelOutputs.push({ modelId, step });
  }
  return json({});
}

/** A logged model of the request's workspace; deleted ones only where the server still finds them. */
function getModel(ctx: Ctx, id: string, allowDeleted = false): LoggedModel {
  const m = ctx.state.store.models.get(id);
  const e = m && ctx.state.store.experiments.get(m.experimentId);
  if (!m || (m.deleted && !allowDeleted) || !e || e.workspace !== ctx.ws) throw notFound(`Logged model with ID '${id}' not found.`);
  return m;
}

let modelSeq = 0;

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
    modelType: f.str('model_type') ?? '',
    sourceRunId: f.str('source_run_id') ?? '',
    status: 'LOGGED_MODEL_PENDING',
    creationTs: now,
    lastUpdatedTs: now,
    artifactUri: `${exp.artifactLocation}/models/${id}/artifacts`,
    tags: new Map(keyValues(f.objList('tags'), 'tags').map((t) => [t.key, t.value])),
    params: new Map(keyValues(f.objList('params'), 'params').map((t) => [t.key, t.value])),
    metrics: [],
    metricKeys: new Set(),
    deleted: false,
    seq: ++modelSeq,
  };
  store.models.set(id, m);
  return json({ model: loggedModelJson(m, true) });
}

async function getModelRoute(ctx: Ctx) {
  const f = await ctx.fields();
  return json({ model: loggedModelJson(getModel(ctx, ctx.params.model_id!, f.bool('allow_deleted') ?? false), true) });
}

/** PATCH logged-models/{id}: the body must repeat model_id (recorded). */
async function finalizeModel(ctx: Ctx) {
  const f = await ctx.fields();
  f.str('model_id', true);
  const m = getModel(ctx, ctx.params.model_id!, true);
  const raw = f.raw('status');
  const status = typeof raw === 'number' ? STATUSES[raw - 1] : typeof raw === 'string' && STATUSES.includes(raw) ? raw : undefined;
  if (!status) throw missingValue('status');
  m.status = status;
  m.lastUpdatedTs = ctx.state.store.now();
  return json({ model: loggedModelJson(m, true) });
}

/** Soft delete: a second DELETE still answers 200 (recorded). */
async function deleteModel(ctx: Ctx) {
  getModel(ctx, ctx.params.model_id!, true).deleted = true;
  return json({});
}

async function setModelTags(ctx: Ctx) {
  const f = await ctx.fields();
  const m = getModel(ctx, ctx.params.model_id!, true);
  for (const t of keyValues(f.objList('tags'), 'tags')) m.tags.set(t.key, t.value);
  return json({});
}

async function deleteModelTag(ctx: Ctx) {
  const m = getModel(ctx, ctx.params.model_id!, true);
  const key = ctx.params.tag_key!;
  if (!m.tags.has(key)) throw notFound(`No tag with key '${key}' found for model with ID '${m.id}'.`);
  m.tags.delete(key);
  return json({});
}

/** POST logged-models/{id}/params: model_id repeated in the body; a logged key cannot be logged again. */
async function logModelParams(ctx: Ctx) {
  const f = await ctx.fields();
  f.str('model_id', true);
  const m = getModel(ctx, ctx.params.model_id!, true);
  const params = keyValues(f.objList('params'), 'params');
  const taken = params.find((p) => m.params.has(p.key));
  if (taken)
    throw new MlflowError(
      'BAD_REQUEST',
      '(sqlite3.IntegrityError) UNIQUE constraint failed: logged_model_params.model_id, logged_model_params.param_key\n' +
        '[SQL: INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)]\n' +
        `[parameters: (${pyRepr(m.id)}, ${m.experimentId}, ${pyRepr(taken.key)}, ${pyRepr(taken.value)})]\n` +
        SQLA_BACKGROUND,
    );
  for (const p of params) m.params.set(p.key, p.value);
  return json({});
}

// ---------------------------------------------------------------- artifacts of a logged model

/** One level of the model's artifact tree; paths relative to the model root, size left out at 0. */
async function listModelArtifacts(ctx: Ctx) {
  const f = await ctx.fields();
  const m = getModel(ctx, ctx.params.model_id!);
  const dir = f.str('artifact_directory_path') ?? '';
  if (dir) validatePathIsSafe(dir);
  const out: Record<string, unknown> = { root_uri: m.artifactUri };
  const base = proxiedPathOfUri(m.artifactUri);
  if (ctx.state.s3 && S3Artifacts.parse(m.artifactUri)) {
    const entries = await ctx.state.s3.list(m.artifactUri, dir);
    if (entries.length)
      out.files = entries.map((e) => (e.isDir ? { path: e.path, is_dir: true } : e.size ? { path: e.path, is_dir: false, file_size: e.size } : { path: e.path, is_dir: false }));
  } else if (base !== undefined) {
    const entries = await ctx.state.artifacts.list(dir ? `${base}/${dir}` : base);
    if (entries?.length)
      out.files = entries.map((e) => {
        const path = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDir) return { path, is_dir: true };
        return e.size ? { path, is_dir: false, file_size: e.size } : { path, is_dir: false };
      });
  }
  return json(out);
}

async function downloadModelArtifact(ctx: Ctx) {
  const m = getModel(ctx, ctx.params.model_id!);
  const path = ctx.query.get('artifact_file_path')?.[0];
  if (!path) throw new MlflowError('BAD_REQUEST', 'Request must include the "artifact_file_path" query parameter.');
  validatePathIsSafe(path);
  if (ctx.state.s3 && S3Artifacts.parse(m.artifactUri)) return ctx.state.s3.download(m.artifactUri, path);
  const base = proxiedPathOfUri(m.artifactUri);
  if (base === undefined) throw invalidParam(`Unsupported artifact URI: ${m.artifactUri}`);
  return download(ctx, `${base}/${path}`, path);
}

export function registerModels(r: Router): void {
  r.add(API, '/runs/log-inputs', ['POST'], 'runs/log-inputs', logInputs);
  r.add(API, '/runs/outputs', ['POST'], 'runs/outputs', outputs);
  r.add(API, '/logged-models', ['POST'], 'logged-models/create', createModel);
  r.add(API, '/logged-models/search', ['POST'], 'logged-models/search', searchLoggedModels);
  r.add(API, '/logged-models/<model_id>', ['GET'], 'logged-models/get', getModelRoute);
  r.add(API, '/logged-models/<model_id>', ['PATCH'], 'logged-models/finalize', finalizeModel);
  r.add(API, '/logged-models/<model_id>', ['DELETE'], 'logged-models/delete', deleteModel);
  r.add(API, '/logged-models/<model_id>/tags', ['PATCH'], 'logged-models/set-tags', setModelTags);
  r.add(API, '/logged-models/<model_id>/tags/<tag_key>', ['DELETE'], 'logged-models/delete-tag', deleteModelTag);
  r.add(API, '/logged-models/<model_id>/params', ['POST'], 'logged-models/log-params', logModelParams);
  r.add(API, '/logged-models/<model_id>/artifacts/directories', ['GET'], 'logged-models/list-artifacts', listModelArtifacts);
  // Single files only under /ajax-api (recorded: the /api/2.0 twin is a 404 page).
  r.addRule('/ajax-api/2.0/mlflow/logged-models/<model_id>/artifacts/files', ['GET'], 'logged-models/get-artifact', downloadModelArtifact);
}
