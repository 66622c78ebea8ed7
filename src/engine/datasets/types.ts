/** What a copy says about evaluation datasets: one entry per source dataset, and the counts. */

/** not-copied: the target cannot hold evaluation datasets (an mlruns folder, an archive). */
export type DatasetOutcome = 'copied' | 'updated' | 'skipped' | 'planned' | 'failed' | 'not-copied';

export interface DatasetRecordCounts {
  /** Records of the source dataset. */
  source: number;
  /** Written to the copy in this pass (planned, on a dry run). */
  written: number;
  /** Found in the copy already (same inputs). */
  alreadyThere: number;
  /** Records the target merged into another with the same inputs (see mergedRecords). */
  merged: number;
  /** Records of the copy rewritten because their content changed in the source since. */
  replaced: number;
  /** Records of the copy removed because the source no longer has their inputs. */
  deleted: number;
}

export interface DatasetResult {
  sourceDatasetId: string;
  name: string;
  targetDatasetId?: string;
  outcome: DatasetOutcome;
  reason?: string;
  records: DatasetRecordCounts;
  /** Source record ids the target merged into a record with the same inputs. */
  mergedRecords?: string[];
  /** What a re-run changed on an existing copy (tags, schema, ...). */
  changes?: string[];
  /** What the target did not keep as it was (new ids), with the rule. */
  notes?: string[];
}

export interface DatasetsSummary {
  datasets: number;
  copied: number;
  updated: number;
  skipped: number;
  planned: number;
  failed: number;
  'not-copied': number;
  records: number;
  recordsWritten: number;
  recordsMerged: number;
}

export interface DatasetsReport {
  summary: DatasetsSummary;
  /** Why nothing was copied although the source has datasets (the target cannot hold them). */
  notCopied?: string;
  /** Why datasets do not apply between these stores (e.g. a Neptune archive). */
  notApplicable?: string;
  datasets: DatasetResult[];
}

export function summariseDatasets(results: DatasetResult[]): DatasetsSummary {
  const summary: DatasetsSummary = { datasets: results.length, copied: 0, updated: 0, skipped: 0, planned: 0, failed: 0, 'not-copied': 0, records: 0, recordsWritten: 0, recordsMerged: 0 };
  for (const result of results) {
    summary[result.outcome]++;
    summary.records += result.records.source;
    summary.recordsWritten += result.records.written;
    summary.recordsMerged += result.records.merged;
  }
  return summary;
}

export function datasetsFailed(report: DatasetsReport | undefined): boolean {
  return (report?.summary.failed ?? 0) > 0;
}
