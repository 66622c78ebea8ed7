/**
 * Trace -> run links kept only as entity associations (MLflow's `traces/link-to-run`; recorded:
 * traces-tags-links-delete). Such a link does not show on the trace: the search filter
 * `run_id = '<id>'` finds it (and also the traces whose metadata mlflow.sourceRun names the run),
 * and MLflow's database keeps it as an entity_associations row (trace -> run).
 *
 * The copy links each trace copy to the copies of the runs its source was linked to, after the
 * traces are copied: the target is asked which of its traces each target run is linked to
 * already (once per copy pass), and only the missing links are made, batched per run. So a
 * re-run links nothing twice, and a crash between a trace and its links (or a link that failed)
 * is made up by the next copy even though the trace itself is skipped. A link to a run that was
 * not copied is reported on the trace, and (on a fresh copy) the run id is kept in the tag
 * old_sys/linked_runs. A store without the ability (an mlruns folder: MLflow's FileStore has no
 * link_traces_to_run) is reported on each linked trace, never dropped silently.
 */
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import { errorMessage } from '../../util/errors.js';
import type { TraceResult } from './types.js';

export const OLD_LINKED_RUNS_TAG = TRACE_PROVENANCE.linkedRuns;

/** MLflow's link-to-run takes at most 100 trace ids per call. */
export const LINK_BATCH = 100;

/** Trace id -> the ids of the runs it is linked to (link-to-run). */
export type RunLinkMap = Map<string, Set<string>>;

/** The optional ability of a project object (source or target) to read and make trace -> run links. */
export interface TraceRunLinks {
  /**
   * The link-to-run links of this experiment's traces. A store that can list them all (a
   * database) answers every one of them and may ignore `runIds`; a server answers those to the
   * runs given (one search per run). undefined: the store holds no such links (an older schema).
   */
  traceRunLinks(runIds: readonly string[]): Promise<RunLinkMap | undefined>;
  /**
   * True where the links are found run by run (a server: one trace search per run). Such a source
   * is asked only in a pass that copies a trace, so that a pass copying none (an unchanged sync)
   * costs no request per run; a database answers every link in one query and is asked each pass.
   */
  readonly searchedPerRun?: boolean;
  /** Links traces to a run (at most LINK_BATCH ids; linking again adds nothing). Target side only. */
  linkTracesToRun?(traceIds: string[], runId: string): Promise<void>;
}

export function traceRunLinksOf(project: object | undefined): TraceRunLinks | undefined {
  const p = project as Partial<TraceRunLinks> | undefined;
  return p && typeof p.traceRunLinks === 'function' ? (p as TraceRunLinks) : undefined;
}

export function addLink(map: RunLinkMap, traceId: string, runId: string): void {
  const set = map.get(traceId) ?? new Set<string>();
  set.add(runId);
  map.set(traceId, set);
}

/** A trace's source run links split into the copies' ids and the runs that were not copied. */
export function mapRunLinks(sourceRuns: Iterable<string> | undefined, runCopies: ReadonlyMap<string, string>): { linked: string[]; missing: string[] } {
  const linked: string[] = [];
  const missing: string[] = [];
  for (const runId of [...(sourceRuns ?? [])].sort()) {
    const copy = runCopies.get(runId);
    if (copy !== undefined) linked.push(copy);
    else missing.push(runId);
  }
  return { linked, missing };
}

/** For a fresh copy: the runs not copied go to old_sys/linked_runs (a JSON list) and the notes. */
export function keepMissingRunLinks(tags: Record<string, string>, missing: readonly string[], notes: string[]): void {
  if (missing.length === 0) return;
  tags[OLD_LINKED_RUNS_TAG] = JSON.stringify(missing);
  notes.push(`run link(s) ${missing.join(', ')} (link-to-run): the run was not copied; kept in ${OLD_LINKED_RUNS_TAG}, not linked`);
}

/**
 * After the trace copy: makes the target's link-to-run links that are missing, for copied and
 * skipped traces alike (result.runLinks holds the target run ids). A result whose links could
 * not be made becomes failed (the trace is there; the next copy makes the links).
 */
export async function linkTracesToRuns(results: readonly TraceResult[], target: object | undefined, dryRun: boolean): Promise<void> {
  const wanted = results.filter((r) => r.targetTraceId && r.runLinks && r.runLinks.length > 0 && (r.outcome === 'copied' || r.outcome === 'skipped' || r.outcome === 'updated'));
  if (wanted.length === 0 || dryRun) return;
  const links = traceRunLinksOf(target);
  if (!links?.linkTracesToRun) {
    for (const r of wanted) r.notes.push(`run links ${r.runLinks!.join(', ')} (link-to-run): the target store cannot hold trace-to-run links; not linked`);
    return;
  }
  const fail = (r: TraceResult, why: string) => {
    r.outcome = 'failed';
    r.reason = `${r.reason ? `${r.reason}; ` : ''}${why} (the trace is copied; the next copy makes the links)`;
  };
  const runIds = [...new Set(wanted.flatMap((r) => r.runLinks!))].sort();
  let there: RunLinkMap;
  try {
    there = (await links.traceRunLinks(runIds)) ?? new Map();
  } catch (error) {
    for (const r of wanted) fail(r, `reading the target's links to runs failed: ${errorMessage(error)}`);
    return;
  }
  // Run id -> the results whose copy must be linked to it and is not yet.
  const byRun = new Map<string, TraceResult[]>();
  for (const r of wanted) {
    for (const runId of r.runLinks!) {
      if (there.get(r.targetTraceId!)?.has(runId)) continue;
      const list = byRun.get(runId) ?? [];
      list.push(r);
      byRun.set(runId, list);
    }
  }
  for (const [runId, list] of byRun) {
    for (let i = 0; i < list.length; i += LINK_BATCH) {
      const batch = list.slice(i, i + LINK_BATCH);
      try {
        await links.linkTracesToRun(batch.map((r) => r.targetTraceId!), runId);
        for (const r of batch) r.notes.push(`linked to run ${runId}`);
      } catch (error) {
        for (const r of batch) fail(r, `linking the copy to run ${runId} failed: ${errorMessage(error)}`);
      }
    }
  }
}

/** A verified trace with its one complete copy, for comparing run links. */
export interface RunLinkedPair {
  sourceTraceId: string;
  targetTraceId: string;
  /** The copy's tags (old_sys/linked_runs). */
  copyTags: Record<string, string>;
  result: { status: string; differences: string[] };
}

function keptRuns(tags: Record<string, string>): Set<string> {
  try {
    const parsed: unknown = JSON.parse(tags[OLD_LINKED_RUNS_TAG] ?? '[]');
    return new Set(Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

/**
 * verify: each copy must be linked to the copies of exactly the runs its source is linked to
 * (a link to a run that was not copied: kept in the copy's old_sys/linked_runs, else reported).
 * Only where both sides can read links; the source is read once, the target once per pass.
 */
export async function verifyRunLinks(source: object, target: object, pairs: readonly RunLinkedPair[], runCopies: ReadonlyMap<string, string>, sourceRunIds: readonly string[]): Promise<void> {
  const from = traceRunLinksOf(source);
  const to = traceRunLinksOf(target);
  if (!from || !to || pairs.length === 0) return;
  const notCompared = (why: string) => {
    for (const pair of pairs) {
      pair.result.status = 'error';
      pair.result.differences.push(`not compared: the trace's links to runs: ${why}`);
    }
  };
  let sourceLinks: RunLinkMap | undefined;
  let targetLinks: RunLinkMap | undefined;
  try {
    sourceLinks = await from.traceRunLinks(sourceRunIds);
    if (!sourceLinks || sourceLinks.size === 0) return;
    targetLinks = await to.traceRunLinks([...new Set(runCopies.values())].sort());
  } catch (error) {
    notCompared(errorMessage(error));
    return;
  }
  // A target that holds no links at all: the copy reported that it could not make them.
  if (!targetLinks) return;
  const copyOf = new Map([...runCopies].map(([s, t]) => [t, s]));
  for (const pair of pairs) {
    const { linked, missing } = mapRunLinks(sourceLinks.get(pair.sourceTraceId), runCopies);
    const inCopy = targetLinks.get(pair.targetTraceId) ?? new Set<string>();
    const differences: string[] = [];
    for (const runId of linked) if (!inCopy.has(runId)) differences.push(`run link ${runId} (link-to-run): the source is linked to its run, the copy is not`);
    for (const runId of inCopy) if (!linked.includes(runId)) differences.push(`run link ${runId} (link-to-run): the copy is linked to it, the source is not linked to ${copyOf.get(runId) ?? 'its run'}`);
    const kept = keptRuns(pair.copyTags);
    for (const runId of missing) if (!kept.has(runId)) differences.push(`run link ${runId} (link-to-run): the run was not copied and the copy does not keep its id in ${OLD_LINKED_RUNS_TAG}`);
    if (differences.length > 0) {
      if (pair.result.status === 'ok') pair.result.status = 'different';
      pair.result.differences.push(...differences);
    }
  }
}
