/**
 * The basic-auth app: users (admin 'admin' built in), HTTP Basic verification, experiment
 * permissions (default READ for every user, the creator of an experiment gets MANAGE).
 * Failures are not MLflow JSON errors: 401 / 403 plain text served as text/html.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { alreadyExists, invalidParam, notFound, SQLA_BACKGROUND } from './errors.js';
import { text, type Reply } from './http.js';
import { pyRepr } from './pyfmt.js';

export type Permission = 'READ' | 'USE' | 'EDIT' | 'MANAGE' | 'NO_PERMISSIONS';
export const PERMISSIONS: Permission[] = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'];
export type Action = 'read' | 'update' | 'delete' | 'manage';

const CAN: Record<Permission, Action[]> = {
  READ: ['read'],
  USE: ['read'],
  EDIT: ['read', 'update'],
  MANAGE: ['read', 'update', 'delete', 'manage'],
  NO_PERMISSIONS: [],
};

export interface User {
  id: number;
  username: string;
  passwordHash: string;
  isAdmin: boolean;
}

export const unauthenticated = (): Reply =>
  text(
    401,
    'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
    undefined,
    { 'WWW-Authenticate': 'Basic realm="mlflow"' },
  );

export const forbidden = (): Reply => text(403, 'Permission denied');

function hashPassword(password: string): string {
  const salt = randomBytes(12).toString('base64url');
  return `pbkdf2:sha256:1000$${salt}$${pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('hex')}`;
}

function checkPassword(hash: string, password: string): boolean {
  const m = /^pbkdf2:sha256:(\d+)\$([^$]*)\$([0-9a-f]+)$/.exec(hash);
  if (!m) return false;
  const want = Buffer.from(m[3]!, 'hex');
  const got = pbkdf2Sync(password, m[2]!, Number(m[1]), want.length, 'sha256');
  return timingSafeEqual(want, got);
}

export class Auth {
  readonly users = new Map<string, User>();
  /** experiment id -> user id -> permission */
  readonly experimentPerms = new Map<string, Map<number, Permission>>();
  /**
   * Scorer permissions, their own table in MLflow's auth store (not derived from the experiment):
   * "<experiment id>\0<scorer name>" -> user id -> permission, in grant order.
   */
  readonly scorerPerms = new Map<string, Map<number, Permission>>();
  /** Registered-model (and so prompt) permissions: model name -> user id -> permission. */
  readonly modelPerms = new Map<string, Map<number, Permission>>();
  private nextId = 1;
  private verified = new Map<string, number>(); // Authorization header value -> user id

  constructor(adminPassword: string) {
    this.createUser('admin', adminPassword, true);
  }

  createUser(username: string, password: string, isAdmin = false): User {
    const existing = this.users.get(username);
    if (existing)
      throw alreadyExists(
        `User (username=${username}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: users.username\n` +
          '[SQL: INSERT INTO users (username, password_hash, is_admin) VALUES (?, ?, ?)]\n' +
          `[parameters: (${pyRepr(username)}, ${pyRepr(existing.passwordHash)}, ${isAdmin ? 1 : 0})]\n` +
          SQLA_BACKGROUND,
      );
    if (!username) throw invalidParam('Username cannot be empty.');
    if (!password) throw invalidParam('Password cannot be empty.');
    const u: User = { id: this.nextId++, username, passwordHash: hashPassword(password), isAdmin };
    this.users.set(username, u);
    return u;
  }

  getUser(username: string): User {
    const u = this.users.get(username);
    if (!u) throw notFound(`User with username=${username} not found`);
    return u;
  }

  setPassword(username: string, password: string): void {
    this.getUser(username).passwordHash = hashPassword(password);
    this.verified.clear();
  }

  deleteUser(username: string): void {
    const u = this.getUser(username);
    this.users.delete(username);
    for (const m of this.experimentPerms.values()) m.delete(u.id);
    for (const m of this.scorerPerms.values()) m.delete(u.id);
    for (const m of this.modelPerms.values()) m.delete(u.id);
    this.verified.clear();
  }

  /** HTTP Basic (scheme name case-insensitive); anything else is unauthenticated. */
  authenticate(header: string | undefined): User | undefined {
    if (!header) return undefined;
    const cached = this.verified.get(header);
    if (cached !== undefined) return [...this.users.values()].find((u) => u.id === cached);
    const m = /^basic\s+(\S+)\s*$/i.exec(header);
    if (!m || !/^[A-Za-z0-9+/]+={0,2}$/.test(m[1]!)) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const u = this.users.get(decoded.slice(0, colon));
    if (!u || !checkPassword(u.passwordHash, decoded.slice(colon + 1))) return undefined;
    this.verified.set(header, u.id);
    return u;
  }

  permission(user: User, experimentId: string): Permission {
    return this.experimentPerms.get(experimentId)?.get(user.id) ?? 'READ';
  }

  can(user: User, experimentId: string | undefined, action: Action): boolean {
    if (user.isAdmin || experimentId === undefined) return true;
    return CAN[this.permission(user, experimentId)].includes(action);
  }

  grant(experimentId: string, userId: number, p: Permission): void {
    let m = this.experimentPerms.get(experimentId);
    if (!m) this.experimentPerms.set(experimentId, (m = new Map()));
    m.set(userId, p);
  }

  /** A user's permission on a scorer: the granted one, else the default READ (no experiment fallback). */
  scorerPermission(user: User, experimentId: string, name: string): Permission {
    return this.scorerPerms.get(scorerKey(experimentId, name))?.get(user.id) ?? 'READ';
  }

  canOnScorer(user: User, experimentId: string, name: string, action: Action): boolean {
    if (user.isAdmin) return true;
    return CAN[this.scorerPermission(user, experimentId, name)].includes(action);
  }

  grantScorer(experimentId: string, name: string, userId: number, p: Permission): void {
    const key = scorerKey(experimentId, name);
    let m = this.scorerPerms.get(key);
    if (!m) this.scorerPerms.set(key, (m = new Map()));
    m.set(userId, p);
  }

  /** Every user's permission on the scorer goes (MLflow does this after any successful scorer delete). */
  dropScorer(experimentId: string, name: string): void {
    this.scorerPerms.delete(scorerKey(experimentId, name));
  }

  /** A user's permission on a registered model or prompt: the granted one, else the default READ. */
  canOnModel(user: User, name: string, action: Action): boolean {
    if (user.isAdmin) return true;
    return CAN[this.modelPerms.get(name)?.get(user.id) ?? 'READ'].includes(action);
  }

  grantModel(name: string, userId: number, p: Permission): void {
    let m = this.modelPerms.get(name);
    if (!m) this.modelPerms.set(name, (m = new Map()));
    m.set(userId, p);
  }

  /** A deleted model's permissions go, so a later model of the same name does not inherit them. */
  dropModel(name: string): void {
    this.modelPerms.delete(name);
  }

  /** A rename carries every user's permission to the new name. */
  renameModel(name: string, newName: string): void {
    const m = this.modelPerms.get(name);
    if (!m || name === newName) return;
    this.modelPerms.delete(name);
    this.modelPerms.set(newName, m);
  }

  explicit(experimentId: string, userId: number): Permission | undefined {
    return this.experimentPerms.get(experimentId)?.get(userId);
  }

  userJson(u: User, full: boolean): Record<string, unknown> {
    if (!full) return { id: u.id, is_admin: u.isAdmin, username: u.username };
    const perms: unknown[] = [];
    for (const [expId, m] of this.experimentPerms) {
      const p = m.get(u.id);
      if (p) perms.push({ experiment_id: expId, permission: p, user_id: u.id });
    }
    const scorerPerms: unknown[] = [];
    for (const [key, m] of this.scorerPerms) {
      const p = m.get(u.id);
      const cut = key.indexOf('\u0000'); // experiment ids never hold NUL; a scorer name might
      if (p) scorerPerms.push({ experiment_id: key.slice(0, cut), permission: p, scorer_name: key.slice(cut + 1), user_id: u.id });
    }
    const modelPerms: unknown[] = [];
    for (const [name, m] of this.modelPerms) {
      const p = m.get(u.id);
      if (p) modelPerms.push({ name, permission: p, user_id: u.id });
    }
    return {
      experiment_permissions: perms,
      id: u.id,
      is_admin: u.isAdmin,
      registered_model_permissions: modelPerms,
      scorer_permissions: scorerPerms,
      username: u.username,
    };
  }
}

const scorerKey = (experimentId: string, name: string) => `${experimentId}\u0000${name}`;

export function validatePermission(p: string | undefined): Permission {
  if (!p || !PERMISSIONS.includes(p as Permission))
    throw invalidParam(`Invalid permission '${p ?? ''}'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')`);
  return p as Permission;
}
