/**
 * The canonical run: what every backend reads into and writes from.
 *
 * It is shaped like an MLflow run because MLflow is where most runs live now; Neptune archives map
 * onto it through a published table (docs/neptune-mapping.md). Nothing here is held whole in
 * memory by the engine except the small parts (info, params, tags, inputs): metric histories move
 * as async batches and files as streams.
 */

/** An int64 from a store: a number while it is a safe integer, a bigint beyond +-2^53. */
export type Int64 = number | bigint;

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

/** Run-level facts. Ids are the store's own; `parentRunId` names the parent in the same store. */
export interface RunInfo {
  runId: string;
  name?: string;
  user?: string;
  /** Epoch milliseconds. */
  startTime?: number;
  endTime?: number;
  status: RunStatus;
  deleted: boolean;
  experimentId?: string;
  artifactUri?: string;
  parentRunId?: string;
  /**
   * Optional: a short digest of what the source's listing says about the run (status, times, name,
   * params, tags, latest metric values, ...). When it equals the token a copy was last synced with,
   * the run has not changed and a re-run reads and writes nothing for it (engine/sync-run.ts).
   */
  stateToken?: string;
}

/**
 * Type of a value where the source knows it (Neptune atoms). MLflow params and tags are strings;
 * a typed target (a Neptune archive) uses the type to write the right column.
 */
export type ValueType = 'string' | 'float' | 'int' | 'bool' | 'datetime' | 'string_set';

export interface KeyValue {
  key: string;
  value: string;
  /** Absent means 'string'. `datetime` values are ISO-8601 UTC; `string_set` values are JSON arrays. */
  type?: ValueType;
}

/** One metric point. `value` may be NaN or +-Infinity; `timestamp` is epoch ms. */
export interface MetricPoint {
  value: number;
  timestamp: number;
  step: Int64;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  dataset: Dataset;
  tags: KeyValue[];
}

/** A file of the run's artifact tree: a relative POSIX path below the run's artifact root. */
export interface FileEntry {
  path: string;
  size: number;
  /**
   * Modification time (ms since the epoch), where a listing gives it without reading the file
   * (local folders). A sync uses it to find a file rewritten with the same size (engine/file-change.ts).
   */
  modifiedMs?: number;
}

/** Project (experiment) metadata copied along with the runs. */
export interface ProjectMeta {
  /** The store's id of the project (MLflow experiment id), where it has one. */
  id?: string;
  tags: KeyValue[];
  description?: string;
  artifactLocation?: string;
  creationTime?: number;
}
