/** Endpoints of the basic-auth app: users and experiment permissions (registered only with auth on). */
import type { Auth } from '../auth.js';
import { validatePermission } from '../auth.js';
import type { Ctx } from '../context.js';
import { alreadyExists, notFound } from '../errors.js';
import { json } from '../http.js';
import { type Router, API } from '../router.js';

const auth = (ctx: Ctx): Auth => ctx.state.auth!;

async function createUser(ctx: Ctx) {
  const f = await ctx.fields();
  const u = auth(ctx).createUser(f.str('username', true)!, f.str('password', true)!);
  return json({ user: auth(ctx).userJson(u, true) });
}

async function getUser(ctx: Ctx) {
  const f = await ctx.fields();
  const a = auth(ctx);
  return json({ user: a.userJson(a.getUser(f.str('username', true)!), true) });
}

async function updatePassword(ctx: Ctx) {
  const f = await ctx.fields();
  auth(ctx).setPassword(f.str('username', true)!, f.str('password', true)!);
  return json({});
}

async function updateAdmin(ctx: Ctx) {
  const f = await ctx.fields();
  auth(ctx).getUser(f.str('username', true)!).isAdmin = f.bool('is_admin') ?? false;
  return json({});
}

async function deleteUser(ctx: Ctx) {
  const f = await ctx.fields();
  auth(ctx).deleteUser(f.str('username', true)!);
  return json({});
}

async function permission(ctx: Ctx, op: 'create' | 'get' | 'update' | 'delete') {
  const f = await ctx.fields();
  const a = auth(ctx);
  const expId = f.str('experiment_id', true)!;
  const username = f.str('username', true)!;
  const u = a.getUser(username);
  ctx.state.store.getExperiment(ctx.ws, expId);
  const current = a.explicit(expId, u.id);
  const missing = () => notFound(`Experiment permission with experiment_id=${expId} and username=${username} not found`);
  switch (op) {
    case 'create': {
      const p = validatePermission(f.str('permission'));
      if (current) throw alreadyExists(`Experiment permission (experiment_id=${expId}, username=${username}) already exists`);
      a.grant(expId, u.id, p);
      return json({ experiment_permission: { experiment_id: expId, permission: p, user_id: u.id } });
    }
    case 'get':
      if (!current) throw missing();
      return json({ experiment_permission: { experiment_id: expId, permission: current, user_id: u.id } });
    case 'update':
      if (!current) throw missing();
      a.grant(expId, u.id, validatePermission(f.str('permission')));
      return json({});
    default:
      if (!current) throw missing();
      a.experimentPerms.get(expId)!.delete(u.id);
      return json({});
  }
}

export function registerUsers(r: Router): void {
  r.add(API, '/users/create', ['POST'], 'users/create', createUser);
  r.add(API, '/users/get', ['GET'], 'users/get', getUser);
  r.add(API, '/users/current', ['GET'], 'users/current', (c) => json({ user: auth(c).userJson(c.user!, false) }));
  r.add(API, '/users/update-password', ['PATCH'], 'users/update-password', updatePassword);
  r.add(API, '/users/update-admin', ['PATCH'], 'users/update-admin', updateAdmin);
  r.add(API, '/users/delete', ['DELETE'], 'users/delete', deleteUser);
  r.add(API, '/experiments/permissions/create', ['POST'], 'experiments/permissions/create', (c) => permission(c, 'create'));
  r.add(API, '/experiments/permissions/get', ['GET'], 'experiments/permissions/get', (c) => permission(c, 'get'));
  r.add(API, '/experiments/permissions/update', ['PATCH'], 'experiments/permissions/update', (c) => permission(c, 'update'));
  r.add(API, '/experiments/permissions/delete', ['DELETE'], 'experiments/permissions/delete', (c) => permission(c, 'delete'));
}
