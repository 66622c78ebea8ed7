/**
 * verify for traces: pairs every source trace with its copies through the provenance tags
 * (old_sys/project, old_sys/trace_id) and compares info, spans and assessments (compare-trace.ts).
 * Never clean while something was not compared: a trace whose spans or assessments could not be
 * read on either side is an error, not a pass. Copies whose source trace is gone are listed.
 */
import type { SourceProject, Store } from '../../backends/contract.js';
import type { Trace, TraceInfo } from '../../model/trace.js';
import { errorMessage } from '../../util/errors.js';
import type { VerifyStatus } from '../verify.js';
import { compareTrace, type TraceLinks } from './compare-trace.js';
import { genaiInventoryOf, sourceTracesOf, type SourceTraces } from './contract.js';
import { targetTraceCopy } from './copy-traces.js';
import { notCopiedKinds } from './project-traces.js';
import { runStreamPool } from './stream-pool.js';
import { LINKED_PROMPTS_TAG, parsePromptRefs, verifyPromptAssociations, type LinkedTracePair } from './prompt-links.js';
import type { NotCopiedKind } from './types.js';
import { OLD_LINKED_RUNS_TAG, verifyRunLinks, type RunLinkedPair } from './run-links.js';

export interface VerifyTraceResult {
  sourceTraceId: string;
  name?: string;
  targetTraceIds: string[];
  status: VerifyStatus;
  differences: string[];
  spans: number;
  assessments: number;
}

export interface VerifyTracesReport {
  clean: boolean;
  /** Why traces were not compared at all. */
  notCompared?: string;
  summary: Record<VerifyStatus, number> & { traces: number; extra: number; spans: number; assessments: number };
  traces: VerifyTraceResult[];
  extra: Array<{ sourceTraceId: string; targetTraceId: string }>;
  /** GenAI objects of the source not copied (nor compared) by this version. */
  notCopied: NotCopiedKind[];
}

export interface VerifyTracesInput {
  sourceStore: Store;
  targetStore: Store;
  source: SourceProject;
  target: SourceProject;
  sourceProjectName: string;
  links: TraceLinks;
  workers: number;
  /** verify --registry: prompts are compared (models.prompts), not listed as not copied. */
  registry?: boolean;
  /** Which source traces the copy took (select.ts); all when absent. */
  selectTrace?: (info: TraceInfo) => boolean;
}

interface CopyEntry {
  info: TraceInfo;
  complete: boolean;
}

export async function verifyTraces(input: VerifyTracesInput): Promise<VerifyTracesReport | undefined> {
  const source = sourceTracesOf(input.source);
  const target = sourceTracesOf(input.target);
  const notCopied = notCopiedKinds((await genaiInventoryOf(input.source)?.genaiInventory()) ?? {}, input.registry ?? false);
  const summary: VerifyTracesReport['summary'] = { traces: 0, ok: 0, missing: 0, partial: 0, duplicated: 0, different: 0, error: 0, extra: 0, spans: 0, assessments: 0 };
  if (!source) {
    return { clean: true, notCompared: `${input.sourceStore.kind} stores hold no MLflow traces: traces are not applicable`, summary, traces: [], extra: [], notCopied };
  }
  const traces: VerifyTraceResult[] = [];
  if (!target) {
    for await (const info of source.listTraces()) traces.push({ ...base(info), status: 'missing', differences: [`${input.targetStore.kind} stores cannot hold MLflow traces`] });
    return finish(traces, [], summary, notCopied, `${input.targetStore.kind} stores cannot hold MLflow traces`);
  }
  // The copies' infos (tags and metadata, no spans) are held: one entry per copied trace.
  const copies = new Map<string, CopyEntry[]>();
  for await (const info of target.listTraces()) {
    const copy = targetTraceCopy(info.tags);
    if (!copy || copy.project !== input.sourceProjectName) continue;
    const list = copies.get(copy.sourceTraceId) ?? [];
    list.push({ info, complete: copy.complete });
    copies.set(copy.sourceTraceId, list);
  }
  const seen = new Set<string>();
  const linked: LinkedTracePair[] = [];
  const runLinked: RunLinkedPair[] = [];
  await runStreamPool(source.listTraces(), input.workers, async (info, index) => {
    seen.add(info.traceId);
    if (input.selectTrace && !input.selectTrace(info)) return;
    const result = (traces[index] = await verifyOne(info, copies.get(info.traceId) ?? [], source, target, input.links));
    const refs = parsePromptRefs(info.tags[LINKED_PROMPTS_TAG]);
    const only = (copies.get(info.traceId) ?? []).filter((c) => c.complete);
    if (only.length === 1 && result.status !== 'missing') {
      const kept = only[0]!.info.tags[OLD_LINKED_RUNS_TAG];
      runLinked.push({ sourceTraceId: info.traceId, targetTraceId: only[0]!.info.traceId, copyTags: kept !== undefined ? { [OLD_LINKED_RUNS_TAG]: kept } : {}, result });
    }
    if (input.registry && refs.length > 0 && result.targetTraceIds.length === 1) linked.push({ sourceTraceId: info.traceId, targetTraceId: result.targetTraceIds[0]!, refs, result });
  });
  // With --registry the prompt links made by traces/link-prompts are compared too (prompt-links.ts).
  await verifyPromptAssociations(input.source, input.target, linked);
  // So are the links to runs made by link-to-run (run-links.ts), where both sides can read them.
  await verifyRunLinks(input.source, input.target, runLinked, input.links.runCopies, [...input.links.runCopies.keys()].sort());
  const extra: VerifyTracesReport['extra'] = [];
  for (const [sourceTraceId, list] of copies) {
    if (!seen.has(sourceTraceId)) for (const copy of list) extra.push({ sourceTraceId, targetTraceId: copy.info.traceId });
  }
  return finish(traces, extra, summary, notCopied);
}

function base(info: TraceInfo): Omit<VerifyTraceResult, 'status' | 'differences'> {
  const name = info.tags['mlflow.traceName'];
  return { sourceTraceId: info.traceId, ...(name !== undefined ? { name } : {}), targetTraceIds: [], spans: 0, assessments: 0 };
}

function finish(unpacked: VerifyTraceResult[], extra: VerifyTracesReport['extra'], summary: VerifyTracesReport['summary'], notCopied: NotCopiedKind[], notCompared?: string): VerifyTracesReport {
  // Traces left out by a filter or shard leave holes in the list.
  const traces = unpacked.filter((trace) => trace !== undefined);
  summary.traces = traces.length;
  summary.extra = extra.length;
  for (const trace of traces) {
    summary[trace.status]++;
    summary.spans += trace.spans;
    summary.assessments += trace.assessments;
  }
  return {
    clean: summary.ok === summary.traces && extra.length === 0,
    ...(notCompared ? { notCompared } : {}),
    summary,
    traces,
    extra,
    notCopied,
  };
}

async function verifyOne(info: TraceInfo, copies: CopyEntry[], source: SourceTraces, target: SourceTraces, links: TraceLinks): Promise<VerifyTraceResult> {
  const result: VerifyTraceResult = { ...base(info), targetTraceIds: copies.map((c) => c.info.traceId), status: 'ok', differences: [] };
  const complete = copies.filter((c) => c.complete);
  if (complete.length === 0) {
    result.status = copies.length > 0 ? 'partial' : 'missing';
    result.differences.push(copies.length > 0 ? 'only partial copies (no completion marker)' : 'no copy in the target');
    return result;
  }
  if (complete.length > 1) {
    result.status = 'duplicated';
    result.differences.push(`${complete.length} complete copies`);
    return result;
  }
  try {
    const original = await source.readTrace(info);
    const copy = await target.readTrace(complete[0]!.info);
    result.spans = original.spans.length;
    result.assessments = original.assessments.length;
    const unread = [...original.issues.map((i) => `source ${i.field}: ${i.reason}`), ...copy.issues.map((i) => `copy ${i.field}: ${i.reason}`)];
    if (unread.length > 0) {
      result.status = 'error';
      result.differences.push(...unread.map((text) => `not compared: ${text}`));
    }
    const differences = compareTrace(original as Trace, copy as Trace, links);
    if (differences.length > 0) {
      if (result.status === 'ok') result.status = 'different';
      result.differences.push(...differences);
    }
  } catch (error) {
    result.status = 'error';
    result.differences.push(`not compared: ${errorMessage(error)}`);
  }
  return result;
}
