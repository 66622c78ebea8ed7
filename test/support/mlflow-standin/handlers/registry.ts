/**
 * Model registry routes: registered models (create, get, search, rename, update, delete, tags,
 * aliases, latest versions) and model versions (create, get, search, update, delete, tags,
 * transition-stage, download URI, get-artifact). Searches are GET only; deletes read the JSON
 * body only (a DELETE with query parameters misses `name`, recorded).
 */
import type { Ctx } from '../context.js';
import { alreadyExists, invalidParam, MlflowError, notFound, SQLA_BACKGROUND } from '../errors.js';
import { json, type Reply } from '../http.js';
import { pyJsonDumps, pyRepr } from '../pyfmt.js';
import {
  getRegisteredModel,
  getVersion,
  latestVersions,
  registeredModelJson,
  registeredModelsIn,
  registryKey,
  STAGES,
  versionJson,
  type ModelVersion,
  type RegisteredModel,
} from '../registry.js';
import { type Router, API } from '../router.js';
import { getRun } from '../runstore.js';
import { compareVals, makePageToken, matches, parseFilter, parseOrderBy, parsePageToken, type Clause, type SortVal } from '../search.js';
import { Fields, keyValues, missingValue } from '../validation.js';
import { checkPromptSource, hasPromptTag, nameTaken, promptView } from '../prompts.js';
import { proxiedPathOfUri } from '../workspaces.js';
import { download } from './artifacts.js';

const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/** DELETE routes read the JSON body only. */
async function bodyFields(ctx: Ctx): Promise<Fields> {
  return ctx.method === 'DELETE' ? Fields.body(await ctx.rawJson()) : ctx.fields();
}

function versionOf(f: Fields): number {
  const raw = f.raw('version');
  if (raw === undefined || raw === '') throw missingValue('version');
  const s = String(raw);
  if (!/^\s*-?\d+\s*$/.test(s)) throw invalidParam(`Parameter 'version' must be an integer, got '${s}'.`);
  return Number(s);
}

function touch(ctx: Ctx, ...items: Array<{ lastUpdatedTs: number }>): void {
  const now = ctx.state.store.registryNow();
  for (const i of items) i.lastUpdatedTs = now;
}

// ---------------------------------------------------------------- registered models

async function createRegisteredModel(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const { store } = ctx.state;
  const tags = new Map(keyValues(f.objList('tags'), 'tags').map((t) => [t.key, t.value]));
  const taken = store.registry.get(registryKey(ctx.ws, name));
  if (taken) throw nameTaken(name, hasPromptTag(taken.tags), hasPromptTag(tags));
  const now = store.registryNow();
  const rm: RegisteredModel = {
    workspace: ctx.ws,
    name,
    creationTs: now,
    lastUpdatedTs: now,
    description: f.str('description') || undefined,
    tags,
    aliases: new Map(),
    versions: new Map(),
    lastVersion: 0,
  };
  store.registry.set(registryKey(ctx.ws, name), rm);
  // The auth app's after-request step: the creator (admins too) gets MANAGE on the model / prompt.
  if (ctx.state.auth && ctx.user) ctx.state.auth.grantModel(name, ctx.user.id, 'MANAGE');
  return json({ registered_model: registeredModelJson(rm) });
}

async function getRegistered(ctx: Ctx) {
  const f = await ctx.fields();
  return json({ registered_model: registeredModelJson(getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!)) });
}

async function renameRegistered(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const newName = f.str('new_name', true)!;
  const { store } = ctx.state;
  const rm = getRegisteredModel(store, ctx.ws, name);
  if (newName !== name && store.registry.has(registryKey(ctx.ws, newName)))
    throw alreadyExists(
      `Registered Model (name=${newName}) already exists. Error: (raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n` +
        '(sqlite3.IntegrityError) UNIQUE constraint failed: registered_models.workspace, registered_models.name\n' +
        '[SQL: UPDATE registered_models SET name=? WHERE registered_models.workspace = ? AND registered_models.name = ?]\n' +
        `[parameters: (${pyRepr(newName)}, ${pyRepr(ctx.ws)}, ${pyRepr(name)})]\n` +
        SQLA_BACKGROUND,
    );
  store.registry.delete(registryKey(ctx.ws, name));
  rm.name = newName;
  touch(ctx, rm);
  store.registry.set(registryKey(ctx.ws, newName), rm);
  ctx.state.auth?.renameModel(name, newName);
  return json({ registered_model: registeredModelJson(rm) });
}

/** An update without description clears it (recorded). */
async function updateRegistered(ctx: Ctx) {
  const f = await ctx.fields();
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  rm.description = f.str('description') || undefined;
  touch(ctx, rm);
  return json({ registered_model: registeredModelJson(rm) });
}

async function deleteRegistered(ctx: Ctx) {
  const f = await bodyFields(ctx);
  const name = f.str('name', true)!;
  getRegisteredModel(ctx.state.store, ctx.ws, name);
  ctx.state.store.registry.delete(registryKey(ctx.ws, name));
  ctx.state.auth?.dropModel(name);
  return json({});
}

async function setRegisteredTag(ctx: Ctx) {
  const f = await ctx.fields();
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  rm.tags.set(f.str('key', true)!, f.str('value') ?? '');
  return json({});
}

async function deleteRegisteredTag(ctx: Ctx) {
  const f = await bodyFields(ctx);
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  rm.tags.delete(f.str('key', true)!);
  return json({});
}

function checkAliasName(alias: string): void {
  if (alias.toLowerCase() === 'latest') throw invalidParam("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalidParam(`Version alias name '${alias}' is reserved.`);
  if (!/^[\w-]+$/.test(alias))
    throw invalidParam(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
}

async function setAlias(ctx: Ctx) {
  const f = await ctx.fields();
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  const alias = f.str('alias', true)!;
  checkAliasName(alias);
  const mv = getVersion(rm, versionOf(f));
  rm.aliases.set(alias, mv.version);
  touch(ctx, rm);
  return json({});
}

async function deleteAlias(ctx: Ctx) {
  const f = await bodyFields(ctx);
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  rm.aliases.delete(f.str('alias', true)!);
  return json({});
}

/** An unknown alias is a 400, not a 404; `latest` names the newest version (recorded). */
async function getByAlias(ctx: Ctx) {
  const f = await ctx.fields();
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  const alias = f.str('alias', true)!;
  let version = rm.aliases.get(alias);
  if (version === undefined && alias.toLowerCase() === 'latest' && rm.versions.size) version = Math.max(...rm.versions.keys());
  if (version === undefined) throw invalidParam(`Registered model alias ${alias} not found.`);
  return json({ model_version: versionJson(rm, getVersion(rm, version), true) });
}

async function getLatest(ctx: Ctx) {
  const f = await ctx.fields();
  const rm = getRegisteredModel(ctx.state.store, ctx.ws, f.str('name', true)!);
  const stages = f.strList('stages').map(normalStage);
  const out: Record<string, unknown> = {};
  const latest = latestVersions(rm, stages);
  if (latest.length) out.model_versions = latest.map((mv) => versionJson(rm, mv, false));
  return json(out);
}

function clausesOf(filter: string | undefined): Clause[] {
  try {
    return parseFilter(filter);
  } catch {
    throw invalidParam(`Invalid clause(s) in filter string: ${filter}`);
  }
}

function maxResults(f: Fields, fallback: number, limit: number): number {
  const raw = f.raw('max_results');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw invalidParam(`Invalid value for max_results. It must be a positive integer, but got ${String(raw)}`);
  if (n > limit)
    throw invalidParam(
      `Invalid value ${JSON.stringify(String(raw))} for parameter 'max_results' supplied:  Hint: Value was of type '${typeof raw === 'string' ? 'str' : 'int'}'. See the API docs for more information about request parameters.`,
    );
  return n;
}

function page<T>(items: T[], f: Fields, max: number, key: string, toJson: (t: T) => unknown): Reply {
  const offset = parsePageToken(f.str('page_token'));
  const slice = items.slice(offset, offset + max);
  const out: Record<string, unknown> = {};
  if (slice.length) out[key] = slice.map(toJson);
  if (items.length > offset + max) out.next_page_token = makePageToken(offset + max);
  return json(out);
}

function sorter<T>(orderBy: string[], value: (t: T, key: string) => SortVal, fallback: Array<(a: T, b: T) => number>) {
  const orders = orderBy.map(parseOrderBy);
  return (a: T, b: T): number => {
    for (const o of orders) {
      const c = compareVals(value(a, o.key), value(b, o.key), o.asc);
      if (c) return c;
    }
    for (const fb of fallback) {
      const c = fb(a, b);
      if (c) return c;
    }
    return 0;
  };
}

const RM_ATTRS: Record<string, (rm: RegisteredModel) => SortVal> = {
  name: (rm) => rm.name,
  timestamp: (rm) => rm.lastUpdatedTs,
  last_updated_timestamp: (rm) => rm.lastUpdatedTs,
};

async function searchRegistered(ctx: Ctx) {
  const f = await ctx.fields();
  const max = maxResults(f, 100, 1000);
  const { clauses, hidePrompts } = promptView(clausesOf(f.str('filter')));
  const hits = registeredModelsIn(ctx.state.store, ctx.ws).filter((rm) =>
    !(hidePrompts && hasPromptTag(rm.tags)) &&
    clauses.every((c) => (c.type === 'tag' ? matches(rm.tags.get(c.key), c) : matches(RM_ATTRS[c.key]?.(rm), c))),
  );
  hits.sort(sorter<RegisteredModel>(f.strList('order_by'), (rm, key) => RM_ATTRS[key]?.(rm), [(a, b) => compareVals(a.name, b.name, true)]));
  return page(hits, f, max, 'registered_models', registeredModelJson);
}

// ---------------------------------------------------------------- model versions

const NO_RELATIVE =
  'If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.';

/** Where a version's files are, or an error for a source the server refuses. */
function storageOf(ctx: Ctx, source: string, runId: string): { location: string; modelId?: string; runId?: string } {
  const { store } = ctx.state;
  const scheme = /^([a-zA-Z][\w+.-]*):/.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'models') {
    const id = source.slice('models:/'.length);
    const m = store.models.get(id);
    const ws = m && store.experiments.get(m.experimentId)?.workspace;
    if (!m || m.deleted || ws !== ctx.ws)
      throw new MlflowError(
        'INTERNAL_ERROR',
        `Unable to fetch model from model URI source artifact location '${source}'.Error: Logged model with ID '${id}' not found.`,
      );
    return { location: m.artifactUri, modelId: m.id, runId: m.sourceRunId };
  }
  if (scheme === 'runs') {
    const [rid, ...rest] = source.slice('runs:/'.length).split('/');
    const run = getRun(store, ctx.ws, rid ?? '');
    return { location: [run.artifactUri, ...rest].filter(Boolean).join('/') };
  }
  const path = source.replace(/^[a-zA-Z][\w+.-]*:(\/\/[^/]*)?/, '');
  if (path.split('/').includes('..')) throw invalidParam(`Invalid model version source: '${source}'. ${NO_RELATIVE}`);
  if (!scheme || scheme === 'file') {
    const run = runId ? store.runs.get(runId) : undefined;
    if (!run || !source.startsWith(run.artifactUri))
      throw invalidParam(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.`,
      );
  }
  return { location: source };
}

/** The logged model behind a version lists it in its `mlflow.modelVersions` tag (version as a number). */
function recordOnLoggedModel(ctx: Ctx, modelId: string, name: string, version: number): void {
  const m = ctx.state.store.models.get(modelId);
  if (!m) return;
  let list: unknown[] = [];
  try {
    const parsed = JSON.parse(m.tags.get(MODEL_VERSIONS_TAG) ?? '[]') as unknown;
    if (Array.isArray(parsed)) list = parsed;
  } catch {
    list = [];
  }
  list.push({ name, version });
  m.tags.set(MODEL_VERSIONS_TAG, pyJsonDumps(list));
}

async function createVersion(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const source = f.str('source', true)!;
  const requestedRun = f.str('run_id') ?? '';
  const { store } = ctx.state;
  const tags = new Map(keyValues(f.objList('tags'), 'tags').map((t) => [t.key, t.value]));
  // A prompt version's source is a label, not a location (no run needed, local paths refused).
  const isPrompt = hasPromptTag(tags);
  if (isPrompt) checkPromptSource(source);
  else if (!/^models:/i.test(source)) storageOf(ctx, source, requestedRun);
  const rm = getRegisteredModel(store, ctx.ws, name);
  const where = isPrompt ? { location: source } : storageOf(ctx, source, requestedRun);
  const now = store.registryNow();
  const mv: ModelVersion = {
    version: ++rm.lastVersion,
    creationTs: now,
    lastUpdatedTs: now,
    stage: 'None',
    description: f.str('description') ?? '',
    source,
    runId: requestedRun || where.runId || '',
    runLink: f.str('run_link') ?? '',
    status: 'READY',
    tags,
    storageLocation: where.location,
    modelId: f.str('model_id') || where.modelId,
  };
  rm.versions.set(mv.version, mv);
  rm.lastUpdatedTs = now;
  if (where.modelId) recordOnLoggedModel(ctx, where.modelId, rm.name, mv.version);
  return json({ model_version: versionJson(rm, mv, false) });
}

async function versionFromRequest(ctx: Ctx, f: Fields): Promise<[RegisteredModel, ModelVersion]> {
  const name = f.str('name', true)!;
  const version = versionOf(f);
  const rm = ctx.state.store.registry.get(registryKey(ctx.ws, name));
  if (!rm) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
  return [rm, getVersion(rm, version)];
}

async function getVersionRoute(ctx: Ctx) {
  const [rm, mv] = await versionFromRequest(ctx, await ctx.fields());
  return json({ model_version: versionJson(rm, mv, true) });
}

/** An update without description removes the key from later answers (recorded). */
async function updateVersion(ctx: Ctx) {
  const f = await ctx.fields();
  const [rm, mv] = await versionFromRequest(ctx, f);
  mv.description = f.str('description') || undefined;
  touch(ctx, mv);
  return json({ model_version: versionJson(rm, mv, false) });
}

async function deleteVersion(ctx: Ctx) {
  const [rm, mv] = await versionFromRequest(ctx, await bodyFields(ctx));
  rm.versions.delete(mv.version);
  for (const [alias, v] of rm.aliases) if (v === mv.version) rm.aliases.delete(alias);
  return json({});
}

async function setVersionTag(ctx: Ctx) {
  const f = await ctx.fields();
  const [, mv] = await versionFromRequest(ctx, f);
  mv.tags.set(f.str('key', true)!, f.str('value') ?? '');
  return json({});
}

async function deleteVersionTag(ctx: Ctx) {
  const f = await bodyFields(ctx);
  const [, mv] = await versionFromRequest(ctx, f);
  mv.tags.delete(f.str('key', true)!);
  return json({});
}

function normalStage(stage: string): string {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalidParam(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

async function transitionStage(ctx: Ctx) {
  const f = await ctx.fields();
  const [rm, mv] = await versionFromRequest(ctx, f);
  const stage = normalStage(f.str('stage', true)!);
  if (f.bool('archive_existing_versions')) {
    if (stage !== 'Staging' && stage !== 'Production')
      throw new MlflowError(
        'INTERNAL_ERROR',
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
      );
    for (const other of rm.versions.values())
      if (other !== mv && other.stage === stage) {
        other.stage = 'Archived';
        touch(ctx, other);
      }
  }
  mv.stage = stage;
  touch(ctx, mv);
  return json({ model_version: versionJson(rm, mv, false) });
}

async function downloadUri(ctx: Ctx) {
  const [, mv] = await versionFromRequest(ctx, await ctx.fields());
  return json({ artifact_uri: mv.storageLocation });
}

async function versionArtifact(ctx: Ctx) {
  const f = await ctx.fields();
  const [, mv] = await versionFromRequest(ctx, f);
  const path = f.str('path') ?? '';
  const base = proxiedPathOfUri(mv.storageLocation);
  if (base === undefined) throw invalidParam(`Unsupported artifact URI: ${mv.storageLocation}`);
  return download(ctx, path ? `${base}/${path}` : base, path);
}

const MV_ATTRS: Record<string, (x: { rm: RegisteredModel; mv: ModelVersion }) => SortVal> = {
  name: (x) => x.rm.name,
  version_number: (x) => x.mv.version,
  run_id: (x) => x.mv.runId,
  source_path: (x) => x.mv.source,
  creation_timestamp: (x) => x.mv.creationTs,
  last_updated_timestamp: (x) => x.mv.lastUpdatedTs,
  current_stage: (x) => x.mv.stage,
};

async function searchVersions(ctx: Ctx) {
  const f = await ctx.fields();
  const max = maxResults(f, 10_000, 200_000);
  const { clauses, hidePrompts } = promptView(clausesOf(f.str('filter')));
  const hits = registeredModelsIn(ctx.state.store, ctx.ws)
    .filter((rm) => !(hidePrompts && [...rm.versions.values()].some((mv) => hasPromptTag(mv.tags))))
    .flatMap((rm) => [...rm.versions.values()].map((mv) => ({ rm, mv })))
    .filter((x) => clauses.every((c) => (c.type === 'tag' ? matches(x.mv.tags.get(c.key), c) : matches(MV_ATTRS[c.key]?.(x), c))));
  hits.sort(
    sorter(f.strList('order_by'), (x, key) => MV_ATTRS[key]?.(x), [
      (a, b) => compareVals(a.rm.name, b.rm.name, true),
      (a, b) => b.mv.version - a.mv.version,
    ]),
  );
  return page(hits, f, max, 'model_versions', (x) => versionJson(x.rm, x.mv, false));
}

export function registerRegistry(r: Router): void {
  r.add(API, '/registered-models/create', ['POST'], 'registered-models/create', createRegisteredModel);
  r.add(API, '/registered-models/get', ['GET'], 'registered-models/get', getRegistered);
  r.add(API, '/registered-models/search', ['GET'], 'registered-models/search', searchRegistered);
  r.add(API, '/registered-models/rename', ['POST'], 'registered-models/rename', renameRegistered);
  r.add(API, '/registered-models/update', ['PATCH'], 'registered-models/update', updateRegistered);
  r.add(API, '/registered-models/delete', ['DELETE'], 'registered-models/delete', deleteRegistered);
  r.add(API, '/registered-models/set-tag', ['POST'], 'registered-models/set-tag', setRegisteredTag);
  r.add(API, '/registered-models/delete-tag', ['DELETE'], 'registered-models/delete-tag', deleteRegisteredTag);
  r.add(API, '/registered-models/alias', ['POST'], 'registered-models/alias', setAlias);
  r.add(API, '/registered-models/alias', ['DELETE'], 'registered-models/delete-alias', deleteAlias);
  r.add(API, '/registered-models/alias', ['GET'], 'registered-models/get-alias', getByAlias);
  r.add(API, '/registered-models/get-latest-versions', ['GET', 'POST'], 'registered-models/get-latest-versions', getLatest);
  r.add(API, '/model-versions/create', ['POST'], 'model-versions/create', createVersion);
  r.add(API, '/model-versions/get', ['GET'], 'model-versions/get', getVersionRoute);
  r.add(API, '/model-versions/search', ['GET'], 'model-versions/search', searchVersions);
  r.add(API, '/model-versions/update', ['PATCH'], 'model-versions/update', updateVersion);
  r.add(API, '/model-versions/delete', ['DELETE'], 'model-versions/delete', deleteVersion);
  r.add(API, '/model-versions/set-tag', ['POST'], 'model-versions/set-tag', setVersionTag);
  r.add(API, '/model-versions/delete-tag', ['DELETE'], 'model-versions/delete-tag', deleteVersionTag);
  r.add(API, '/model-versions/transition-stage', ['POST'], 'model-versions/transition-stage', transitionStage);
  r.add(API, '/model-versions/get-download-uri', ['GET'], 'model-versions/get-download-uri', downloadUri);
  r.addRule('/model-versions/get-artifact', ['GET'], 'model-versions/get-artifact', versionArtifact);
}
