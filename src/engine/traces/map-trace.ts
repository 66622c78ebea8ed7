/**
 * A source trace as it is written into the target (a pure function, published in docs/traces.md):
 *
 * - ids: the trace id and assessment ids chosen by the copy (kept or new, see copy-traces.ts);
 *   spans get the trace id in their document (`trace_id`, `mlflow.traceRequestId`), overrides
 *   between assessments follow the new assessment ids;
 * - tags the store owns (mlflow.artifactLocation, mlflow.trace.spansLocation) are the target's
 *   own; the source's artifact location is kept in old_sys/artifact_location;
 * - provenance tags: old_sys/trace_id, old_sys/project, old_sys/uri, old_sys/experiment_id;
 * - links: metadata mlflow.sourceRun and mlflow.modelId, and an assessment's run id, point at the
 *   copies; a link to something not copied is taken out and its old id kept under old_sys/* (a
 *   tag of the trace, or the assessment's metadata), and reported; mlflow.linkedPrompts names the
 *   target versions of the copied prompts, the others go to old_sys/linked_prompts (prompt-links.ts).
 */
import type { Provenance } from '../runs/prepare.js';
import { TRACE_PROVENANCE } from '../../model/trace-provenance.js';
import { spanForTrace } from '../../model/trace-span.js';
import { TRACE_METADATA, TRACE_TAGS, type Assessment, type Trace } from '../../model/trace.js';
import { mapLinkedPromptTags, NO_PROMPT_COPY, type PromptLinkPlan } from './prompt-links.js';

export interface TraceMapping {
  targetTraceId: string;
  /** Source assessment id -> the id it gets in the target. */
  assessmentIds: Map<string, string>;
  origin: Provenance;
  runCopies: ReadonlyMap<string, string>;
  modelCopies: ReadonlyMap<string, string>;
  /** Prompt versions copied, and the source's link-prompts associations. */
  promptLinks?: PromptLinkPlan;
}

/** Tags a store sets on its own traces: never copied as they are. */
/** Tags of runs-migrator's own bookkeeping on a copy (completion marker, state token). */
export const COPY_BOOKKEEPING = 'runs_migrator.';

export const STORE_OWNED_TAGS: ReadonlySet<string> = new Set([TRACE_TAGS.artifactLocation, TRACE_TAGS.spansLocation]);

export function mapTrace(source: Trace, mapping: TraceMapping): { trace: Trace; notes: string[] } {
  const notes: string[] = [];
  const sourceId = source.info.traceId;
  const targetId = mapping.targetTraceId;
  const tags: Record<string, string> = {};
  // runs_migrator.* on a source trace is the bookkeeping of an earlier copy (a copy of a copy): this copy writes its own.
  for (const [key, value] of Object.entries(source.info.tags)) if (!STORE_OWNED_TAGS.has(key) && !key.startsWith(COPY_BOOKKEEPING)) tags[key] = value;
  tags[TRACE_PROVENANCE.traceId] = sourceId;
  tags[TRACE_PROVENANCE.project] = mapping.origin.sourceProject;
  tags[TRACE_PROVENANCE.uri] = mapping.origin.sourceUri;
  if (source.info.experimentId !== undefined) tags[TRACE_PROVENANCE.experimentId] = source.info.experimentId;
  const location = source.info.tags[TRACE_TAGS.artifactLocation];
  if (location !== undefined) tags[TRACE_PROVENANCE.artifactLocation] = location;
  if (sourceId !== targetId) notes.push(`new trace id ${targetId} (a copy within one store, or the source's id is used in the target store)`);

  const metadata = { ...source.info.metadata };
  const links = [
    { key: TRACE_METADATA.sourceRun, copies: mapping.runCopies, old: TRACE_PROVENANCE.sourceRun, what: 'run' },
    { key: TRACE_METADATA.modelId, copies: mapping.modelCopies, old: TRACE_PROVENANCE.modelId, what: 'logged model' },
  ];
  for (const link of links) {
    const value = metadata[link.key];
    if (value === undefined || value === '') continue;
    const copy = link.copies.get(value);
    if (copy !== undefined) {
      metadata[link.key] = copy;
    } else {
      delete metadata[link.key];
      tags[link.old] = value;
      notes.push(`${link.key}: the ${link.what} ${value} was not copied; its id is kept in ${link.old}`);
    }
  }
  mapLinkedPromptTags(tags, sourceId, mapping.promptLinks ?? NO_PROMPT_COPY, notes);

  const assessments = source.assessments.map((a) => mapAssessment(a, mapping, targetId, notes));
  return {
    trace: {
      info: { ...source.info, traceId: targetId, tags, metadata },
      spans: source.spans.map((span) => spanForTrace(span, sourceId, targetId)),
      assessments,
    },
    notes,
  };
}

function mapAssessment(a: Assessment, mapping: TraceMapping, targetId: string, notes: string[]): Assessment {
  const copy: Assessment = { ...a, metadata: { ...a.metadata }, traceId: targetId, assessmentId: mapping.assessmentIds.get(a.assessmentId) ?? a.assessmentId };
  if (a.overrides !== undefined) {
    const overridden = mapping.assessmentIds.get(a.overrides);
    if (overridden !== undefined) copy.overrides = overridden;
  }
  if (a.runId !== undefined) {
    const run = mapping.runCopies.get(a.runId);
    if (run !== undefined) copy.runId = run;
    else {
      delete copy.runId;
      copy.metadata['old_sys/run_id'] = a.runId;
      notes.push(`assessment ${a.assessmentId}: its run ${a.runId} was not copied; its id is kept in the assessment's metadata old_sys/run_id`);
    }
  }
  return copy;
}
