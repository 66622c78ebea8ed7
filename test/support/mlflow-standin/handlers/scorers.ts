/**
 * Registered scorers (recorded: `scorers-register-list`), per experiment and name:
 * - POST /api/3.0/mlflow/scorers/register {experiment_id, name, serialized_scorer}: the JSON text
 *   is stored verbatim; versions count 1, 2, ... per name and experiment; the scorer_id (a UUID) is
 *   the same for every version of a name. The answer names the fields `name` / `version` and has
 *   experiment_id as a string.
 * - list (latest version of each name, by name), versions (oldest first) and get (latest or
 *   `version`) answer `scorer_name` / `scorer_version` and experiment_id as a JSON NUMBER.
 * - DELETE scorers/delete removes one version, or every version without `version`.
 * Refused as recorded: decorator scorers (call_source set), text that is not JSON, a blank name,
 * a blank model string, an unknown experiment.
 */
import { randomUUID } from 'node:crypto';
import type { Ctx } from '../context.js';
import { invalidParam, notFound } from '../errors.js';
import { json } from '../http.js';
import { API3, type Router } from '../router.js';
import type { Store } from '../store.js';
import { Fields } from '../validation.js';

interface ScorerVersion {
  version: number;
  serialized: string;
  creationTime: number;
}

interface Scorer {
  id: string;
  experimentId: string;
  name: string;
  versions: ScorerVersion[];
  /** Numbers are not reused after a delete (assumed: the recordings never register after one). */
  lastVersion: number;
}

/** Per store: "<experiment id>\0<name>" -> scorer. Kept beside the store so store.ts stays as it is. */
const scorerTables = new WeakMap<Store, Map<string, Scorer>>();

function tableOf(store: Store): Map<string, Scorer> {
  let t = scorerTables.get(store);
  if (!t) scorerTables.set(store, (t = new Map()));
  return t;
}

const DECORATOR_REFUSED =
  'Custom scorer registration (using @scorer decorator) is not supported outside of Databricks tracking environments due to security concerns. Custom scorers require arbitrary code execution during deserialization.\n\n' +
  'To use custom scorers:\n1. Configure MLflow to use a Databricks tracking URI, or\n2. Manage your custom scorer code in a source code repository (e.g., GitHub) and import it directly, or\n3. Use built-in scorers or make_judge() scorers instead.';

/** Every `model` string anywhere in the serialized scorer must hold more than blanks. */
function hasBlankModel(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasBlankModel);
  return Object.entries(v).some(([k, x]) => (k === 'model' && typeof x === 'string' && x.trim() === '') || hasBlankModel(x));
}

function checkSerialized(text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParam('serialized_scorer must be valid JSON');
  }
  const rec = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  if (rec.call_source !== undefined && rec.call_source !== null) throw invalidParam(DECORATOR_REFUSED);
  if (hasBlankModel(parsed)) throw invalidParam('Scorer model cannot be empty or contain only whitespace.');
}

function experimentOf(ctx: Ctx, f: Fields): string {
  const id = f.str('experiment_id', true)!;
  return ctx.state.store.getExperiment(ctx.ws, id).id;
}

function scorerOf(ctx: Ctx, experimentId: string, name: string): Scorer {
  const s = tableOf(ctx.state.store).get(`${experimentId}\u0000${name}`);
  if (!s || s.versions.length === 0) throw notFound(`Scorer with name '${name}' not found for experiment ${experimentId}.`);
  return s;
}

function versionOf(s: Scorer, version: number): ScorerVersion {
  const v = s.versions.find((x) => x.version === version);
  if (!v) throw notFound(`Scorer with name '${s.name}' and version ${version} not found for experiment ${s.experimentId}.`);
  return v;
}

const scorerJson = (s: Scorer, v: ScorerVersion) => ({
  experiment_id: Number(s.experimentId),
  scorer_name: s.name,
  scorer_version: v.version,
  serialized_scorer: v.serialized,
  creation_time: v.creationTime,
  scorer_id: s.id,
});

async function register(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name') ?? '';
  const serialized = f.str('serialized_scorer', true)!;
  checkSerialized(serialized);
  if (name.trim() === '') throw invalidParam('Scorer name cannot be empty or contain only whitespace.');
  const experimentId = experimentOf(ctx, f);
  const table = tableOf(ctx.state.store);
  const key = `${experimentId}\u0000${name}`;
  let s = table.get(key);
  if (!s) table.set(key, (s = { id: randomUUID(), experimentId, name, versions: [], lastVersion: 0 }));
  const v: ScorerVersion = { version: ++s.lastVersion, serialized, creationTime: Date.now() };
  s.versions.push(v);
  // The auth app's after-request step: the caller (admins too) gets MANAGE on the scorer.
  if (ctx.state.auth && ctx.user) ctx.state.auth.grantScorer(experimentId, name, ctx.user.id, 'MANAGE');
  return json({ version: v.version, scorer_id: s.id, experiment_id: experimentId, name, serialized_scorer: serialized, creation_time: v.creationTime });
}

async function list(ctx: Ctx) {
  const f = await ctx.fields();
  const experimentId = experimentOf(ctx, f);
  const scorers = [...tableOf(ctx.state.store).values()]
    .filter((s) => s.experimentId === experimentId && s.versions.length)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return json(scorers.length ? { scorers: scorers.map((s) => scorerJson(s, s.versions[s.versions.length - 1]!)) } : {});
}

async function versions(ctx: Ctx) {
  const f = await ctx.fields();
  const s = scorerOf(ctx, experimentOf(ctx, f), f.str('name', true)!);
  return json({ scorers: s.versions.map((v) => scorerJson(s, v)) });
}

async function get(ctx: Ctx) {
  const f = await ctx.fields();
  const s = scorerOf(ctx, experimentOf(ctx, f), f.str('name', true)!);
  const wanted = f.int('version');
  const v = wanted === undefined ? s.versions[s.versions.length - 1]! : versionOf(s, Number(wanted));
  return json({ scorer: scorerJson(s, v) });
}

async function remove(ctx: Ctx) {
  const f = Fields.body(await ctx.rawJson());
  const s = scorerOf(ctx, experimentOf(ctx, f), f.str('name', true)!);
  const wanted = f.int('version');
  if (wanted === undefined) s.versions = [];
  else {
    const v = versionOf(s, Number(wanted));
    s.versions = s.versions.filter((x) => x !== v);
  }
  // The auth app's after-request step drops every permission on the scorer, even when only
  // one version went.
  ctx.state.auth?.dropScorer(s.experimentId, s.name);
  return json({});
}

export function registerScorers(r: Router): void {
  r.add(API3, '/scorers/register', ['POST'], 'scorers/register', register);
  r.add(API3, '/scorers/list', ['GET'], 'scorers/list', list);
  r.add(API3, '/scorers/versions', ['GET'], 'scorers/versions', versions);
  r.add(API3, '/scorers/get', ['GET'], 'scorers/get', get);
  r.add(API3, '/scorers/delete', ['DELETE'], 'scorers/delete', remove);
}
