/**
 * logged-models/search (POST only): experiment_ids required, filter on attributes, params, tags
 * and metrics joined by AND, `datasets` restricting metric clauses, order_by as a list of
 * {field_name, ascending, dataset_name, dataset_digest} objects, and a page token that embeds the
 * experiment ids, filter and order (reused with another filter: 400; undecodable: 500 page).
 */
import type { Ctx } from '../context.js';
import { invalidParam } from '../errors.js';
import { internalErrorPage, json, type Reply } from '../http.js';
import { loggedModelJson } from '../runjson.js';
import { compareVals, matches, parseFilter, type Clause, type SortVal } from '../search.js';
import type { LoggedModel, ModelMetric } from '../store.js';
import { missingValue } from '../validation.js';

const DEFAULT_MAX_RESULTS = 50;
const ENTITIES = ['attributes', 'metrics', 'params', 'tags'];
const ATTRIBUTES: Record<string, (m: LoggedModel) => SortVal> = {
  name: (m) => m.name,
  model_id: (m) => m.id,
  model_type: (m) => m.modelType,
  status: (m) => m.status,
  source_run_id: (m) => m.sourceRunId,
  experiment_id: (m) => m.experimentId,
  creation_timestamp: (m) => m.creationTs,
  creation_time: (m) => m.creationTs,
  last_updated_timestamp: (m) => m.lastUpdatedTs,
};

interface Dataset {
  name?: string;
  digest?: string;
}

interface Order {
  field: string;
  asc: boolean;
  dataset?: Dataset;
}

interface Token {
  experiment_ids: string[];
  filter_string: string | null;
  order_by: Order[] | null;
  offset: number;
}

const pyNone = (v: unknown) => (v === null || v === undefined ? 'None' : typeof v === 'string' ? v : JSON.stringify(v));

/** The entity prefixes this endpoint knows (the runs parser knows more and words its error otherwise). */
function checkEntities(filter: string): void {
  for (const part of filter.split(/\s+AND\s+/i)) {
    const id = /^\s*([A-Za-z_][\w]*)\./.exec(part);
    if (id && !ENTITIES.includes(id[1]!))
      throw invalidParam(`Invalid entity type: '${id[1]}'. Expected one of ${JSON.stringify(ENTITIES).replace(/"/g, "'").replace(/,/g, ', ')}.`);
  }
}

function parseOrders(raw: unknown): Order[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((o: Record<string, unknown>) => {
    const field = typeof o?.field_name === 'string' ? o.field_name : '';
    const dot = field.indexOf('.');
    if (dot >= 0 ? field.slice(0, dot) !== 'metrics' : !(field in ATTRIBUTES))
      throw invalidParam(`Invalid order by field name: ${field}. Only metrics are supported.`);
    const dataset = typeof o.dataset_name === 'string' ? { name: o.dataset_name, digest: typeof o.dataset_digest === 'string' ? o.dataset_digest : undefined } : undefined;
    return { field, asc: o.ascending !== false, dataset };
  });
}

function inDatasets(x: ModelMetric, datasets: Dataset[]): boolean {
  return datasets.length === 0 || datasets.some((d) => x.datasetName === d.name && x.datasetDigest === d.digest);
}

function clauseHolds(m: LoggedModel, c: Clause, datasets: Dataset[]): boolean {
  if (c.type === 'param') return matches(m.params.get(c.key), c);
  if (c.type === 'tag') return matches(m.tags.get(c.key), c);
  if (c.type === 'metric') return m.metrics.some((x) => x.key === c.key && inDatasets(x, datasets) && matches(x.value, c));
  const get = ATTRIBUTES[c.key];
  if (!get) throw invalidParam(`Invalid attribute key '${c.key}' specified.`);
  return matches(get(m), c);
}

/** The metric a model is ordered by: its latest row of that key (in the dataset when one is named). */
function metricValue(m: LoggedModel, key: string, dataset: Dataset | undefined): number | undefined {
  let best: ModelMetric | undefined;
  for (const x of m.metrics) {
    if (x.key !== key) continue;
    if (dataset && (x.datasetName !== dataset.name || (dataset.digest !== undefined && x.datasetDigest !== dataset.digest))) continue;
    if (!best || Number(x.ts) > Number(best.ts) || (Number(x.ts) === Number(best.ts) && Number(x.step) >= Number(best.step))) best = x;
  }
  return best?.value;
}

function decodeToken(token: string): Token | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Token;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.offset === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function searchLoggedModels(ctx: Ctx): Promise<Reply> {
  const f = await ctx.fields();
  const experimentIds = f.strList('experiment_ids');
  if (experimentIds.length === 0) throw missingValue('experiment_ids');
  const max = Number(f.int('max_results') ?? DEFAULT_MAX_RESULTS);
  const filter = f.str('filter') || null;
  const rawOrder = f.raw('order_by');
  const orders = parseOrders(rawOrder);
  const datasets: Dataset[] = f.objList('datasets').map((d) => ({
    name: typeof d.dataset_name === 'string' ? d.dataset_name : undefined,
    digest: typeof d.dataset_digest === 'string' ? d.dataset_digest : undefined,
  }));
  let offset = 0;
  const pageToken = f.str('page_token');
  if (pageToken) {
    const token = decodeToken(pageToken);
    if (!token) return internalErrorPage();
    if (token.filter_string !== filter)
      throw invalidParam(`Filter string in the page token does not match the requested filter string. Expected: ${pyNone(filter)}. Found: ${pyNone(token.filter_string)}`);
    if (JSON.stringify(token.experiment_ids) !== JSON.stringify(experimentIds))
      throw invalidParam(`Experiment IDs in the page token do not match the requested experiment IDs. Expected: ${JSON.stringify(experimentIds)}. Found: ${JSON.stringify(token.experiment_ids)}`);
    if (JSON.stringify(token.order_by ?? null) !== JSON.stringify(rawOrder ?? null))
      throw invalidParam('Order by in the page token does not match the requested order by.');
    offset = token.offset;
  }
  if (filter) checkEntities(filter);
  const clauses = parseFilter(filter ?? undefined);
  const { store } = ctx.state;
  const wanted = new Set(experimentIds);
  const hits = [...store.models.values()].filter((m) => {
    if (m.deleted || !wanted.has(m.experimentId) || store.experiments.get(m.experimentId)?.workspace !== ctx.ws) return false;
    // Naming datasets restricts the models to those with a metric row in one of them.
    if (datasets.length && !m.metrics.some((x) => inDatasets(x, datasets))) return false;
    return clauses.every((c) => clauseHolds(m, c, datasets));
  });
  hits.sort((a, b) => {
    for (const o of orders) {
      const [va, vb] = o.field.startsWith('metrics.')
        ? [metricValue(a, o.field.slice(8), o.dataset), metricValue(b, o.field.slice(8), o.dataset)]
        : [ATTRIBUTES[o.field]!(a), ATTRIBUTES[o.field]!(b)];
      const c = compareVals(va, vb, o.asc);
      if (c) return c;
    }
    return b.creationTs - a.creationTs || b.seq - a.seq;
  });
  const page = hits.slice(offset, offset + max);
  const out: Record<string, unknown> = {};
  if (page.length) out.models = page.map((m) => loggedModelJson(m, true));
  if (hits.length > offset + max) {
    const token: Token = { experiment_ids: experimentIds, filter_string: filter, order_by: (rawOrder as Order[] | undefined) ?? null, offset: offset + max };
    out.next_page_token = Buffer.from(JSON.stringify(token)).toString('base64');
  }
  return json(out);
}
