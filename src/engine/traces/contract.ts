/**
 * The traces part of the backend contract: optional abilities, discovered at run time like
 * logged models (backends/model-contract.ts). A project object that has them can give or take
 * MLflow 3 traces; one that has not is reported as "cannot hold traces", never silently skipped.
 */
import type { ReadIssue } from '../../backends/contract.js';
import type { Trace, TraceInfo } from '../../model/trace.js';

export interface SourceTraces {
  /** The project's traces, info only (tags and metadata included). */
  listTraces(): AsyncIterable<TraceInfo>;
  /** One whole trace: spans (from wherever the store keeps them) and assessments. */
  readTrace(info: TraceInfo): Promise<Trace & { issues: ReadIssue[] }>;
}

/** A trace in the target that names its source through provenance metadata. */
export interface TraceCopyRecord {
  sourceProject: string;
  sourceTraceId: string;
  targetTraceId: string;
  complete: boolean;
}

export interface TargetTraces {
  /** Every trace here that carries provenance, complete or not. */
  listTraceCopies(): AsyncIterable<TraceCopyRecord>;
  /** Is this trace id used anywhere in the store (any experiment, any workspace)? */
  traceIdTaken(traceId: string): Promise<boolean>;
  /**
   * The same question for a page of ids at once (one request or query instead of one per trace):
   * answers the taken ones. Optional; the engine falls back to traceIdTaken.
   */
  traceIdsTaken?(traceIds: string[]): Promise<Set<string>>;
  /** Are these assessment ids used anywhere in the store? Answers the taken ones. */
  assessmentIdsTaken?(assessmentIds: string[]): Promise<Set<string>>;
  /**
   * Writes one trace whose ids are final: spans first, then the info, then the assessments, and
   * the completion marker (`marker`, a tag) last, so that a half-written trace is never
   * taken for a copy. Answers notes on what the store could not take as it is (reported).
   */
  writeTrace(trace: Trace, marker: { key: string; value: string }): Promise<string[] | void>;
  /** Removes a partial copy so it is never taken for a copy again. */
  discardTrace(targetTraceId: string): Promise<void>;
}

export function sourceTracesOf(project: object | undefined): SourceTraces | undefined {
  const p = project as Partial<SourceTraces> | undefined;
  return p && typeof p.listTraces === 'function' && typeof p.readTrace === 'function' ? (p as SourceTraces) : undefined;
}

export function targetTracesOf(project: object | undefined): TargetTraces | undefined {
  const p = project as Partial<TargetTraces> | undefined;
  return p && typeof p.listTraceCopies === 'function' && typeof p.writeTrace === 'function' ? (p as TargetTraces) : undefined;
}

/**
 * Counts of the source experiment's GenAI objects this version does not copy yet (evaluation
 * datasets, prompts, scorers): reported with their counts, never silently left behind. A kind the
 * store cannot hold is left out.
 */
export interface GenaiInventory {
  datasets?: number;
  prompts?: number;
  scorers?: number;
}

export interface GenaiInventorySource {
  genaiInventory(): Promise<GenaiInventory>;
}

export function genaiInventoryOf(project: object | undefined): GenaiInventorySource | undefined {
  const p = project as Partial<GenaiInventorySource> | undefined;
  return p && typeof p.genaiInventory === 'function' ? (p as GenaiInventorySource) : undefined;
}
