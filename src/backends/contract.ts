/**
 * The one interface every backend implements, after rclone's `Fs` and unstorage's `Driver`:
 * a handful of required methods, and declared capabilities the engine adapts to instead of
 * naming backends. A backend lives in one folder under src/backends/ and passes the suite in
 * test/conformance/.
 *
 * A `Store` is one opened store URI (a server, an mlruns folder, a SQLite file, an archive).
 * Reading goes Store -> SourceProject -> SourceRun; writing goes Store -> TargetProject ->
 * TargetRun. A backend that only reads throws from `openTarget` (capabilities.write = false).
 */
import type { Readable } from 'node:stream';
import type {
  DatasetInput,
  FileEntry,
  KeyValue,
  MetricPoint,
  ProjectMeta,
  RunInfo,
  RunStatus,
} from '../model/run.js';
import type { ProjectRef } from '../model/project-ref.js';
import type { ModelLinks, RegistryStore, SourceModels, TargetModels } from './model-contract.js';

export type * from './model-contract.js';

export interface Credentials {
  token?: string;
  username?: string;
  password?: string;
}

/** What a target accepts per write call; the engine never sends more. */
export interface BatchLimits {
  maxMetrics: number;
  maxParams: number;
  maxTags: number;
  /** Metrics + params + tags in one call. */
  maxEntities: number;
}

export interface ValueLimits {
  /** Longest key of a param, tag or metric. */
  maxKeyLength: number;
  maxParamValueLength: number;
  maxTagValueLength: number;
}

/**
 * How non-finite metric values survive in the store:
 * - `exact`: NaN and +-Infinity round-trip;
 * - `infinity-clamped`: NaN round-trips, +-Infinity come back as +-1.7976931348623157e308 (MLflow SQL);
 * - `nan-as-null`: NaN is stored as null and read back as NaN (Neptune archives).
 */
export type NonFiniteSupport = 'exact' | 'infinity-clamped' | 'nan-as-null';

export interface Capabilities {
  read: boolean;
  write: boolean;
  /** Target keeps a given start time, end time, status, user (else they go to old_sys/*). */
  setsStartTime: boolean;
  setsEndTime: boolean;
  setsStatus: boolean;
  setsUser: boolean;
  /** Target can hold deleted runs (copied as create, fill, finish, delete). */
  keepsDeletedRuns: boolean;
  /** Source understands an MLflow search filter string (`--filter`). */
  nativeFilter: boolean;
  /** Target keeps `KeyValue.type` (typed atoms) instead of plain strings. */
  typedValues: boolean;
  nonFinite: NonFiniteSupport;
  batch: BatchLimits;
  limits: ValueLimits;
  /** Metric writes the engine may have in flight into one run at once. */
  writeConcurrency: number;
  /**
   * Longest artifact path component in UTF-8 bytes; longer ones are renamed by the engine's
   * published rule (engine/key-mapping.ts). Optional: 255, the common file-system limit.
   */
  maxPathComponentBytes?: number;
  /** Target keeps an exact duplicate point (same key, timestamp, step, value) once (MLflow SQL stores). */
  dropsExactDuplicatePoints?: boolean;
}

/** Optional: a store with a model registry also implements RegistryStore (model-contract.ts). */
export interface Store extends Partial<RegistryStore> {
  /** Backend name, e.g. `mlflow`, `mlruns`, `mlflow-sqlite`, `neptune-export`. */
  readonly kind: string;
  /** The URI to show and to record in old_sys/uri: never holds a credential. */
  readonly displayUri: string;
  /** A normalised form of the location, to detect source == target. */
  readonly identity: string;
  readonly capabilities: Capabilities;
  /**
   * Why a key cannot be written to this store (param, tag or metric), or undefined when it can.
   * A pure function of the key: the engine renames refused keys by its published rule
   * (engine/key-mapping.ts), asking this method about single characters (`a@a`) and candidates,
   * and reports each rename.
   */
  rejectKey(key: string): string | undefined;
  /**
   * Why an artifact path (already a safe relative path) cannot be written to this store, or
   * undefined. Optional and pure like rejectKey: refused characters are renamed by the same rule;
   * what no rename fixes is reported, never a reason to fail the run.
   */
  rejectPath?(path: string): string | undefined;

  /** Open a project to read. Throws NotFoundError / AuthError / UnreachableError with a clear text. */
  openSource(ref: ProjectRef): Promise<SourceProject>;
  /**
   * Open the project to write into. With `create` false nothing is written (dry run) and
   * undefined is returned when the project does not exist yet. When creating, `meta` (tags,
   * description) is applied to the new project; an existing project gets the tags it lacks.
   */
  openTarget(ref: ProjectRef, meta: ProjectMeta, options: OpenTargetOptions): Promise<TargetProject | undefined>;
  /**
   * What the store holds, for `runs-migrator inspect`: a JSON-able summary and its text form.
   * Optional: stores without it say so.
   */
  inspect?(): Promise<StoreSummary>;
  /**
   * Every active project of the store, for whole-store copies (`--all-projects`). Optional: a
   * store without it cannot be copied whole.
   */
  listProjects?(options?: ListProjectsOptions): Promise<ProjectRef[]>;
  /**
   * Makes sure a workspace exists in this store, creating it when the store allows (MLflow servers
   * with workspaces). Optional: stores without it hold the `default` workspace only.
   */
  ensureWorkspace?(name: string): Promise<'exists' | 'created'>;
  /** What opening the store found worth a line in the log (the schema revision it recognised). Optional. */
  readonly notes?: readonly string[];
  /** Requests this store retried so far (transient failures); for the report. Optional. */
  retryCount?(): number;
  close(): Promise<void>;
}

/** Which workspaces a whole-store listing covers (stores with one workspace ignore it). */
export interface ListProjectsOptions {
  /** `all`, or these names; default: the `default` workspace. */
  workspaces?: 'all' | readonly string[];
}

export interface StoreSummary {
  summary: unknown;
  text: string;
}

export interface RunQuery {
  includeDeleted: boolean;
  /** A native (MLflow search) filter; only given when capabilities.nativeFilter. */
  filter?: string;
}

/** Optional: logged models through SourceModels (model-contract.ts). */
export interface SourceProject extends Partial<SourceModels> {
  readonly ref: ProjectRef;
  readonly meta: ProjectMeta;
  /** What the listing passed over and why (an unreadable run folder); read after listRuns. */
  readonly issues?: readonly ReadIssue[];
  /** Every run of the project, parents in any order; the engine orders them. */
  listRuns(query: RunQuery): AsyncIterable<RunInfo>;
  openRun(info: RunInfo): Promise<SourceRun>;
  /**
   * Optional: the runs the engine will open next, in about the order it opens them (workers open
   * several at once). A source may read ahead for them in bulk - MLflow servers answer the metric
   * histories of up to 100 runs in one request - within bounded memory. Without it, or for a run
   * it did not read ahead, each run reads its own data.
   */
  readAhead?(runs: readonly RunInfo[]): void;
  /** Optional: frees what listing took (a spool file); the engine calls it when done with the project. */
  close?(): void | Promise<void>;
}

/** Something the source holds that it could not express in the canonical run (reported). */
export interface ReadIssue {
  field: string;
  reason: string;
  /**
   * The source holds this data but it could not be read (a file whose store refused or could not
   * be reached): the run is not a copy, so it fails (no completion marker) instead of being
   * reported as copied. Unset for data left out by a published rule.
   */
  lost?: boolean;
}

export interface SourceRun {
  readonly info: RunInfo;
  /** Optional: the run's links to logged models (MLflow 3). */
  modelLinks?(): Promise<ModelLinks>;
  params(): Promise<KeyValue[]>;
  /** Every tag, system tags included, as stored (mlflow.parentRunId still names the source parent). */
  tags(): Promise<KeyValue[]>;
  inputs(): Promise<DatasetInput[]>;
  metricKeys(): Promise<string[]>;
  /** The whole history of one metric, in bounded batches. */
  metricHistory(key: string): AsyncIterable<MetricPoint[]>;
  /** Every file below the artifact root, recursively. */
  files(): AsyncIterable<FileEntry>;
  openFile(path: string): Promise<Readable>;
  /** Optional: how many files openFile may serve at once (default 1: one after the other). */
  readonly fileConcurrency?: number;
  /** What could not be read into the canonical run; asked after the run was copied. */
  readIssues?(): ReadIssue[];
  /** Frees what opening the run took (temp files); the engine calls it when done with the run. */
  close?(): Promise<void>;
  /**
   * One metric history as bytes in the store's own format (`format` names it), for a straight
   * copy into a target run of the same format - rclone's server-side copy. Optional; the engine
   * falls back to metricHistory.
   */
  rawMetricHistory?(key: string): { format: string; open(): Readable } | undefined;
}

/** A run in the target that names its source through the provenance tags. */
export interface CopyRecord {
  sourceProject: string;
  sourceRunId: string;
  targetRunId: string;
  /** The completion marker is present. */
  complete: boolean;
  deleted: boolean;
  /**
   * The source's state token (RunInfo.stateToken) the copy was last brought up to date with: the
   * `runs_migrator.source_state` tag. Optional: a store that does not read it back makes every
   * re-run compare the run in full (engine/sync-run.ts).
   */
  sourceState?: string;
}

export interface RunInit {
  name?: string;
  user?: string;
  startTime?: number;
  /** Provenance and other tags wanted from the first write on. */
  tags: KeyValue[];
  source: { project: string; runId: string };
}

export interface MetricBatch {
  key: string;
  points: MetricPoint[];
}

export interface RunValues {
  params: KeyValue[];
  tags: KeyValue[];
  metrics: MetricBatch[];
}

export interface RunEnd {
  status: RunStatus;
  endTime?: number;
  deleted: boolean;
  /** The completion marker: the backend writes it after everything else, before deleting. */
  marker: KeyValue;
}

/** Optional: logged models through TargetModels (model-contract.ts). */
export interface TargetProject extends Partial<TargetModels> {
  readonly ref: ProjectRef;
  readonly id?: string;
  /** Project metadata the target could not take (an experiment tag over its limit). */
  readonly issues?: readonly ReadIssue[];
  /** Every run here that carries provenance, complete or not, deleted or not. */
  listCopies(): AsyncIterable<CopyRecord>;
  createRun(init: RunInit): Promise<TargetRun>;
  /** Remove or hide a partial copy so that it is never taken for a copy again. */
  discardRun(targetRunId: string): Promise<void>;
  /** Delete a complete copy whose source run is deleted (repairs a crash after the marker). */
  deleteRun(targetRunId: string): Promise<void>;
  /**
   * Optional: reopen a complete copy to bring it up to date with its source (a re-run is a sync,
   * DESIGN rule 12). Without it a complete copy is only skipped.
   */
  openCopy?(targetRunId: string): Promise<CopyEditor>;
  /**
   * Optional: bring the project's tags and description up to date with the source's (a sync);
   * returns what changed, one line each. Without it only missing tags are added (openTarget).
   */
  updateMeta?(meta: ProjectMeta): Promise<string[]>;
}

/**
 * A complete copy reopened for a sync. The TargetRun writes append (metrics), add (params,
 * inputs), set (tags) or replace (a file written again); these change what TargetRun cannot.
 */
export interface CopyEditor extends TargetRun {
  deleteTags(keys: string[]): Promise<void>;
  /** Name, status and end time as the source has them now (what the target sets, per capabilities). */
  updateInfo(info: { name?: string; status: RunStatus; endTime?: number }): Promise<void>;
  /** Restores a deleted copy (its source was restored); before any other write. */
  restore(): Promise<void>;
  /**
   * Optional: removes a file of the copy (deleted in the source). Absent, or throwing, where the
   * store cannot: the sync then reports the file instead (engine/runs/sync-run.ts).
   */
  deleteFile?(path: string): Promise<void>;
}

export interface TargetRun {
  readonly runId: string;
  logParams(params: KeyValue[]): Promise<void>;
  setTags(tags: KeyValue[]): Promise<void>;
  /** At most capabilities.batch.maxMetrics points over all batches. */
  logMetrics(batches: MetricBatch[]): Promise<void>;
  /**
   * Optional: params, tags and metrics in one write, within every capabilities.batch limit
   * (maxEntities over the three). The engine sends a small run's values this way, in one request.
   */
  logBatch?(parts: RunValues): Promise<void>;
  logInputs(inputs: DatasetInput[]): Promise<void>;
  /** `path` is a checked relative POSIX path; the stream holds exactly `size` bytes. */
  writeFile(path: string, data: Readable, size: number): Promise<void>;
  /** Optional: how many writeFile calls may run at once (default 1: one after the other). */
  readonly fileConcurrency?: number;
  finish(end: RunEnd): Promise<void>;
  /**
   * Optional: `finish`, with the run's last values written together with the completion marker
   * after the status - a small run's values then need no write of their own. Within the limits of
   * one logBatch; the marker still lands only once the values are stored.
   */
  finishWith?(end: RunEnd, last: RunValues): Promise<void>;
  /** What the target did not keep as sent (duplicate points it stores once); asked after finish. Optional. */
  writeIssues?(): ReadIssue[];
  /** The raw metric format this run takes through writeRawMetricHistory (see SourceRun). */
  readonly rawMetricFormat?: string;
  /**
   * Writes one whole metric history given as bytes in `rawMetricFormat`; tells `onPoints` of the
   * points as they pass and returns their number.
   */
  writeRawMetricHistory?(key: string, data: Readable, onPoints: (count: number) => void): Promise<number>;
}

/** How openTarget opens (or creates) the target project. */
export interface OpenTargetOptions {
  create: boolean;
  /**
   * --target-artifact-location: the artifact location of a project the copy creates (relocation).
   * A project that exists keeps its own; stores that cannot honour it refuse it before writing.
   */
  artifactLocation?: string;
}

/** Options every factory gets when opening a URI. */
export interface OpenOptions {
  credentials: Credentials;
  role: 'source' | 'target';
  /** Told of every retried request (network stores), for logs and progress. Must not throw. */
  onRetry?: (event: { what: string; attempt: number; reason: string }) => void;
  /** Network stores: requests per second never exceeded, all workers together (--max-rps). */
  maxRps?: number;
  /** Network stores: told when they slow down for an overloaded server and when they recover. Must not throw. */
  onNotice?: (message: string) => void;
}

export interface BackendFactory {
  readonly kind: string;
  /** True when this backend serves the URI (by scheme or form). */
  handles(uri: string): boolean;
  open(uri: string, options: OpenOptions): Promise<Store>;
}
