/**
 * The HTML report's evaluation-datasets section: copy's and verify's counts, and one row per
 * dataset (an experiment has few) with its record counts, verify's differences and the copy's
 * notes and changes, each list capped at `listRows` entries of `textLength` characters.
 */
import type { DatasetsReport } from '../engine/datasets/types.js';
import type { VerifyDatasetsReport } from '../engine/datasets/verify-datasets.js';
import { clip } from './run-detail.js';
import type { DatasetRow, DatasetsSection } from './report-data.js';

export interface DatasetLimits {
  listRows: number;
  textLength: number;
}

/** Datasets given a row; the rest are counted. */
const DATASET_ROWS = 1_000;

export function datasetSection(copy: DatasetsReport | undefined, verify: VerifyDatasetsReport | undefined, limits: DatasetLimits): DatasetsSection | undefined {
  const nothing = (copy?.summary.datasets ?? 0) === 0 && (verify?.summary.datasets ?? 0) === 0 && (verify?.extra.length ?? 0) === 0;
  if (nothing) return undefined;
  const verified = new Map((verify?.datasets ?? []).map((dataset) => [dataset.sourceDatasetId, dataset]));
  const rows: DatasetRow[] = [];
  const seen = new Set<string>();
  const list = (texts: string[] | undefined): string[] => (texts ?? []).slice(0, limits.listRows).map((text) => clip(text, limits.textLength));
  for (const copied of copy?.datasets ?? []) {
    seen.add(copied.sourceDatasetId);
    const checked = verified.get(copied.sourceDatasetId);
    const row: DatasetRow = {
      id: copied.sourceDatasetId,
      name: clip(copied.name, limits.textLength),
      targets: checked?.targetDatasetIds ?? (copied.targetDatasetId ? [copied.targetDatasetId] : []),
      outcome: copied.outcome,
      records: copied.records.source,
      written: copied.records.written,
      merged: copied.records.merged,
      differences: checked?.differences.length ?? 0,
      differenceList: list(checked?.differences),
      notes: list([...(copied.changes ?? []), ...(copied.notes ?? []), ...(copied.mergedRecords?.length ? [`merged by the target: ${copied.mergedRecords.join(', ')}`] : [])]),
    };
    if (checked) row.status = checked.status;
    if (copied.reason) row.reason = clip(copied.reason, limits.textLength);
    rows.push(row);
  }
  for (const checked of verify?.datasets ?? []) {
    if (seen.has(checked.sourceDatasetId)) continue;
    rows.push({
      id: checked.sourceDatasetId, name: clip(checked.name, limits.textLength), targets: checked.targetDatasetIds, status: checked.status,
      records: checked.records, differences: checked.differences.length, differenceList: list(checked.differences), notes: [],
    });
  }
  const section: DatasetsSection = { rows: rows.slice(0, DATASET_ROWS), rowsLeftOut: Math.max(0, rows.length - DATASET_ROWS), extra: (verify?.extra ?? []).slice(0, DATASET_ROWS) };
  if (copy) {
    section.copy = { ...copy.summary };
    if (copy.notCopied) section.copy.notCopied = copy.notCopied;
    if (copy.notApplicable) section.copy.notApplicable = copy.notApplicable;
  }
  if (verify) {
    const { datasets, extra, records, ...byStatus } = verify.summary;
    const statuses: Record<string, number> = {};
    for (const [status, n] of Object.entries(byStatus)) if (n > 0) statuses[status] = n;
    section.verify = { clean: verify.clean, datasets, statuses, extra, records };
    if (verify.notCompared) section.verify.notCompared = verify.notCompared;
  }
  return section;
}
