/**
 * One run's details as verify compares it: a CompareObserver that keeps params and tags side by
 * side, the issues, the files with their hashes, and a downsampled overlay per metric. Memory is
 * bounded per run: lists are capped, one metric's curve grid lives at a time, and charts stop
 * keeping points past a per-run size (a chart that differs takes the room of one that does not).
 */
import type { RunIssue } from '../engine/types.js';
import type { CompareObserver, FileCheck } from '../engine/runs/compare-observer.js';
import type { KeyValue, MetricPoint } from '../model/run.js';
import { MetricCurve } from './metric-curve.js';
import type { FileRow, KeyValueMark, KeyValueRow, RunDetail } from './report-data.js';

export interface DetailLimits {
  /** Buckets per curve grid: up to 4 points per bucket and series. */
  buckets: number;
  /** Rows kept per list (params, tags, files, issues, differences). */
  listRows: number;
  /** Longest value or difference text kept, in characters. */
  textLength: number;
  /** Rough JSON size a run's charts may take. */
  chartBytesPerRun: number;
}

export const DEFAULT_DETAIL_LIMITS: DetailLimits = {
  buckets: 250,
  listRows: 500,
  textLength: 1000,
  chartBytesPerRun: 1_000_000,
};

/** About what one chart row costs as JSON: x and two values. */
const BYTES_PER_ROW = 36;

export function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}… (${text.length - length} more characters)`;
}

/** Keeps every marked entry first when a list is capped, then restores the list's order. */
function capped<T>(items: T[], limit: number, important: (item: T) => boolean): { kept: T[]; leftOut: number } {
  if (items.length <= limit) return { kept: items, leftOut: 0 };
  const order = new Map(items.map((item, index) => [item, index]));
  const ranked = [...items.filter(important), ...items.filter((item) => !important(item))].slice(0, limit);
  ranked.sort((x, y) => order.get(x)! - order.get(y)!);
  return { kept: ranked, leftOut: items.length - limit };
}

export class RunDetailBuilder {
  private readonly detail: RunDetail = { differences: [], issues: [], params: [], tags: [], files: [], metrics: [] };
  private readonly leftOut: NonNullable<RunDetail['leftOut']> = {};
  private readonly fileRows: FileRow[] = [];
  private current?: MetricCurve;
  private chartBytes = 0;
  /** Counts seen, for the row (verify has no param or tag counts of its own). */
  counts = { params: 0, tags: 0, metrics: 0 };

  constructor(private readonly limits: DetailLimits = DEFAULT_DETAIL_LIMITS) {}

  readonly observer: CompareObserver = {
    keyValues: (field, expected, actual, ignored) => {
      const rows = sideBySide(expected, actual, ignored, this.limits.textLength);
      if (field === 'param') this.counts.params = expected.length;
      else this.counts.tags = expected.length;
      const { kept, leftOut } = capped(rows, this.limits.listRows, (row) => row[3] !== 'same' && row[3] !== 'target');
      this.detail[field === 'param' ? 'params' : 'tags'] = kept;
      if (leftOut) this.leftOut[field === 'param' ? 'params' : 'tags'] = leftOut;
    },
    issues: (issues) => this.setIssues(issues),
    metricPage: (key, side, page) => this.metricPage(key, side, page),
    metricCompared: (key, same) => this.metricCompared(key, same),
    file: (check) => this.file(check),
  };

  private setIssues(issues: RunIssue[]): void {
    this.detail.issues = issues.slice(0, this.limits.listRows).map((issue) => ({ ...issue, reason: clip(issue.reason, this.limits.textLength) }));
    if (issues.length > this.limits.listRows) this.leftOut.issues = issues.length - this.limits.listRows;
    else delete this.leftOut.issues;
  }

  get issueCount(): number {
    return this.detail.issues.length + (this.leftOut.issues ?? 0);
  }

  private metricPage(key: string, side: 'source' | 'copy', page: readonly MetricPoint[]): void {
    if (this.current?.key !== key) this.current = new MetricCurve(key, this.limits.buckets);
    this.current.add(side === 'source' ? 0 : 1, page);
  }

  private metricCompared(key: string, same: boolean): void {
    this.counts.metrics++;
    const curve = this.current?.key === key ? this.current : new MetricCurve(key, this.limits.buckets);
    this.current = undefined;
    const chart: RunDetail['metrics'][number] = curve.chart(same);
    const cost = chart.rows.x.length * BYTES_PER_ROW;
    if (this.chartBytes + cost > this.limits.chartBytesPerRun && !same) {
      // A chart that shows a difference is worth more than one that shows two equal curves.
      for (const other of this.detail.metrics) {
        if (this.chartBytes + cost <= this.limits.chartBytesPerRun) break;
        if (other.same && other.rows.x.length > 0) this.dropRows(other);
      }
    }
    if (this.chartBytes + cost > this.limits.chartBytesPerRun) this.dropRows(chart);
    else this.chartBytes += cost;
    this.detail.metrics.push(chart);
  }

  private dropRows(chart: RunDetail['metrics'][number]): void {
    if (this.detail.metrics.includes(chart)) this.chartBytes -= chart.rows.x.length * BYTES_PER_ROW;
    chart.rows = { x: [], source: [], copy: [] };
    chart.omitted = `not drawn: the report keeps about ${Math.round(this.limits.chartBytesPerRun / 1000)} kB of curves per run`;
  }

  private file(check: FileCheck): void {
    const compared = check.sourceSha256 !== undefined && check.copySha256 !== undefined;
    const row: FileRow = {
      path: clip(check.path, this.limits.textLength),
      sourceSize: check.sourceSize ?? null,
      copySize: check.copySize ?? null,
      sha256Match: compared ? check.sourceSha256 === check.copySha256 : null,
    };
    if (compared && !row.sha256Match) {
      row.sourceSha256 = check.sourceSha256;
      row.copySha256 = check.copySha256;
    }
    if (this.fileRows.length >= this.limits.listRows) {
      // Bounded: the first files are kept, and a mismatch takes the place of a match.
      this.leftOut.files = (this.leftOut.files ?? 0) + 1;
      const index = row.sha256Match !== true ? this.fileRows.findIndex((kept) => kept.sha256Match === true) : -1;
      if (index < 0) return;
      this.fileRows.splice(index, 1);
    }
    this.fileRows.push(row);
  }

  /** The details, with verify's list of differences. */
  build(differences: string[]): RunDetail {
    const { listRows, textLength } = this.limits;
    this.detail.differences = differences.slice(0, listRows).map((text) => clip(text, textLength));
    if (differences.length > listRows) this.leftOut.differences = differences.length - listRows;
    this.detail.files = [...this.fileRows].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    if (Object.keys(this.leftOut).length > 0) this.detail.leftOut = { ...this.leftOut };
    return this.detail;
  }
}

function sideBySide(expected: KeyValue[], actual: KeyValue[], ignored: ReadonlySet<string>, textLength: number): KeyValueRow[] {
  const got = new Map(actual.map((item) => [item.key, item.value]));
  const rows: KeyValueRow[] = [];
  for (const item of expected) {
    const value = got.get(item.key);
    got.delete(item.key);
    const mark: KeyValueMark = value === undefined ? 'missing' : value === item.value ? 'same' : 'differs';
    rows.push([clip(item.key, textLength), clip(item.value, textLength), value === undefined ? null : clip(value, textLength), mark]);
  }
  for (const [key, value] of got) {
    // verify's rule: provenance (old_sys/*) and what the target adds itself are expected in the copy.
    const mark: KeyValueMark = ignored.has(key) || key.startsWith('old_sys/') ? 'target' : 'extra';
    rows.push([clip(key, textLength), null, clip(value, textLength), mark]);
  }
  return rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}
