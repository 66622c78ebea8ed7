/**
 * Provenance of copied traces, in the scheme of runs (provenance.ts): tags on the copy name the
 * source trace and project; the completion marker is the tag written last. A trace copy is
 * matched to its source by (old_sys/project, old_sys/trace_id).
 */
import { PROVENANCE } from './provenance.js';

export const TRACE_PROVENANCE = {
  traceId: 'old_sys/trace_id',
  project: PROVENANCE.project,
  uri: PROVENANCE.uri,
  experimentId: PROVENANCE.experimentId,
  /** The source's mlflow.artifactLocation: the copy gets the target's own. */
  artifactLocation: 'old_sys/artifact_location',
  /** Links the copy could not point at a copy: the source's value. */
  sourceRun: 'old_sys/source_run',
  modelId: 'old_sys/model_id',
  linkedPrompts: 'old_sys/linked_prompts',
  /** Runs a link-to-run link named that were not copied (engine/traces/run-links.ts). */
  linkedRuns: 'old_sys/linked_runs',
  completed: PROVENANCE.completed,
  /** The source's trace state token (tags + assessments) the copy is up to date with (engine/traces/trace-state.ts). */
  sourceState: PROVENANCE.sourceState,
} as const;

export const TRACE_PROVENANCE_KEYS: ReadonlySet<string> = new Set(Object.values(TRACE_PROVENANCE));
