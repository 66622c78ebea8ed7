/** metrics/get-history with the 3.11 paging behaviour (see runstore.historyPage). */
import type { Ctx } from '../context.js';
import { jsonText } from '../http.js';
import { type Router, API } from '../router.js';
import { historyPage } from '../runstore.js';
import { makePageToken, parsePageToken } from '../search.js';
import { runIdOf } from './runs.js';

async function getHistory(ctx: Ctx) {
  const f = await ctx.fields();
  const runId = runIdOf(f);
  const key = f.str('metric_key') ?? ''; // unknown or missing key: 200 {}
  const max = Number(f.int('max_results') ?? 0);
  const offset = parsePageToken(f.str('page_token'));
  const { items, next } = historyPage(ctx.state.store, ctx.ws, runId, key, max, offset);
  const parts: string[] = [];
  if (items.length) parts.push('"metrics":[' + items.join(',') + ']');
  if (next !== undefined) parts.push('"next_page_token":' + JSON.stringify(makePageToken(next)));
  return jsonText('{' + parts.join(',') + '}');
}

export function registerMetrics(r: Router): void {
  r.add(API, '/metrics/get-history', ['GET'], 'metrics/get-history', getHistory);
}
