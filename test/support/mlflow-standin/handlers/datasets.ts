/**
 * Evaluation-dataset routes under /api/3.0/mlflow/datasets (recorded: `datasets-crud`,
 * `datasets-records`); state and shapes in ../datasets.ts.
 *
 * - create {name, experiment_ids, tags}: `tags` must be a JSON-encoded string (an object is a
 *   400; text that is not JSON a 500 page); names are not unique; experiment ids are not checked.
 * - search (POST body or GET query): filter_string on name / created_time / last_update_time,
 *   experiment_ids, order created_time DESC, max_results + {"offset": N} tokens.
 * - tags: PATCH merges a JSON string of tags (values stored as text), DELETE .../tags/<key> is
 *   idempotent; experiment links: GET experiment-ids, POST add-/remove-experiments.
 * - records: POST upserts a JSON string of records, GET pages them with a base64
 *   "<created_time>:<record_id>" token, DELETE removes ids.
 * - DELETE /datasets/<id> is idempotent.
 */
import type { Ctx } from '../context.js';
import {
  datasetJson,
  datasetNow,
  datasetTable,
  digestOf,
  growSchema,
  hex32,
  inputHashOf,
  orderedRecords,
  recordJson,
  sourceIdOf,
  tagText,
  type Dataset,
  type DatasetRecord,
} from '../datasets.js';
import { invalidParam, MlflowError, notFound } from '../errors.js';
import { json } from '../http.js';
import { parseBody } from '../json.js';
import { pyJsonDumps, pyStrRepr, pyTypeName } from '../pyfmt.js';
import { API3, type Router } from '../router.js';
import { compareVals, makePageToken, matches, parseFilter, parsePageToken, type Clause } from '../search.js';
import { Fields } from '../validation.js';

const DEFAULT_SEARCH_PAGE = 1000;
const DEFAULT_RECORDS_PAGE = 1000;

function getDataset(ctx: Ctx, id: string): Dataset {
  const d = datasetTable(ctx.state.store).datasets.get(id);
  if (!d || d.workspace !== ctx.ws) throw notFound(`Evaluation dataset with id '${id}' not found`);
  return d;
}

/** A JSON-encoded object field (`tags`): a non-string is a 400; text that is not a JSON object fails like the server (500 page). */
function jsonObjectField(f: Fields, name: string): Record<string, unknown> | undefined {
  const raw = f.raw(name);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string')
    throw invalidParam(
      `Invalid value ${JSON.stringify(raw)} for parameter '${name}' supplied:  Hint: Value was of type '${pyTypeName(raw)}'. See the API docs for more information about request parameters.`,
    );
  const parsed = parseBody(raw);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${name} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function textTags(obj: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(obj ?? {}).map(([k, v]) => [k, tagText(v)]));
}

async function create(ctx: Ctx) {
  const f = await ctx.fields();
  const name = f.str('name', true)!;
  const tags = textTags(jsonObjectField(f, 'tags'));
  const t = datasetTable(ctx.state.store);
  const now = datasetNow(t);
  const user = tags['mlflow.user'];
  const d: Dataset = {
    id: `d-${hex32()}`,
    workspace: ctx.ws,
    seq: ++t.seq,
    name,
    tags,
    digest: digestOf(name, now),
    createdTime: now,
    lastUpdateTime: now,
    ...(user ? { createdBy: user, lastUpdatedBy: user } : {}),
    experimentIds: [...new Set(f.strList('experiment_ids'))],
    records: new Map(),
  };
  t.datasets.set(d.id, d);
  return json({ dataset: datasetJson(d, true) });
}

async function get(ctx: Ctx) {
  return json({ dataset: datasetJson(getDataset(ctx, ctx.params.dataset_id!), false) });
}

async function remove(ctx: Ctx) {
  const t = datasetTable(ctx.state.store);
  const d = t.datasets.get(ctx.params.dataset_id!);
  if (d && d.workspace === ctx.ws) t.datasets.delete(d.id);
  return json({});
}

const ATTRS: Record<string, (d: Dataset) => string | number> = {
  name: (d) => d.name,
  dataset_id: (d) => d.id,
  created_time: (d) => d.createdTime,
  last_update_time: (d) => d.lastUpdateTime,
  created_by: (d) => d.createdBy ?? '',
  last_updated_by: (d) => d.lastUpdatedBy ?? '',
};

function clausesOf(filter: string | undefined): Clause[] {
  try {
    return parseFilter(filter);
  } catch {
    throw invalidParam(`Invalid filter string: ${filter}`);
  }
}

async function search(ctx: Ctx) {
  const f = await ctx.fields();
  const clauses = clausesOf(f.str('filter_string'));
  const experimentIds = f.strList('experiment_ids');
  const max = f.int('max_results') ?? DEFAULT_SEARCH_PAGE;
  const hits = [...datasetTable(ctx.state.store).datasets.values()]
    .filter((d) => d.workspace === ctx.ws)
    .filter((d) => !experimentIds.length || d.experimentIds.some((id) => experimentIds.includes(id)))
    .filter((d) => clauses.every((c) => (c.type === 'tag' ? matches(d.tags[c.key], c) : matches(ATTRS[c.key]?.(d), c))))
    .sort((a, b) => compareVals(a.createdTime, b.createdTime, false) || b.seq - a.seq);
  const offset = parsePageToken(f.str('page_token'));
  const slice = hits.slice(offset, offset + Number(max));
  const out: Record<string, unknown> = {};
  if (slice.length) out.datasets = slice.map((d) => datasetJson(d, false));
  if (hits.length > offset + Number(max)) out.next_page_token = makePageToken(offset + Number(max));
  return json(out);
}

async function setTags(ctx: Ctx) {
  const d = getDataset(ctx, ctx.params.dataset_id!);
  const f = await ctx.fields();
  const tags = textTags(jsonObjectField(f, 'tags'));
  Object.assign(d.tags, tags);
  if (tags['mlflow.user']) d.lastUpdatedBy = tags['mlflow.user'];
  d.lastUpdateTime = datasetNow(datasetTable(ctx.state.store));
  return json({});
}

async function deleteTag(ctx: Ctx) {
  const d = getDataset(ctx, ctx.params.dataset_id!);
  delete d.tags[ctx.params.key!];
  return json({});
}

async function experimentIds(ctx: Ctx) {
  const d = getDataset(ctx, ctx.params.dataset_id!);
  return json(d.experimentIds.length ? { experiment_ids: [...d.experimentIds] } : {});
}

async function addExperiments(ctx: Ctx) {
  const d = getDataset(ctx, ctx.params.dataset_id!);
  for (const id of (await ctx.fields()).strList('experiment_ids')) if (!d.experimentIds.includes(id)) d.experimentIds.push(id);
  return json({ dataset: datasetJson(d, false) });
}

async function removeExperiments(ctx: Ctx) {
  const d = getDataset(ctx, ctx.params.dataset_id!);
  const drop = new Set((await ctx.fields()).strList('experiment_ids'));
  d.experimentIds = d.experimentIds.filter((id) => !drop.has(id));
  return json({ dataset: datasetJson(d, false) });
}

// ---------------------------------------------------------------- records

const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The error an upsert into an unknown dataset gets: SQLite's FOREIGN KEY failure, as recorded. */
function foreignKeyError(datasetId: string, item: Record<string, unknown>, now: number): MlflowError {
  const pyNone = (v: unknown) => (v === undefined ? 'None' : pyStrRepr(String(v)));
  const params = [
    pyStrRepr(`dr-${hex32()}`),
    pyStrRepr(datasetId),
    pyStrRepr(pyJsonDumps(item.inputs ?? {})),
    pyStrRepr(pyJsonDumps({ mlflow_wrapped: item.outputs ?? {} })),
    pyStrRepr(pyJsonDumps(item.expectations ?? null)),
    pyStrRepr(pyJsonDumps(item.tags ?? {})),
    pyStrRepr(pyJsonDumps(item.source ?? null)),
    pyNone(undefined),
    pyNone(undefined),
    String(now),
    String(now),
    pyNone(undefined),
    pyNone(undefined),
    pyStrRepr(inputHashOf(item.inputs ?? {})),
  ];
  return new MlflowError(
    'BAD_REQUEST',
    '(raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n' +
      '(sqlite3.IntegrityError) FOREIGN KEY constraint failed\n' +
      '[SQL: INSERT INTO evaluation_dataset_records (dataset_record_id, dataset_id, inputs, outputs, expectations, tags, source, source_id, source_type, created_time, last_update_time, created_by, last_updated_by, input_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]\n' +
      `[parameters: (${params.join(', ')})]\n` +
      '(Background on this error at: https://sqlalche.me/e/20/gkpj)',
  );
}

function recordItems(f: Fields): Record<string, unknown>[] {
  const raw = f.raw('records');
  if (typeof raw !== 'string') throw invalidParam("Missing value for required parameter 'records'.");
  const parsed = parseBody(raw);
  if (!Array.isArray(parsed)) throw new Error('records is not a JSON list');
  return parsed.map((x) => asObject(x) ?? {});
}

async function upsertRecords(ctx: Ctx) {
  const f = await ctx.fields();
  const items = recordItems(f);
  const t = datasetTable(ctx.state.store);
  const now = datasetNow(t);
  const d = t.datasets.get(ctx.params.dataset_id!);
  if (!d || d.workspace !== ctx.ws) {
    if (items.length) throw foreignKeyError(ctx.params.dataset_id!, items[0]!, now);
    return json({ inserted_count: 0, updated_count: 0 });
  }
  let inserted = 0;
  let updated = 0;
  const byHash = new Map([...d.records.values()].map((r) => [r.inputHash, r]));
  for (const item of items) {
    const inputs = item.inputs ?? {};
    const hash = inputHashOf(inputs);
    const tags = asObject(item.tags) ?? {};
    const user = typeof tags['mlflow.user'] === 'string' ? (tags['mlflow.user'] as string) : undefined;
    const known = byHash.get(hash);
    if (known) {
      const exp = asObject(item.expectations);
      if (exp) known.expectations = { ...(known.expectations ?? {}), ...exp };
      known.tags = { ...known.tags, ...tags };
      if (item.outputs !== undefined) known.outputs = item.outputs;
      known.lastUpdateTime = now;
      if (user) known.lastUpdatedBy = user;
      growSchema(d, known);
      updated++;
      continue;
    }
    const source = asObject(item.source);
    const sourceType = typeof source?.source_type === 'string' ? source.source_type : undefined;
    const r: DatasetRecord = {
      id: `dr-${hex32()}`,
      datasetId: d.id,
      inputs,
      inputHash: hash,
      ...(asObject(item.expectations) ? { expectations: { ...asObject(item.expectations) } } : {}),
      tags: { ...tags },
      ...(source ? { source } : {}),
      ...(sourceIdOf(sourceType, source?.source_data) !== undefined ? { sourceId: sourceIdOf(sourceType, source?.source_data) } : {}),
      ...(sourceType ? { sourceType } : {}),
      createdTime: now,
      lastUpdateTime: now,
      ...(user ? { createdBy: user, lastUpdatedBy: user } : {}),
      outputs: item.outputs ?? {},
    };
    d.records.set(r.id, r);
    byHash.set(hash, r);
    growSchema(d, r);
    inserted++;
  }
  d.lastUpdateTime = now;
  d.digest = digestOf(d.name, now);
  return json({ inserted_count: inserted, updated_count: updated });
}

const recordToken = (r: DatasetRecord) => Buffer.from(`${r.createdTime}:${r.id}`).toString('base64');

function afterToken(token: string | undefined): (r: DatasetRecord) => boolean {
  if (!token) return () => true;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const m = /^(\d+):(.*)$/.exec(text);
  if (!m) throw invalidParam(`Invalid page token: ${token}`);
  const time = Number(m[1]);
  const id = m[2]!;
  return (r) => r.createdTime > time || (r.createdTime === time && r.id > id);
}

async function getRecords(ctx: Ctx) {
  const f = await ctx.fields();
  const d = datasetTable(ctx.state.store).datasets.get(ctx.params.dataset_id!);
  if (!d || d.workspace !== ctx.ws) return json({ records: '[]' });
  const max = Number(f.int('max_results') ?? DEFAULT_RECORDS_PAGE);
  const rest = orderedRecords(d).filter(afterToken(f.str('page_token')));
  const page = rest.slice(0, max);
  const out: Record<string, unknown> = { records: pyJsonDumps(page.map(recordJson)) };
  if (rest.length > max) out.next_page_token = recordToken(page[page.length - 1]!);
  return json(out);
}

async function deleteRecords(ctx: Ctx) {
  const f = Fields.body(await ctx.rawJson());
  const d = getDataset(ctx, ctx.params.dataset_id!);
  let deleted = 0;
  for (const id of f.strList('dataset_record_ids')) if (d.records.delete(id)) deleted++;
  if (deleted) {
    d.lastUpdateTime = datasetNow(datasetTable(ctx.state.store));
    d.digest = digestOf(d.name, d.lastUpdateTime);
  }
  return json({ deleted_count: deleted });
}

export function registerDatasets(r: Router): void {
  r.add(API3, '/datasets/create', ['POST'], 'datasets/create', create);
  r.add(API3, '/datasets/search', ['POST', 'GET'], 'datasets/search', search);
  r.add(API3, '/datasets/<dataset_id>', ['GET'], 'datasets/get', get);
  r.add(API3, '/datasets/<dataset_id>', ['DELETE'], 'datasets/delete', remove);
  r.add(API3, '/datasets/<dataset_id>/tags', ['PATCH'], 'datasets/set-tags', setTags);
  r.add(API3, '/datasets/<dataset_id>/tags/<key>', ['DELETE'], 'datasets/delete-tag', deleteTag);
  r.add(API3, '/datasets/<dataset_id>/experiment-ids', ['GET'], 'datasets/experiment-ids', experimentIds);
  r.add(API3, '/datasets/<dataset_id>/add-experiments', ['POST'], 'datasets/add-experiments', addExperiments);
  r.add(API3, '/datasets/<dataset_id>/remove-experiments', ['POST'], 'datasets/remove-experiments', removeExperiments);
  r.add(API3, '/datasets/<dataset_id>/records', ['POST'], 'datasets/upsert-records', upsertRecords);
  r.add(API3, '/datasets/<dataset_id>/records', ['GET'], 'datasets/get-records', getRecords);
  r.add(API3, '/datasets/<dataset_id>/records', ['DELETE'], 'datasets/delete-records', deleteRecords);
}
