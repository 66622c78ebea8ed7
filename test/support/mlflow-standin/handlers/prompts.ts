/**
 * Prompt links: POST /api/2.0/mlflow/traces/link-prompts {trace_id, prompt_versions: [{name,
 * version}]} answers {} and checks nothing (unknown traces and prompts are accepted; a repeat adds
 * nothing). The link does not show on the trace; it is what the trace search filter
 * `prompt = '<name>/<version>'` reads, so the links are kept here for the trace routes to ask
 * (recorded: `prompts-links`). The prompts themselves are registered models: handlers/registry.ts
 * with the rules of ../prompts.ts.
 */
import type { Ctx } from '../context.js';
import { json } from '../http.js';
import { type Router, API } from '../router.js';
import type { Store } from '../store.js';
import { missingValue } from '../validation.js';

/** Per store: trace id -> set of "name/version". Kept beside the store so store.ts stays as it is. */
const links = new WeakMap<Store, Map<string, Set<string>>>();

function linksOf(store: Store): Map<string, Set<string>> {
  let m = links.get(store);
  if (!m) links.set(store, (m = new Map()));
  return m;
}

/** The "name/version" prompt links of a trace, in link order. */
export function promptLinksOfTrace(store: Store, traceId: string): string[] {
  return [...(linksOf(store).get(traceId) ?? [])];
}

/** Whether a trace is linked to `name/version` (the search filter `prompt = 'name/version'`). */
export function traceLinkedToPrompt(store: Store, traceId: string, nameSlashVersion: string): boolean {
  return linksOf(store).get(traceId)?.has(nameSlashVersion) ?? false;
}

async function linkPrompts(ctx: Ctx) {
  const f = await ctx.fields();
  const traceId = f.str('trace_id', true)!;
  const set = linksOf(ctx.state.store).get(traceId) ?? new Set<string>();
  for (const [i, pv] of f.objList('prompt_versions').entries()) {
    const name = pv.name;
    const version = pv.version;
    if (typeof name !== 'string' || !name) throw missingValue(`prompt_versions[${i}].name`);
    if (version === undefined || version === null || version === '') throw missingValue(`prompt_versions[${i}].version`);
    set.add(`${name}/${String(version)}`);
  }
  linksOf(ctx.state.store).set(traceId, set);
  return json({});
}

export function registerPrompts(r: Router): void {
  // 2.0 only: under /api/3.0 the path falls on the trace routes (405 there, recorded).
  r.add(API, '/traces/link-prompts', ['POST'], 'traces/link-prompts', linkPrompts);
}
