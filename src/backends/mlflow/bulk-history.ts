/**
 * Metric histories of many runs in one request: the web UI's
 * `GET /ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id=A&run_id=B&metric_key=K&max_results=N`.
 *
 * What the server does (mlflow/server/handlers.py get_metric_history_bulk_handler on a SQL store;
 * recorded in the golden case metrics-history-bulk): at most 100 run ids; the points of all of them
 * sorted by run id, then timestamp, step, value; the combined list cut at max_results (at most
 * 25 000) with no token and no sign of the cut. Points are plain dicts: NaN comes as a bare token.
 *
 * So an answer that reached max_results may have lost points of its last run and of every run
 * after it. Runs before the last one are complete; the rest are asked again, and a run that fills
 * a whole answer on its own has a big history: it is left to the per-run get-history paging,
 * which streams. Runs the answer holds no point of are left to per-run paging too, so nothing
 * rests on the bulk route but what it plainly answered.
 */
import type { MetricPoint } from '../../model/run.js';
import type { MlflowHttpClient } from './http-client.js';
import { asRecord, toDouble, toInt64, toMillis, toStr } from './json.js';

export const BULK_HISTORY_PATH = '/ajax-api/2.0/mlflow/metrics/get-history-bulk';
/** The server's limit of run ids per request. */
export const MAX_RUNS_PER_BULK = 100;
/** The server's cap of max_results. */
export const MAX_BULK_RESULTS = 25_000;

export interface BulkAnswer {
  /** Complete histories by run id. */
  complete: Map<string, MetricPoint[]>;
  /** Runs whose history could not be taken from the bulk route (big, or absent from every answer). */
  perRun: Set<string>;
  /** Bulk requests sent. */
  requests: number;
}

/**
 * Every history of `key` for `runIds` (any order, at most MAX_RUNS_PER_BULK), asking again after
 * each cut. Runs that fill a whole answer alone end up in `perRun`; after `giveUpAfterBig` of them
 * in a row the remaining runs go there too (a project of big runs gains nothing from the route).
 */
export async function bulkHistories(
  client: MlflowHttpClient,
  workspace: string,
  key: string,
  runIds: readonly string[],
  maxResults: number,
  giveUpAfterBig = 2,
): Promise<BulkAnswer> {
  if (runIds.length > MAX_RUNS_PER_BULK) throw new RangeError(`at most ${MAX_RUNS_PER_BULK} runs per bulk history request`);
  const limit = Math.max(1, Math.min(maxResults, MAX_BULK_RESULTS));
  const complete = new Map<string, MetricPoint[]>();
  const perRun = new Set<string>();
  let pending = [...new Set(runIds)].sort();
  let requests = 0;
  let bigInARow = 0;
  while (pending.length > 0) {
    if (bigInARow >= giveUpAfterBig) {
      for (const id of pending) perRun.add(id);
      break;
    }
    requests++;
    const text = await client.text({
      method: 'GET',
      path: BULK_HISTORY_PATH,
      query: { run_id: pending, metric_key: key, max_results: limit },
      workspace,
      what: 'metrics/get-history-bulk',
    });
    const { byRun, order, count } = parseBulkAnswer(text, new Set(pending));
    if (count < limit) {
      // Not cut: what is there is all there is.
      for (const id of pending) {
        const points = byRun.get(id);
        if (points && points.length > 0) complete.set(id, points);
        else perRun.add(id);
      }
      break;
    }
    const last = order[order.length - 1];
    const sortedAnswer = order.every((id, i) => i === 0 || order[i - 1]! < id);
    if (last === undefined || !sortedAnswer) {
      // A cut answer in an order this code does not know: trust none of it.
      for (const id of pending) perRun.add(id);
      break;
    }
    const rest: string[] = [];
    for (const id of pending) {
      if (id < last) {
        const points = byRun.get(id);
        if (points && points.length > 0) complete.set(id, points);
        else perRun.add(id);
      } else if (id !== last || pending[0] !== last) {
        rest.push(id);
      }
    }
    if (pending[0] === last) {
      // One run filled the whole answer: a big history, streamed per run.
      perRun.add(last);
      bigInARow++;
    } else {
      bigInARow = 0;
    }
    pending = rest;
  }
  return { complete, perRun, requests };
}

/** Bare NaN / Infinity tokens (Python's json.dumps) turned into strings JSON.parse accepts. */
const BARE_NON_FINITE = /(:\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g;
/** Steps beyond 2^53 kept as text (see parseHistoryPage). */
const BIG_STEP_LITERAL = /("step"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g;

interface ParsedBulk {
  byRun: Map<string, MetricPoint[]>;
  /** Run ids in the order they first appear. */
  order: string[];
  /** Points in the answer, of any run. */
  count: number;
}

/** One answer of the bulk route: points grouped by run (runs not asked for are counted, not kept). */
export function parseBulkAnswer(text: string, wanted: ReadonlySet<string>): ParsedBulk {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = JSON.parse(text.replace(BARE_NON_FINITE, '$1"$2"'));
  }
  let metrics = asRecord(doc).metrics;
  if (Array.isArray(metrics) && metrics.some((m) => typeof asRecord(m).step === 'number' && !Number.isSafeInteger(asRecord(m).step))) {
    metrics = asRecord(JSON.parse(text.replace(BARE_NON_FINITE, '$1"$2"').replace(BIG_STEP_LITERAL, '$1"$2"'))).metrics;
  }
  const byRun = new Map<string, MetricPoint[]>();
  const order: string[] = [];
  const list = Array.isArray(metrics) ? metrics : [];
  for (const item of list) {
    const m = asRecord(item);
    const runId = toStr(m.run_id) ?? '';
    let points = byRun.get(runId);
    if (!points) {
      points = [];
      byRun.set(runId, points);
      order.push(runId);
    }
    if (!wanted.has(runId)) continue;
    points.push({
      value: typeof m.value === 'number' ? m.value : toDouble(m.value),
      timestamp: typeof m.timestamp === 'number' ? m.timestamp : (toMillis(m.timestamp) ?? 0),
      step: typeof m.step === 'number' ? m.step : toInt64(m.step, 0),
    });
  }
  return { byRun, order, count: list.length };
}
