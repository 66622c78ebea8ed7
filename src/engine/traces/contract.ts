/**
 * The traces part of the backend contract: optional abilities, discovered at run time like
 * logged models (backends/model-contract.ts). A project object that has them can give or take
 * MLflow 3 traces; one that has not is reported as "cannot hold traces", never silently skipped.
 */
import type { ReadIssue } from '../../backends/contract.js';
import type { Assessment, Trace, TraceInfo } from '../../model/trace.js';

export interface SourceTraces {
  /** The project's traces, info only (tags and metadata included). */
  listTraces(): AsyncIterable<TraceInfo>;
  /** One whole trace: spans (from wherever the store keeps them) and assessments. */
  readTrace(info: TraceInfo): Promise<Trace & { issues: ReadIssue[] }>;
  /**
   * The assessments a listed trace came with, without another request (a server's traces/search
   * answers them), or undefined. Optional: a source without it has no cheap state token, so its
   * complete copies are not compared again (sync-trace.ts).
   */
  listedAssessments?(info: TraceInfo): Assessment[] | undefined;
  /**
   * The store's own state token of a listed trace, made while listing without reading its
   * assessments (an mlruns folder: its tags and the stat of its assessment files), or undefined.
   * Optional, with readAssessments: a source that has both is compared again only when this token
   * moved, and its assessments are read then.
   */
  listedStateToken?(info: TraceInfo): string | undefined;
  /** The assessments of a listed trace, read for a sync; throws when one cannot be read. */
  readAssessments?(info: TraceInfo): Promise<Assessment[]>;
}

/** A trace in the target that names its source through provenance metadata. */
export interface TraceCopyRecord {
  sourceProject: string;
  sourceTraceId: string;
  targetTraceId: string;
  complete: boolean;
  /** The source state token the copy is up to date with (`runs_migrator.source_state`), when it has one. */
  sourceState?: string;
}

/** What a sync writes into a complete copy: the difference, with the copy's ids. */
export interface TraceUpdate {
  setTags: Record<string, string>;
  deleteTags: string[];
  /** New in the source: created with these (copy) ids. */
  createAssessments: Assessment[];
  /** Changed in the source: the whole assessment as it must be, under the copy's id. */
  updateAssessments: Assessment[];
  /** Copy assessment ids whose source assessment is gone. */
  deleteAssessments: string[];
  /** Every assessment as the copy must hold it, and as it holds it now: for stores whose writes depend on overrides. */
  wantedAssessments: Assessment[];
  copyAssessments: Assessment[];
}

export interface TargetTraces {
  /**
   * How many traces the engine should have in flight for this target at most, when more than its
   * default (a database's group commit fills its commits with them). Optional.
   */
  writeConcurrency?: number;
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
   * Writes one trace whose ids are final: its spans and info (in the order the store needs:
   * an MLflow server takes the info first), then the assessments, and the completion marker
   * (`marker`, a tag) last, so that a half-written trace is never taken for a copy. Answers
   * notes on what the store could not take as it is (reported).
   */
  writeTrace(trace: Trace, marker: { key: string; value: string }): Promise<string[] | void>;
  /** A complete copy's tags and assessments, to compare with its source (sync-trace.ts). Optional. */
  readTraceCopy?(targetTraceId: string): Promise<{ tags: Record<string, string>; assessments: Assessment[] }>;
  /**
   * Writes the difference into a complete copy, then the new state token (a tag) last, so that a
   * sync killed midway is compared again and completed by the next one. Optional: a store without
   * it cannot follow a changed source trace (reported). Answers notes, like writeTrace.
   */
  updateTrace?(targetTraceId: string, update: TraceUpdate, token: { key: string; value: string }): Promise<string[] | void>;
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
 * Counts of the source experiment's GenAI objects a copy without `--registry` leaves behind (its
 * prompts): reported with their counts, never silently. Datasets and scorers report themselves
 * (datasets/, scorers/). A store that cannot hold prompts leaves the count out.
 */
export interface GenaiInventory {
  prompts?: number;
}

export interface GenaiInventorySource {
  genaiInventory(): Promise<GenaiInventory>;
}

export function genaiInventoryOf(project: object | undefined): GenaiInventorySource | undefined {
  const p = project as Partial<GenaiInventorySource> | undefined;
  return p && typeof p.genaiInventory === 'function' ? (p as GenaiInventorySource) : undefined;
}
