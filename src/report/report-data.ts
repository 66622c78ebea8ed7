/**
 * What the HTML report embeds as JSON and its page (page/app.js) draws. Kept compact: a report for
 * 10,000 runs must stay well under 20 MB, so per-run details are bounded (see limits.ts).
 */
import type { RunIssue } from '../engine/types.js';
import type { NotCopiedKind, TracesReport } from '../engine/traces/types.js';
import type { DatasetsReport } from '../engine/datasets/types.js';
import type { MetricChart } from './metric-curve.js';
import type { GenaiObjectsSection } from './genai-objects-section.js';

export const REPORT_DATA_FORMAT = 1;

export interface Location {
  uri: string;
  project: string;
  kind: string;
}

export interface HtmlReportData {
  format: typeof REPORT_DATA_FORMAT;
  tool: 'runs-migrator';
  version: string;
  command: 'copy' | 'verify';
  createdAt: string;
  source: Location;
  target: Location;
  summary: {
    runs: number;
    /** copy only. */
    copied?: number;
    /** Complete copies a sync brought up to date (copy only). */
    updated?: number;
    skipped?: number;
    failed?: number;
    /** A comparison ran (verify, or copy with --verify/--html). */
    verified: boolean;
    /** verify's counts by status (ok, different, missing, ...), when it ran. */
    statuses?: Record<string, number>;
    clean?: boolean;
    extra?: number;
    points: number;
    files: number;
    bytes: number;
    durationMs: number;
    exitStatus: number;
  };
  /** What the page says about downsampling and left-out details. */
  limits: {
    pointsPerSeries: number;
    detailsLeftOut: number;
    note: string;
  };
  runs: RunRow[];
  /** Copies in the target whose source run is not in the source project. */
  extra: Array<{ targetRunId: string; sourceRunId: string; project?: string }>;
  /** MLflow 3 traces: absent when neither the copy nor verify reported any. */
  traces?: TracesSection;
  /** Prompts and scorers (genai-objects-section.ts): absent when neither report has any. */
  genaiObjects?: GenaiObjectsSection;
  /** Evaluation datasets: absent when neither the copy nor verify saw any (dataset-section.ts). */
  datasets?: DatasetsSection;
  /**
   * A copy of many projects (--all-projects, whole-store.ts): a row per project, and every run
   * row (and extra copy) names its project. Absent for a one-project report.
   */
  projects?: ProjectRow[];
}

/** One project of a whole-store copy: its own summary, as its section of the page. */
export interface ProjectRow {
  project: string;
  exitStatus: number;
  runs: number;
  copied?: number;
  updated?: number;
  skipped?: number;
  failed?: number;
  verified: boolean;
  clean?: boolean;
  /** verify's counts by status, when it ran. */
  statuses?: Record<string, number>;
  extra?: number;
  points: number;
  files: number;
  bytes: number;
  /** Why the project was not copied at all (e.g. its workspace could not be created). */
  error?: string;
}

export interface DatasetsSection {
  copy?: DatasetsReport['summary'] & { notCopied?: string; notApplicable?: string };
  verify?: { clean: boolean; datasets: number; statuses: Record<string, number>; extra: number; records: number; notCompared?: string };
  rows: DatasetRow[];
  rowsLeftOut: number;
  /** Copies in the target experiment whose source dataset is not associated with the source experiment. */
  extra: Array<{ sourceDatasetId: string; targetDatasetId: string }>;
}

export interface DatasetRow {
  id: string;
  name: string;
  targets: string[];
  outcome?: string;
  status?: string;
  reason?: string;
  /** Source records (copy), or records compared (verify only). */
  records: number;
  written?: number;
  merged?: number;
  differences: number;
  differenceList: string[];
  /** The copy's changes, notes and merged records. */
  notes: string[];
}

export interface TracesSection {
  /** copy's counts (copy reports only), and why the target (or source) cannot hold traces at all. */
  copy?: TracesReport['summary'] & { notApplicable?: string };
  /** verify's counts, when it compared traces. */
  verify?: {
    clean: boolean;
    /** Why traces were not compared at all. */
    notCompared?: string;
    traces: number;
    /** Counts by status (ok, different, missing, ...), zero counts left out. */
    statuses: Record<string, number>;
    extra: number;
    spans: number;
    assessments: number;
  };
  /** GenAI objects of the source this version does not copy, with their counts. */
  notCopied: NotCopiedKind[];
  /** One row per trace, within the size limits (problems kept first). */
  rows: TraceRow[];
  /** Traces with no row (size limits). */
  rowsLeftOut: number;
  /** Trace copies in the target whose source trace is gone (verify), up to `traceRows`. */
  extra: Array<{ sourceTraceId: string; targetTraceId: string }>;
}

export interface TraceRow {
  id: string;
  name?: string;
  targets: string[];
  /** copy's outcome (copy reports only). */
  outcome?: string;
  /** verify's status, when verify compared traces. */
  status?: string;
  /** Why the copy failed or was not possible. */
  reason?: string;
  spans: number;
  assessments: number;
  /** How many differences verify found; `differenceList` holds those kept. */
  differences: number;
  differenceList: string[];
  /** The copy's notes (links not pointed at a copy, ids changed, fields a store could not take). */
  notes: string[];
  /** Differences and notes not listed (size limits). */
  leftOut?: number;
}

export interface RunRow {
  id: string;
  /** The run's project, in a whole-store report (`projects`). */
  project?: string;
  name?: string;
  targets: string[];
  /** copy's outcome (copy reports only). */
  outcome?: string;
  /** verify's status, when verify ran. */
  status?: string;
  /** Why it failed, or the first difference. */
  reason?: string;
  differences: number;
  issues: number;
  /** How many changes a sync made to this run's copy (outcome `updated`). */
  changes?: number;
  /** The changes, one line each, within the size limits; listed in the run's details. */
  changeList?: string[];
  /** Why some or all of the changes are not listed (size limits). */
  changesOmitted?: string;
  counts: { params?: number; tags?: number; metrics?: number; points: number; files: number; bytes: number };
  detail?: RunDetail;
  /** Why there is no detail (size limits, or the run was not compared). */
  detailOmitted?: string;
}

/** A key's row side by side: source (as the copy should hold it), copy, and how they compare. */
export type KeyValueRow = [key: string, source: string | null, copy: string | null, mark: KeyValueMark];
/** same | differs | missing in the copy | only in the copy (a difference) | only in the copy, expected (provenance, target's own). */
export type KeyValueMark = 'same' | 'differs' | 'missing' | 'extra' | 'target';

export interface FileRow {
  path: string;
  sourceSize: number | null;
  copySize: number | null;
  /** true/false: sha256 compared; null: not compared (missing, or sizes differ). */
  sha256Match: boolean | null;
  sourceSha256?: string;
  copySha256?: string;
}

export interface RunDetail {
  differences: string[];
  issues: RunIssue[];
  params: KeyValueRow[];
  tags: KeyValueRow[];
  files: FileRow[];
  /** Charts; `rows` is empty when a chart was left out by the size limits (`omitted` says so). */
  metrics: Array<MetricChart & { omitted?: string }>;
  /** Entries not listed, by list (size limits). */
  leftOut?: Partial<Record<'differences' | 'issues' | 'params' | 'tags' | 'files', number>>;
}
