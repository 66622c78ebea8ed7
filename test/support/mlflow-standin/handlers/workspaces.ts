/** /api/3.0/mlflow/workspaces CRUD and server-info (503 plain text when workspaces are off). */
import { registeredModelsIn, registryKey } from '../registry.js';
import type { Ctx } from '../context.js';
import { alreadyExists, invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from '../errors.js';
import { json, text, type Reply } from '../http.js';
import { pyRepr } from '../pyfmt.js';
import { type Handler, type Router, API3 } from '../router.js';
import { DEFAULT_WORKSPACE, type Workspace } from '../store.js';
import { validateWorkspaceName } from '../workspaces.js';

function wsJson(w: Workspace): Record<string, unknown> {
  const o: Record<string, unknown> = { name: w.name };
  if (w.description !== undefined) o.description = w.description;
  if (w.defaultArtifactRoot !== undefined) o.default_artifact_root = w.defaultArtifactRoot;
  return o;
}

function getWs(ctx: Ctx, name: string): Workspace {
  const w = ctx.state.store.workspaces.get(name);
  if (!w) throw notFound(`Workspace '${name}' not found`);
  return w;
}

async function list(ctx: Ctx) {
  return json({ workspaces: [...ctx.state.store.workspaces.values()].map(wsJson) });
}

async function create(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const description = f.str('description');
  const root = f.str('default_artifact_root');
  validateWorkspaceName(name);
  const { store } = ctx.state;
  if (store.workspaces.has(name))
    throw alreadyExists(
      `Workspace '${name}' already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: workspaces.name\n` +
        '[SQL: INSERT INTO workspaces (name, description, default_artifact_root) VALUES (?, ?, ?)]\n' +
        `[parameters: (${pyRepr(name)}, ${pyRepr(description ?? null)}, ${pyRepr(root ?? null)})]\n` +
        SQLA_BACKGROUND,
    );
  const w: Workspace = { name };
  if (description !== undefined) w.description = description;
  if (root !== undefined) w.defaultArtifactRoot = root;
  store.workspaces.set(name, w);
  return json({ workspace: wsJson(w) }, 201);
}

async function update(ctx: Ctx) {
  const f = await ctx.fields();
  const w = getWs(ctx, ctx.params.workspace_name!);
  const description = f.str('description');
  const root = f.str('default_artifact_root');
  if (description !== undefined) w.description = description;
  if (root !== undefined) w.defaultArtifactRoot = root;
  return json({ workspace: wsJson(w) });
}

async function remove(ctx: Ctx): Promise<Reply> {
  const name = ctx.params.workspace_name!;
  if (name === DEFAULT_WORKSPACE) throw invalidParam("The 'default' workspace is reserved and cannot be deleted");
  getWs(ctx, name);
  const mode = ctx.query.get('mode')?.[0] ?? 'RESTRICT';
  const { store } = ctx.state;
  const exps = store.experimentsInWorkspace(name);
  if (exps.length && mode !== 'SET_DEFAULT')
    throw new MlflowError(
      'INVALID_STATE',
      `Cannot delete workspace '${name}': table 'experiments' still contains ${exps.length} resource(s). Remove or reassign them before deleting the workspace.`,
    );
  const models = registeredModelsIn(store, name);
  if (models.length && mode !== 'SET_DEFAULT')
    throw new MlflowError(
      'INVALID_STATE',
      `Cannot delete workspace '${name}': table 'registered_models' still contains ${models.length} resource(s). Remove or reassign them before deleting the workspace.`,
    );
  store.moveExperiments(exps, DEFAULT_WORKSPACE); // SET_DEFAULT
  for (const rm of models) {
    store.registry.delete(registryKey(name, rm.name));
    rm.workspace = DEFAULT_WORKSPACE;
    store.registry.set(registryKey(DEFAULT_WORKSPACE, rm.name), rm);
  }
  store.workspaces.delete(name);
  return text(204, '');
}

function disabledUnlessWorkspaces(rule: string, h: Handler): Handler {
  return (ctx) =>
    ctx.state.store.workspacesEnabled
      ? h(ctx)
      : text(
          503,
          `Endpoint: ${rule} disabled because the server is running without workspaces support. To enable workspace, run \`mlflow server\` with \`--enable-workspaces\``,
        );
}

export function registerWorkspaces(r: Router): void {
  for (const p of API3) {
    const base = `${p}/workspaces`;
    const one = `${base}/<workspace_name>`;
    r.addRule(base, ['GET'], 'workspaces/list', disabledUnlessWorkspaces(base, list));
    r.addRule(base, ['POST'], 'workspaces/create', disabledUnlessWorkspaces(base, create));
    r.addRule(one, ['GET'], 'workspaces/get', disabledUnlessWorkspaces(one, (c) => json({ workspace: wsJson(getWs(c, c.params.workspace_name!)) })));
    r.addRule(one, ['PATCH'], 'workspaces/update', disabledUnlessWorkspaces(one, update));
    r.addRule(one, ['DELETE'], 'workspaces/delete', disabledUnlessWorkspaces(one, remove));
  }
  r.add(API3, '/server-info', ['GET'], 'server-info', (ctx) =>
    json({ store_type: 'SqlStore', workspaces_enabled: ctx.state.store.workspacesEnabled }),
  );
}
