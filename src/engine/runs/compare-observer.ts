/**
 * What verify lets an observer see while it compares a run (compareRun in verify-run.ts): the
 * values it compares, each metric history page by page, each file with its hashes. The HTML
 * report (src/report/) is one; verify itself needs none.
 */
import type { KeyValue, MetricPoint } from '../../model/run.js';
import type { RunIssue } from '../types.js';

/** Every method is optional. None may throw; memory must stay bounded (histories come page by page). */
export interface CompareObserver {
  /** Params or tags as the copy should hold them (the published mapping applied), and as it does. */
  keyValues?(field: 'param' | 'tag', expected: KeyValue[], actual: KeyValue[], ignored: ReadonlySet<string>): void;
  /** What the mapping changed or left out (the same list copy reports). */
  issues?(issues: RunIssue[]): void;
  /** One page of a metric history, from the source or from the copy, as read. */
  metricPage?(key: string, side: 'source' | 'copy', page: readonly MetricPoint[]): void;
  /** verify's exact verdict on one metric, after both histories streamed past. */
  metricCompared?(key: string, same: boolean): void;
  file?(check: FileCheck): void;
}

/** One file of the source and its copy; an absent side is a missing file, an absent hash not hashed. */
export interface FileCheck {
  path: string;
  sourceSize?: number;
  copySize?: number;
  sourceSha256?: string;
  copySha256?: string;
}
