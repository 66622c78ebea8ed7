/**
 * Traces of a project, after its runs and logged models (their links point at the copies).
 * For each source trace, exactly once:
 *
 * 1. A complete copy in the target (provenance old_sys/project + old_sys/trace_id and the
 *    completion marker) is skipped; partial copies (no marker) are discarded and copied again.
 * 2. Ids: between different stores a trace keeps its id, as MLflow's own migration does. On the
 *    same store it gets a new one (the source must not change, and MLflow's start-trace merges
 *    into, or even moves, a trace with the same id). An id found anywhere in the target store
 *    (another experiment, another workspace) is never reused either: the copy looks before it
 *    writes, a page of 100 ids at a time where the target can answer that (traceIdsTaken).
 *    Assessment ids follow the same rule.
 * 3. The backend writes the spans and the info, then the assessments, and the completion marker
 *    last (contract.ts), so a half-written trace is found by the next copy and redone.
 * Traces added to the source since the last copy are picked up by the next one: every copy lists
 * every trace. A complete copy whose source changed since (tags, assessments) is brought up to
 * date (sync-trace.ts), unless the copy is told not to (--no-update).
 */
import { randomBytes } from 'node:crypto';
import type { SourceProject, Store, TargetProject } from '../../backends/contract.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import type { Trace, TraceInfo } from '../../model/trace.js';
import { errorMessage } from '../../util/errors.js';
import type { Provenance } from '../runs/prepare.js';
import { sourceTracesOf, targetTracesOf, type SourceTraces, type TargetTraces, type TraceCopyRecord } from './contract.js';
import { mapTrace } from './map-trace.js';
import { NO_PROMPT_COPY, traceLinks, type PromptLinkPlan } from './prompt-links.js';
import { keepMissingRunLinks, mapRunLinks, type RunLinkMap } from './run-links.js';
import { runStreamPool } from './stream-pool.js';
import { listedStateToken, syncTraceCopy } from './sync-trace.js';
import { traceStateToken } from './trace-state.js';
import type { TraceResult } from './types.js';

export interface TraceCopyContext {
  source: SourceProject;
  sourceStore: Store;
  targetStore: Store;
  /** Undefined in a dry run when the target project does not exist yet. */
  target: TargetProject | undefined;
  dryRun: boolean;
  /** Complete copies whose source changed since are brought up to date (sync-trace.ts); false with --no-update. */
  update?: boolean;
  origin: Provenance;
  runCopies: ReadonlyMap<string, string>;
  modelCopies: ReadonlyMap<string, string>;
  /** Prompt versions copied and source link-prompts associations (prompt-links.ts). */
  promptLinks?: PromptLinkPlan;
  /** The source's link-to-run links (run-links.ts), read once, when the first trace needs them. */
  sourceRunLinks?: () => Promise<RunLinkMap | undefined>;
  /** The source finds links run by run (TraceRunLinks.searchedPerRun): not asked for a trace that is skipped. */
  sourceRunLinksCopiesOnly?: boolean;
  workers: number;
  /** Which traces go with this copy (select.ts); all when absent. */
  selectTrace?: (info: TraceInfo) => boolean;
  signal?: AbortSignal;
  onTraceDone?(result: TraceResult): void;
  now?: () => number;
}

export interface TraceCopyOutcome {
  traces: TraceResult[];
  /** Why no trace could be written at all (the target cannot hold traces). */
  notApplicable?: string;
}

export const newTraceId = (): string => `tr-${randomBytes(16).toString('hex')}`;
export const newAssessmentId = (): string => `a-${randomBytes(16).toString('hex')}`;

export async function copyTraces(context: TraceCopyContext): Promise<TraceCopyOutcome | undefined> {
  const source = sourceTracesOf(context.source);
  if (!source) return undefined;
  const target = targetTracesOf(context.target);
  const traces: TraceResult[] = [];
  if (!target && !context.dryRun) {
    const reason = `${context.targetStore.kind} stores cannot hold MLflow traces`;
    for await (const info of selected(source.listTraces(), context.selectTrace)) traces.push({ ...baseResult(info), outcome: 'unsupported', reason });
    return { traces, notApplicable: reason };
  }
  const copies = target ? await copiesBySourceTrace(target, context.origin.sourceProject) : new Map<string, TraceCopyRecord[]>();
  const sameStore = context.sourceStore.identity === context.targetStore.identity;
  const listed = selected(source.listTraces(), context.selectTrace);
  const paged = target && !context.dryRun && !sameStore ? withTakenIds(listed, target, copies) : withoutLookup(listed);
  await runStreamPool(paged, Math.max(context.workers, target?.writeConcurrency ?? 0), async ({ info, idTaken }, index) => {
    const result = await copyOneTrace(context, source, target, info, copies.get(info.traceId) ?? [], sameStore, idTaken);
    traces[index] = result;
    context.onTraceDone?.(result);
  });
  return { traces };
}

async function* selected(infos: AsyncIterable<TraceInfo>, select: ((info: TraceInfo) => boolean) | undefined): AsyncIterable<TraceInfo> {
  for await (const info of infos) if (!select || select(info)) yield info;
}

/** A listed trace, with whether its id is already taken in the target when that was looked up. */
interface ListedTrace {
  info: TraceInfo;
  idTaken?: boolean;
}

/** Ids looked up this many at a time: one lookup per page of traces instead of one per trace. */
const LOOKUP_PAGE = 100;

async function* withoutLookup(infos: AsyncIterable<TraceInfo>): AsyncIterable<ListedTrace> {
  for await (const info of infos) yield { info };
}

/**
 * Looks before writing, a page at a time: whether each source id is already used anywhere in
 * the target store (rule: look before you write any id you did not mint). Traces with a complete
 * copy need no answer. The next page is listed and looked up while the workers copy this one, so
 * they never wait for a whole page (waiting starved a database's group commit of concurrent
 * traces). Holds at most two pages of infos.
 */
async function* withTakenIds(infos: AsyncIterable<TraceInfo>, target: TargetTraces, copies: Map<string, TraceCopyRecord[]>): AsyncIterable<ListedTrace> {
  const lookup = target.traceIdsTaken?.bind(target);
  if (!lookup) return yield* withoutLookup(infos);
  const iterator = infos[Symbol.asyncIterator]();
  const nextPage = async (): Promise<{ page: TraceInfo[]; asked: Set<string>; taken: Set<string> }> => {
    const page: TraceInfo[] = [];
    while (page.length < LOOKUP_PAGE) {
      const step = await iterator.next();
      if (step.done) break;
      page.push(step.value);
    }
    const asked = new Set(page.filter((info) => !copies.get(info.traceId)?.some((record) => record.complete)).map((info) => info.traceId));
    const taken = asked.size > 0 ? await lookup([...asked]) : new Set<string>();
    return { page, asked, taken };
  };
  let current = await nextPage();
  while (current.page.length > 0) {
    const upcoming = current.page.length < LOOKUP_PAGE ? undefined : nextPage();
    // Seen as handled now; its error, if any, is thrown when it is awaited below.
    upcoming?.catch(() => undefined);
    for (const info of current.page) yield current.asked.has(info.traceId) ? { info, idTaken: current.taken.has(info.traceId) } : { info };
    if (!upcoming) return;
    current = await upcoming;
  }
}

function baseResult(info: TraceInfo): TraceResult {
  const name = info.tags['mlflow.traceName'];
  return { sourceTraceId: info.traceId, ...(name !== undefined ? { name } : {}), outcome: 'planned', spans: 0, assessments: 0, notes: [] };
}

async function copiesBySourceTrace(target: TargetTraces, sourceProject: string): Promise<Map<string, TraceCopyRecord[]>> {
  const copies = new Map<string, TraceCopyRecord[]>();
  for await (const record of target.listTraceCopies()) {
    if (record.sourceProject !== sourceProject) continue;
    const list = copies.get(record.sourceTraceId) ?? [];
    list.push(record);
    copies.set(record.sourceTraceId, list);
  }
  return copies;
}

async function copyOneTrace(
  context: TraceCopyContext,
  source: SourceTraces,
  target: TargetTraces | undefined,
  info: TraceInfo,
  records: TraceCopyRecord[],
  sameStore: boolean,
  idTaken: boolean | undefined,
): Promise<TraceResult> {
  const result = baseResult(info);
  const links = traceLinks(info.tags, info.traceId, context.promptLinks ?? NO_PROMPT_COPY).linked;
  if (links.length > 0) result.promptLinks = links.map((ref) => `${ref.name}/${ref.version}`);
  const complete = records.find((record) => record.complete);
  const partial = records.filter((record) => !record.complete);
  try {
    // A skipped trace's links were made when it was copied; a source that searches run by run is
    // not asked again for it (a link added to the source later, or one lost in a crash between the
    // trace and its links, waits for the next pass that copies a trace: docs/traces.md).
    const readLinks = !(complete && context.sourceRunLinksCopiesOnly);
    const runLinks = mapRunLinks(readLinks ? (await context.sourceRunLinks?.())?.get(info.traceId) : undefined, context.runCopies);
    if (runLinks.linked.length > 0) result.runLinks = runLinks.linked;
    if (complete) {
      // The copy's tags were written when it was made: a run still not copied is only reported.
      if (runLinks.missing.length > 0) result.notes.push(`run link(s) ${runLinks.missing.join(', ')} (link-to-run): the run was not copied; not linked`);
      result.outcome = 'skipped';
      result.targetTraceId = complete.targetTraceId;
      result.reason = `already copied to ${complete.targetTraceId}`;
      if (!context.dryRun && target) for (const leftover of partial) await target.discardTrace(leftover.targetTraceId);
      await syncTraceCopy(context, source, target, info, complete, result, newAssessmentId);
      return result;
    }
    if (context.signal?.aborted) {
      result.outcome = 'failed';
      result.reason = 'not started: the migration was interrupted';
      return result;
    }
    const trace = await source.readTrace(info);
    result.spans = trace.spans.length;
    result.assessments = trace.assessments.length;
    for (const issue of trace.issues) result.notes.push(`${issue.field}: ${issue.reason}`);
    if (context.dryRun || !target) {
      result.outcome = 'planned';
      return result;
    }
    if (partial.length > 0) {
      for (const leftover of partial) await target.discardTrace(leftover.targetTraceId);
      result.discarded = partial.map((leftover) => leftover.targetTraceId);
    }
    // A partial copy just discarded may have held the source id: the page's answer is stale then, look again.
    const targetTraceId = await chooseTraceId(target, info.traceId, sameStore, partial.length > 0 ? undefined : idTaken);
    // Assessment ids go with their trace's: a trace that needs a new id gets new assessment ids too.
    const assessmentIds = await chooseAssessmentIds(target, trace, sameStore || targetTraceId !== info.traceId);
    const mapped = mapTrace(trace, { targetTraceId, assessmentIds, origin: context.origin, runCopies: context.runCopies, modelCopies: context.modelCopies, promptLinks: context.promptLinks });
    result.notes.push(...mapped.notes);
    keepMissingRunLinks(mapped.trace.info.tags, runLinks.missing, result.notes);
    // The state token the copy starts from, written with the provenance (the marker still comes last).
    const token = listedStateToken(source, info) ?? traceStateToken(info.tags, trace.assessments);
    mapped.trace.info.tags[TRACE_PROVENANCE.sourceState] = token;
    const writeNotes = await target.writeTrace(mapped.trace, { key: TRACE_PROVENANCE.completed, value: new Date((context.now ?? Date.now)()).toISOString() });
    if (writeNotes) result.notes.push(...writeNotes);
    result.targetTraceId = targetTraceId;
    result.outcome = 'copied';
  } catch (error) {
    result.outcome = 'failed';
    result.reason = errorMessage(error);
  }
  return result;
}

async function chooseTraceId(target: TargetTraces, sourceId: string, sameStore: boolean, idTaken: boolean | undefined): Promise<string> {
  if (!sameStore && !(idTaken ?? (await target.traceIdTaken(sourceId)))) return sourceId;
  for (;;) {
    const id = newTraceId();
    if (!(await target.traceIdTaken(id))) return id;
  }
}

/** Source assessment id -> target id, for those that change. */
async function chooseAssessmentIds(target: TargetTraces, trace: Trace, renewAll: boolean): Promise<Map<string, string>> {
  const ids = trace.assessments.map((a) => a.assessmentId);
  const changed = new Map<string, string>();
  if (ids.length === 0) return changed;
  const taken = renewAll ? new Set(ids) : ((await target.assessmentIdsTaken?.(ids)) ?? new Set<string>());
  for (const id of ids) if (taken.has(id)) changed.set(id, newAssessmentId());
  return changed;
}

export function targetTraceCopy(tags: Record<string, string>): { sourceTraceId: string; project: string; complete: boolean } | undefined {
  const sourceTraceId = tags[TRACE_PROVENANCE.traceId];
  if (sourceTraceId === undefined) return undefined;
  return { sourceTraceId, project: tags[TRACE_PROVENANCE.project] ?? '', complete: tags[TRACE_PROVENANCE.completed] !== undefined };
}
