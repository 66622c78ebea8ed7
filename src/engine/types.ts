/**
 * The engine's public face: what `copyProject` takes and what it reports.
 */
import type { Store } from '../backends/contract.js';
import type { ProjectRef } from '../model/project-ref.js';
import type { RunStatus } from '../model/run.js';
import type { ModelsReport } from './models/model-types.js';
import type { TracesReport } from './traces/types.js';
import type { ScorersReport } from './scorers/types.js';
import type { DatasetsReport } from './datasets/types.js';

export interface Endpoint {
  store: Store;
  project: ProjectRef;
}

/** Filters applied to source runs (all must match). */
export interface RunFilters {
  runIds?: string[];
  /** Regular expression matched against the run name. */
  runName?: RegExp;
  /** Every given tag must be present with that exact value. */
  tags?: Array<{ key: string; value: string }>;
  /** Start time window, epoch ms, inclusive since / exclusive until. */
  since?: number;
  until?: number;
  statuses?: RunStatus[];
  /** MLflow search filter, passed to sources that understand it (capabilities.nativeFilter). */
  nativeFilter?: string;
}

export interface Shard {
  /** 0-based index of this process's share. */
  index: number;
  count: number;
}

export interface CopyOptions {
  source: Endpoint;
  target: Endpoint;
  /** Runs copied in parallel. */
  workers?: number;
  /**
   * Experimental (issue 9): follow the observed run latency with at most `workers` in parallel
   * instead of a fixed count (measured in bench/small-runs.ts; see docs/benchmarks.md).
   */
  adaptiveWorkers?: boolean;
  dryRun?: boolean;
  includeDeleted?: boolean;
  filters?: RunFilters;
  shard?: Shard;
  /** Receives progress and log events; must not throw. */
  onEvent?: (event: CopyEvent) => void;
  signal?: AbortSignal;
  /** Also copy the registered models whose versions point at the copied runs or logged models. */
  registry?: boolean;
  /** Artifact location of the target project when the copy creates it (--target-artifact-location). */
  targetArtifactLocation?: string;
  /**
   * Bring complete copies up to date with their sources (default true; docs/sync.md). False keeps
   * a complete copy as it is (`--no-update`: a snapshot).
   */
  update?: boolean;
}

/** Counts of what one run holds (or, for a copy, what was written). */
export interface RunCounts {
  params: number;
  tags: number;
  metricKeys: number;
  points: number;
  inputs: number;
  files: number;
  bytes: number;
}

/** A source value the target did not take as it is: never silent. */
export interface RunIssue {
  field: string;
  key?: string;
  /** The name it was written under, when `mapped` to another key or path (engine/key-mapping.ts). */
  targetKey?: string;
  action: 'dropped' | 'truncated' | 'mapped';
  reason: string;
}

/** Something about a whole project that a store passed over or could not take. */
export interface ProjectIssue {
  side: 'source' | 'target';
  field: string;
  reason: string;
}

export type RunOutcome = 'copied' | 'updated' | 'skipped' | 'failed' | 'planned';

export interface RunResult {
  sourceRunId: string;
  sourceName?: string;
  targetRunId?: string;
  outcome: RunOutcome;
  /** Why it was skipped or failed. */
  reason?: string;
  counts: RunCounts;
  issues: RunIssue[];
  /** Partial copies found and discarded before this copy. */
  discarded?: string[];
  /** A sync of a complete copy: what changed (or, in a dry run, would change), one line each. */
  changes?: string[];
  /** Params whose value changed in the source (write-once in MLflow): the copy was left as it is. */
  conflicts?: string[];
  durationMs?: number;
}

export interface CopyReport {
  tool: 'runs-migrator';
  version: string;
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  source: { uri: string; project: string; kind: string };
  target: { uri: string; project: string; kind: string; projectId?: string };
  summary: {
    listed: number;
    filteredOut: number;
    outOfShard: number;
    copied: number;
    /** Complete copies brought up to date with their sources. */
    updated: number;
    skipped: number;
    failed: number;
    planned: number;
    totals: RunCounts;
    retries: number;
  };
  /** Project-level things not copied as they were (never silent). */
  projectIssues: ProjectIssue[];
  /** What a sync changed in the target project's tags and description (absent: nothing). */
  projectChanges?: string[];
  runs: RunResult[];
  /** MLflow 3 logged models, run<->model links and (with registry) the registry; absent when the source has none. */
  models?: ModelsReport;
  /** MLflow 3 traces and what of the experiment's GenAI data was not copied; absent when no side knows traces. */
  traces?: TracesReport;
  /** Scorers registered to the experiment (scorers/); absent when the source holds none. */
  scorers?: ScorersReport;
  /** Evaluation datasets of the experiment (datasets/project-datasets.ts). */
  datasets?: DatasetsReport;
}

export type CopyEvent =
  | { type: 'plan'; toCopy: number; alreadyDone: number; filteredOut: number; outOfShard: number; projectIssues?: ProjectIssue[] }
  | { type: 'run-start'; sourceRunId: string }
  | { type: 'run-done'; result: RunResult; sourceProject: string; targetProject: string }
  | { type: 'progress'; points: number; bytes: number }
  | { type: 'retry'; what: string; attempt: number; reason: string }
  | { type: 'info'; message: string };
