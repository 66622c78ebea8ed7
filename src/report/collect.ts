/**
 * Gathers the HTML report's data while verify runs: give `observe` and `runChecked` to
 * verifyProject, then `build` with the copy and/or verify report. What is kept is bounded, so a
 * report for 10,000 runs stays far below 20 MB and the process's memory stays flat:
 * - every run gets a row (outcome, status, first reason, counts);
 * - every run with a difference (or an error) gets its details, within `otherBytes` of JSON;
 * - the first `cleanRuns` clean runs get their details too, within `cleanBytes`, so one can look
 *   at what a good copy looks like; verify's fingerprints proved the others identical.
 * A detail over its budget first loses its chart points, then the whole detail; the page says so.
 * - a sync's changes of an updated run are listed within `changeBytes` in all (they come from the
 *   copy report, so they are kept even for runs whose details are left out);
 * - traces get a section of their own (trace-section.ts), within `traceRows` and `traceBytes`;
 * - evaluation datasets too (dataset-section.ts), one row per dataset.
 */
import type { CopyReport, RunResult } from '../engine/types.js';
import type { CompareObserver } from '../engine/runs/compare-observer.js';
import type { VerifyReport, VerifyRunResult } from '../engine/verify.js';
import type { RunInfo } from '../model/run.js';
import { clip, DEFAULT_DETAIL_LIMITS, RunDetailBuilder, type DetailLimits } from './run-detail.js';
import { traceSection } from './trace-section.js';
import { genaiObjectsSection } from './genai-objects-section.js';
import { datasetSection } from './dataset-section.js';
import { REPORT_DATA_FORMAT, type HtmlReportData, type RunDetail, type RunRow } from './report-data.js';

export interface ReportLimits extends DetailLimits {
  cleanRuns: number;
  cleanBytes: number;
  otherBytes: number;
  /** Longest reason kept in a run's row. */
  reasonLength: number;
  /** Characters of updated runs' changes listed, in all. */
  changeBytes: number;
  /** Traces given a row. */
  traceRows: number;
  /** Characters of traces' differences and notes listed, in all. */
  traceBytes: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = {
  ...DEFAULT_DETAIL_LIMITS,
  cleanRuns: 100,
  cleanBytes: 3_000_000,
  otherBytes: 10_000_000,
  reasonLength: 300,
  changeBytes: 1_000_000,
  traceRows: 10_000,
  traceBytes: 2_000_000,
};

interface Checked {
  detail?: RunDetail;
  omitted?: string;
  counts: { params: number; tags: number; metrics: number };
  compared: boolean;
  issues: number;
}

export interface BuildInput {
  command: 'copy' | 'verify';
  copy?: CopyReport;
  verify?: VerifyReport;
  durationMs: number;
  exitStatus: number;
  createdAt?: string;
}

export class HtmlReportCollector {
  private readonly limits: ReportLimits;
  private readonly inFlight = new Map<string, RunDetailBuilder>();
  private readonly checked = new Map<string, Checked>();
  private cleanKept = 0;
  private cleanBytes = 0;
  private otherBytes = 0;
  private changeBytes = 0;

  constructor(limits: Partial<ReportLimits> = {}) {
    this.limits = { ...DEFAULT_REPORT_LIMITS, ...limits };
  }

  /** For VerifyOptions.observe. */
  readonly observe = (info: RunInfo): CompareObserver => {
    const builder = new RunDetailBuilder(this.limits);
    this.inFlight.set(info.runId, builder);
    return builder.observer;
  };

  /** For VerifyOptions.onRunChecked: decides what of the run's details the report keeps. */
  readonly runChecked = (result: VerifyRunResult): void => {
    const builder = this.inFlight.get(result.sourceRunId);
    this.inFlight.delete(result.sourceRunId);
    const compared = builder !== undefined && (result.status === 'ok' || result.status === 'different');
    const entry: Checked = {
      counts: builder ? { ...builder.counts } : { params: 0, tags: 0, metrics: 0 },
      compared,
      issues: builder?.issueCount ?? 0,
    };
    this.checked.set(result.sourceRunId, entry);
    const clean = result.status === 'ok';
    if (clean && this.cleanKept >= this.limits.cleanRuns) {
      entry.omitted = `details are kept for the first ${this.limits.cleanRuns} clean runs; verify found this one identical to its source`;
      return;
    }
    const detail = (builder ?? new RunDetailBuilder(this.limits)).build(result.differences);
    let size = jsonSize(detail);
    const room = clean ? this.limits.cleanBytes - this.cleanBytes : this.limits.otherBytes - this.otherBytes;
    if (size > room) {
      for (const chart of detail.metrics) {
        chart.rows = { x: [], source: [], copy: [] };
        chart.omitted = 'not drawn: the report reached its size limit';
      }
      size = jsonSize(detail);
    }
    if (size > room) {
      entry.omitted = 'details left out: the report reached its size limit';
      return;
    }
    entry.detail = detail;
    if (clean) {
      this.cleanKept++;
      this.cleanBytes += size;
    } else this.otherBytes += size;
  };

  build(input: BuildInput): HtmlReportData {
    const { copy, verify } = input;
    const base = copy ?? verify;
    if (!base) throw new Error('an HTML report needs a copy report, a verify report, or both');
    const verified = new Map((verify?.runs ?? []).map((run) => [run.sourceRunId, run]));
    const rows: RunRow[] = [];
    const seen = new Set<string>();
    for (const run of copy?.runs ?? []) {
      seen.add(run.sourceRunId);
      rows.push(this.row(run, verified.get(run.sourceRunId)));
    }
    for (const run of verify?.runs ?? []) if (!seen.has(run.sourceRunId)) rows.push(this.row(undefined, run));

    const statuses: Record<string, number> = {};
    for (const row of rows) if (row.status) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    const totals = copy?.summary.totals;
    const leftOut = rows.filter((row) => row.detailOmitted !== undefined).length;
    const data: HtmlReportData = {
      format: REPORT_DATA_FORMAT,
      tool: 'runs-migrator',
      version: base.version,
      command: input.command,
      createdAt: input.createdAt ?? new Date().toISOString(),
      source: { ...base.source },
      target: { uri: base.target.uri, project: base.target.project, kind: base.target.kind },
      summary: {
        runs: rows.length,
        ...(copy ? { copied: copy.summary.copied, updated: copy.summary.updated ?? 0, skipped: copy.summary.skipped, failed: copy.summary.failed } : {}),
        verified: verify !== undefined,
        ...(verify ? { statuses, clean: verify.clean, extra: verify.extra.length } : {}),
        points: verify?.summary.points ?? totals?.points ?? 0,
        files: verify?.summary.files ?? totals?.files ?? 0,
        bytes: verify?.summary.bytes ?? totals?.bytes ?? 0,
        durationMs: input.durationMs,
        exitStatus: input.exitStatus,
      },
      limits: {
        pointsPerSeries: this.limits.buckets * 4,
        detailsLeftOut: leftOut,
        note:
          `Curves are downsampled for display: the first, last, lowest and highest point in each of ${this.limits.buckets} ` +
          `buckets, at most ${this.limits.buckets * 4} points per series. Exact equality of every point is what verify's fingerprint decides. ` +
          `Details are kept for every run with a difference (up to ${mb(this.limits.otherBytes)}) and for the first ` +
          `${this.limits.cleanRuns} clean runs (up to ${mb(this.limits.cleanBytes)}).`,
      },
      runs: rows,
      extra: (verify?.extra ?? []).slice(0, 10_000),
    };
    const traces = traceSection(copy?.traces, verify?.traces, this.limits);
    if (traces) data.traces = traces;
    const genaiObjects = genaiObjectsSection(copy, verify, this.limits);
    if (genaiObjects) data.genaiObjects = genaiObjects;
    const datasets = datasetSection(copy?.datasets, verify?.datasets, this.limits);
    if (datasets) data.datasets = datasets;
    return data;
  }

  private row(copied: RunResult | undefined, checked: VerifyRunResult | undefined): RunRow {
    const id = copied?.sourceRunId ?? checked!.sourceRunId;
    const entry = this.checked.get(id);
    const targets = checked?.targetRunIds ?? (copied?.targetRunId ? [copied.targetRunId] : []);
    const row: RunRow = {
      id,
      targets,
      differences: checked?.differences.length ?? 0,
      issues: entry?.issues ?? 0,
      counts: { points: 0, files: 0, bytes: 0 },
    };
    const name = copied?.sourceName ?? checked?.sourceName;
    if (name !== undefined) row.name = clip(name, this.limits.reasonLength);
    if (copied) row.outcome = copied.outcome;
    if (checked) row.status = checked.status;
    const reason = copied?.outcome === 'failed' ? copied.reason : checked && checked.status !== 'ok' ? checked.differences[0] : copied?.reason;
    if (reason) row.reason = clip(reason, this.limits.reasonLength);
    if (copied?.changes) this.keepChanges(row, copied.changes);

    if (entry?.compared && checked) {
      row.counts = { ...entry.counts, points: checked.points, files: checked.files, bytes: checked.bytes };
    } else if (copied) {
      const c = copied.counts;
      row.counts = { params: c.params, tags: c.tags, metrics: c.metricKeys, points: c.points, files: c.files, bytes: c.bytes };
    }
    // The copy's own list of what it mapped or dropped, when this copy wrote the run.
    const copyIssues = copied && copied.outcome !== 'skipped' ? copied.issues : undefined;
    if (copyIssues) row.issues = copyIssues.length;
    if (entry?.detail) {
      row.detail = entry.detail;
      if (copyIssues) {
        const { listRows, textLength } = this.limits;
        row.detail.issues = copyIssues.slice(0, listRows).map((issue) => ({ ...issue, reason: clip(issue.reason, textLength) }));
        const { issues: _stale, ...leftOut } = row.detail.leftOut ?? {};
        const more = copyIssues.length - row.detail.issues.length;
        row.detail.leftOut = more > 0 ? { ...leftOut, issues: more } : leftOut;
      }
    } else if (entry?.omitted) row.detailOmitted = entry.omitted;
    else if (!checked) row.detailOmitted = 'not compared: verify did not run';
    return row;
  }

  /** Lists an updated run's changes while the report's room for changes lasts; counts the rest. */
  private keepChanges(row: RunRow, changes: string[]): void {
    const { listRows, textLength } = this.limits;
    row.changes = changes.length;
    row.changeList = [];
    for (const change of changes.slice(0, listRows)) {
      const text = clip(change, textLength);
      if (this.changeBytes + text.length > this.limits.changeBytes) break;
      row.changeList.push(text);
      this.changeBytes += text.length;
    }
    const more = changes.length - row.changeList.length;
    if (more > 0) row.changesOmitted = `${more} more change${more === 1 ? '' : 's'} not listed (report size limit)`;
  }
}

function jsonSize(value: unknown): number {
  return JSON.stringify(value).length;
}

function mb(bytes: number): string {
  return `${bytes / 1_000_000} MB`;
}
