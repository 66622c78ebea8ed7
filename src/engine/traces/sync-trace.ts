/**
 * A complete trace copy follows its source (DESIGN rule 12): tags set, changed or deleted, and
 * assessments added, updated or deleted since the copy are written into it, then the new state
 * token last (trace-state.ts). Spans are never compared again: MLflow never changes the spans of
 * a complete trace.
 *
 * Cheap: the source's token comes from its listing (a server's traces/search answers tags and
 * assessments; an mlruns folder stats its assessment files, listedStateToken); only a trace whose
 * recorded token differs is read (the source's assessments where the listing has none, the copy's
 * tags and assessments) and written. A copy without a token (copied before this version) is
 * compared once and gets one.
 */
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import type { Assessment, TraceInfo } from '../../model/trace.js';
import type { SourceTraces, TargetTraces, TraceCopyRecord } from './contract.js';
import type { TraceCopyContext } from './copy-traces.js';
import { mapTrace } from './map-trace.js';
import { assessmentPairKey, isEmptyUpdate, traceDifference, traceStateToken } from './trace-state.js';
import type { TraceResult } from './types.js';

/** The source's token from its listing, or undefined when the source cannot give one cheaply. */
export function listedStateToken(source: SourceTraces, info: TraceInfo): string | undefined {
  const own = source.readAssessments ? source.listedStateToken?.(info) : undefined;
  if (own !== undefined) return own;
  const assessments = source.listedAssessments?.(info);
  return assessments ? traceStateToken(info.tags, assessments) : undefined;
}

/** The source trace's assessments to compare: from its listing, or read now (only for a trace whose token moved). */
async function sourceAssessments(source: SourceTraces, info: TraceInfo): Promise<Assessment[]> {
  const listed = source.listedAssessments?.(info);
  if (listed) return listed;
  if (source.readAssessments) return source.readAssessments(info);
  return [];
}

/**
 * Brings one complete copy up to date, or says why not. `result` arrives as `skipped` (the copy
 * is complete) and leaves as `skipped`, `updated`, `planned` (dry run: would update) or `failed`.
 */
export async function syncTraceCopy(
  context: TraceCopyContext,
  source: SourceTraces,
  target: TargetTraces | undefined,
  info: TraceInfo,
  record: TraceCopyRecord,
  result: TraceResult,
  newAssessmentId: () => string,
): Promise<void> {
  if (!context.update || !target) return;
  const token = listedStateToken(source, info);
  if (token === undefined || token === record.sourceState) return;
  if (!target.readTraceCopy) {
    result.notes.push('the source trace may have changed since the copy; this target cannot read a copy back to compare it (docs/traces.md, known gaps)');
    return;
  }
  const assessments = await sourceAssessments(source, info);
  const copy = await target.readTraceCopy(record.targetTraceId);
  const wanted = mapTrace(
    { info, spans: [], assessments },
    {
      targetTraceId: record.targetTraceId,
      assessmentIds: copyAssessmentIds(assessments, copy.assessments, info.traceId !== record.targetTraceId, newAssessmentId),
      origin: context.origin,
      runCopies: context.runCopies,
      modelCopies: context.modelCopies,
    },
  );
  const { update, changes } = traceDifference({ tags: wanted.trace.info.tags, assessments: wanted.trace.assessments }, copy);
  const tokenTag = { key: TRACE_PROVENANCE.sourceState, value: token };
  if (context.dryRun) {
    if (changes.length === 0) return;
    result.outcome = 'planned';
    result.reason = `would update ${record.targetTraceId}`;
    result.changes = changes;
    return;
  }
  if (!target.updateTrace) {
    if (changes.length === 0) return;
    result.changes = changes;
    result.reason = `already copied to ${record.targetTraceId}; the source changed since, and this target cannot update a copied trace (docs/traces.md, known gaps)`;
    return;
  }
  // Nothing to write but the token (a copy of an earlier version, or a change that maps to nothing): record it, report no change.
  const notes = await target.updateTrace(record.targetTraceId, update, tokenTag);
  if (notes) result.notes.push(...notes);
  if (isEmptyUpdate(update)) return;
  result.outcome = 'updated';
  result.reason = `updated ${record.targetTraceId}`;
  result.changes = changes;
  result.assessments = update.createAssessments.length + update.updateAssessments.length;
}

/**
 * Source assessment id -> the copy's id: the copy's own assessment where there is one (same id,
 * or the same name, source and create time when the copy got new ids); a new assessment keeps its
 * id with its trace's, else gets a new one.
 */
function copyAssessmentIds(source: Assessment[], copy: Assessment[], renewed: boolean, newAssessmentId: () => string): Map<string, string> {
  const ids = new Map<string, string>();
  const copyIds = new Set(copy.map((a) => a.assessmentId));
  const byKey = new Map(copy.map((a) => [assessmentPairKey(a), a.assessmentId]));
  for (const a of source) {
    if (!renewed && copyIds.has(a.assessmentId)) continue;
    const paired = renewed ? byKey.get(assessmentPairKey(a)) : undefined;
    if (paired !== undefined) ids.set(a.assessmentId, paired);
    else if (renewed) ids.set(a.assessmentId, newAssessmentId());
  }
  return ids;
}

