/**
 * Which permission a route needs under the basic-auth app (non-admin users; admins pass).
 * The target experiment comes from the request (experiment_id, run_id -> its experiment,
 * model id, or the experiment directory of a proxied artifact path). When the target does not
 * exist the request passes and the handler answers its own 404.
 */
import type { Action } from './auth.js';
import type { Ctx } from './context.js';
import { invalidParam, notFound } from './errors.js';
import { bulkRunIds } from './handlers/metrics-bulk.js';
import { Fields } from './validation.js';

const ADMIN_ONLY = new Set(['users/create', 'users/update-admin', 'users/delete', 'workspaces/create', 'workspaces/update', 'workspaces/delete']);
const SELF_OR_ADMIN = new Set(['users/get', 'users/update-password']);

const BY_EXPERIMENT: Record<string, Action> = {
  'experiments/get': 'read',
  'experiments/get-by-name': 'read',
  'experiments/delete': 'delete',
  'experiments/restore': 'delete',
  'experiments/update': 'update',
  'experiments/set-experiment-tag': 'update',
  'experiments/delete-experiment-tag': 'update',
  'runs/create': 'update',
  'logged-models/create': 'update',
  'experiments/permissions/create': 'manage',
  'experiments/permissions/get': 'manage',
  'experiments/permissions/update': 'manage',
  'experiments/permissions/delete': 'manage',
  // scorers: registering needs edit rights on the experiment, listing read rights (recorded:
  // auth-genai-permissions steps 12-13)
  'scorers/register': 'update',
  'scorers/list': 'read',
};

/**
 * Scorer routes checked against the scorer's own permission (experiment_id + name), which is
 * granted MANAGE to whoever registers the scorer and otherwise is the default READ (read from
 * MLflow's basic-auth app, not recorded).
 */
const BY_SCORER: Record<string, Action> = {
  'scorers/get': 'read',
  'scorers/versions': 'read',
  'scorers/delete': 'delete',
};

const BY_RUN: Record<string, Action> = {
  'runs/get': 'read',
  'runs/update': 'update',
  'runs/delete': 'delete',
  'runs/restore': 'delete',
  'runs/set-tag': 'update',
  'runs/delete-tag': 'update',
  'runs/log-parameter': 'update',
  'runs/log-metric': 'update',
  'runs/log-batch': 'update',
  'runs/log-inputs': 'update',
  'runs/outputs': 'update',
  'metrics/get-history': 'read',
  'artifacts/list': 'read',
  'artifacts/presigned-upload-url': 'update',
  'get-artifact': 'read',
};

const BY_MODEL: Record<string, Action> = {
  'logged-models/get': 'read',
  'logged-models/finalize': 'update',
  'logged-models/delete': 'delete',
  'logged-models/set-tags': 'update',
  'logged-models/delete-tag': 'update',
};

const BY_ARTIFACT: Record<string, Action> = {
  'mlflow-artifacts/list': 'read',
  'mlflow-artifacts/download': 'read',
  'mlflow-artifacts/upload': 'update',
  'mlflow-artifacts/delete': 'delete',
  'mlflow-artifacts/mpu-create': 'update',
  'mlflow-artifacts/mpu-complete': 'update',
  'mlflow-artifacts/mpu-abort': 'update',
};

/**
 * Registry routes (prompts are registered models) checked against the model's permission, looked
 * up by `name`: MANAGE for whoever created the model, else the default READ (read from MLflow's
 * basic-auth app, not recorded). registered-models/create and the searches have no check.
 */
const BY_MODEL_NAME: Record<string, Action> = {
  'registered-models/get': 'read',
  'registered-models/delete': 'delete',
  'registered-models/update': 'update',
  'registered-models/rename': 'update',
  'registered-models/get-latest-versions': 'read',
  'registered-models/set-tag': 'update',
  'registered-models/delete-tag': 'update',
  'registered-models/alias': 'update',
  'registered-models/delete-alias': 'delete',
  'registered-models/get-alias': 'read',
  'model-versions/create': 'update',
  'model-versions/get': 'read',
  'model-versions/delete': 'delete',
  'model-versions/update': 'update',
  'model-versions/transition-stage': 'update',
  'model-versions/get-download-uri': 'read',
  'model-versions/set-tag': 'update',
  'model-versions/delete-tag': 'delete',
  'model-versions/get-artifact': 'read',
};

async function requestFields(ctx: Ctx): Promise<Fields> {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.query.size) return Fields.query(ctx.query);
  return Fields.body(await ctx.rawJson());
}

const asString = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** A request field as the text MLflow's auth app looks it up by (a JSON number counts as its digits). */
const idText = (v: unknown) => (typeof v === 'number' ? String(v) : asString(v));

function experimentOfArtifactPath(path: string): string | undefined {
  const parts = path.split('/');
  const i = parts[0] === 'workspaces' ? 2 : 0;
  return /^\d+$/.test(parts[i] ?? '') ? parts[i] : undefined;
}

export async function isAllowed(ctx: Ctx, route: string): Promise<boolean> {
  const auth = ctx.state.auth!;
  const user = ctx.user!;
  if (user.isAdmin) return true;
  if (ADMIN_ONLY.has(route)) return false;
  const { store } = ctx.state;
  if (SELF_OR_ADMIN.has(route)) return asString((await requestFields(ctx)).raw('username')) === user.username;
  if (route === 'metrics/get-history-bulk') return canReadEveryRun(ctx);
  if (BY_MODEL_NAME[route]) return auth.canOnModel(user, idText((await requestFields(ctx)).raw('name')) ?? '', BY_MODEL_NAME[route]);
  if (BY_SCORER[route]) {
    const f = await requestFields(ctx);
    return auth.canOnScorer(user, idText(f.raw('experiment_id')) ?? '', idText(f.raw('name')) ?? '', BY_SCORER[route]);
  }
  let action: Action | undefined;
  let experimentId: string | undefined;
  if ((action = BY_EXPERIMENT[route])) {
    const f = await requestFields(ctx);
    if (route === 'experiments/get-by-name') {
      const name = asString(f.raw('experiment_name'));
      experimentId = name === undefined ? undefined : store.experimentByName(ctx.ws, name)?.id;
    } else experimentId = asString(f.raw('experiment_id')) ?? (typeof f.raw('experiment_id') === 'number' ? String(f.raw('experiment_id')) : undefined);
  } else if ((action = BY_RUN[route])) {
    const f = await requestFields(ctx);
    const runId = asString(f.raw('run_id')) ?? asString(f.raw('run_uuid'));
    experimentId = runId === undefined ? undefined : store.runs.get(runId)?.experimentId;
  } else if ((action = BY_MODEL[route])) {
    experimentId = store.models.get(ctx.params.model_id ?? '')?.experimentId;
  } else if ((action = BY_ARTIFACT[route])) {
    experimentId = experimentOfArtifactPath(ctx.params.artifact_path ?? ctx.query.get('path')?.[0] ?? '');
  } else if (route === 'otlp/traces') {
    // OTLP ingest is the one trace route the auth app checks: edit rights on the header's experiment
    action = 'update';
    experimentId = ctx.header('x-mlflow-experiment-id');
  } else return true;
  if (experimentId !== undefined && !store.experiments.has(experimentId)) return true;
  return auth.can(user, experimentId, action);
}

/**
 * The auth app's check for the bulk history route (validate_can_read_metric_history_bulk, read
 * from MLflow's source, not recorded): read permission on the experiment of every run named; no
 * run id is a 400 and an unknown run a 404 (its get_run raises) before the handler runs.
 */
function canReadEveryRun(ctx: Ctx): boolean {
  const runIds = bulkRunIds(ctx);
  if (runIds.length === 0) throw invalidParam('GetMetricHistoryBulk request must specify at least one run_id.');
  const { store, auth } = ctx.state;
  for (const runId of runIds) {
    const run = store.runs.get(runId);
    if (!run) throw notFound(`Run with id=${runId} not found`);
    if (!auth!.can(ctx.user!, run.experimentId, 'read')) return false;
  }
  return true;
}
