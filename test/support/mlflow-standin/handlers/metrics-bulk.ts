/**
 * GET /ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=A&run_id=B&metric_key=K[&max_results=N]:
 * the web UI's route (Flask, not the protobuf API: only under /ajax-api; /api/2.0 is a 404 page).
 *
 * As get_metric_history_bulk_handler does on a SQL store (recorded in metrics-history-bulk, the
 * rest read from mlflow/server/handlers.py and sqlalchemy_store.get_metric_history_bulk):
 *  - no run_id -> 400 "must specify at least one run_id"; more than 100 -> 400; no metric_key -> 400
 *    (checked in that order); max_results is Python int() of the text (anything else: a 500 page),
 *    capped at 25 000;
 *  - one query `key = K AND run_uuid IN (...) ORDER BY run_uuid, timestamp, step, value LIMIT N`:
 *    repeated run ids count once, unknown ids add nothing, deleted runs are included;
 *  - the combined list is cut at max_results with no token and no sign of the cut;
 *  - points are plain dicts through Flask's jsonify: keys sorted, every field present (no proto3
 *    omission), NaN as the bare token NaN, a newline at the end.
 */
import type { Ctx } from '../context.js';
import { invalidParam } from '../errors.js';
import { internalErrorPage, jsonText } from '../http.js';
import { int64Json } from '../json.js';
import { pyFloatRepr } from '../pyfmt.js';
import type { Router } from '../router.js';

export const BULK_HISTORY_PATH = '/ajax-api/2.0/mlflow/metrics/get-history-bulk';
const MAX_HISTORY_RESULTS = 25_000;
const MAX_RUN_IDS_PER_REQUEST = 100;
/** Python's int() of a str: optional sign, digits with single underscores between, spaces around. */
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/** The run ids of a bulk request (every repetition of run_id), as the handler and the auth app read them. */
export function bulkRunIds(ctx: Ctx): string[] {
  return ctx.query.get('run_id') ?? [];
}

/** max_results as the handler reads it; undefined where Python's int() raises. */
function maxResults(ctx: Ctx): number | undefined {
  const text = ctx.query.get('max_results')?.[0];
  if (text === undefined) return MAX_HISTORY_RESULTS;
  if (!PY_INT.test(text)) return undefined;
  return Math.min(Number(text.replace(/_/g, '').trim()), MAX_HISTORY_RESULTS);
}

function bulkHistory(ctx: Ctx) {
  const runIds = bulkRunIds(ctx);
  if (runIds.length === 0) throw invalidParam('GetMetricHistoryBulk request must specify at least one run_id.');
  if (runIds.length > MAX_RUN_IDS_PER_REQUEST) {
    throw invalidParam(
      `GetMetricHistoryBulk request cannot specify more than ${MAX_RUN_IDS_PER_REQUEST} run_ids. Received ${runIds.length} run_ids.`,
    );
  }
  const key = ctx.query.get('metric_key')?.[0];
  if (key === undefined) throw invalidParam('GetMetricHistoryBulk request must specify a metric_key.');
  const max = maxResults(ctx);
  // int('abc') raises ValueError, which MLflow does not catch: Flask's 500 page.
  if (max === undefined) return internalErrorPage();

  const { store } = ctx.state;
  // SQL LIMIT: 0 gives nothing; SQLite takes a negative limit as "no limit".
  const limit = max < 0 ? Number.POSITIVE_INFINITY : max;
  const items: string[] = [];
  for (const runId of [...new Set(runIds)].sort()) {
    if (items.length >= limit) break;
    const run = store.runs.get(runId);
    if (!run || store.workspaceOfRun(run) !== ctx.ws) continue;
    const series = run.metrics.get(key);
    if (!series) continue;
    const head = '{"key":' + JSON.stringify(key) + ',"run_id":' + JSON.stringify(runId) + ',"step":';
    const n = series.size();
    for (let i = 0; i < n && items.length < limit; i++) {
      const p = series.point(i);
      items.push(head + int64Json(p.step) + ',"timestamp":' + int64Json(p.ts) + ',"value":' + (p.value !== p.value ? 'NaN' : pyFloatRepr(p.value)) + '}');
    }
  }
  // Then Python's metrics[:max_results]: a negative bound drops that many from the end.
  const kept = max < 0 ? items.slice(0, Math.max(0, items.length + max)) : items;
  // Flask's jsonify ends the body with a newline.
  return jsonText('{"metrics":[' + kept.join(',') + ']}\n');
}

export function registerMetricsBulk(r: Router): void {
  r.addRule(BULK_HISTORY_PATH, ['GET'], 'metrics/get-history-bulk', bulkHistory);
}
