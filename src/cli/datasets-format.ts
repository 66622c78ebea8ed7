/** The lines copy and verify say about evaluation datasets. */
import type { DatasetsReport } from '../engine/datasets/types.js';
import type { VerifyDatasetsReport } from '../engine/datasets/verify-datasets.js';
import { plural } from './format.js';

export function datasetsLines(report: DatasetsReport | undefined): string[] {
  if (!report) return [];
  const s = report.summary;
  if (s.datasets === 0) return [];
  if (s['not-copied'] === s.datasets) return [`Not copied: ${plural(s.datasets, 'evaluation dataset')} with ${plural(s.records, 'record')} (${report.notCopied ?? 'the target cannot hold them'})`];
  const parts = [`${s.copied} copied`, `${s.updated} updated`, `${s.skipped} already copied`];
  if (s.planned) parts.push(`${s.planned} planned`);
  if (s.failed) parts.push(`${s.failed} FAILED`);
  const lines = [`Evaluation datasets: ${s.datasets} (${parts.join(', ')}); ${s.recordsWritten} of ${plural(s.records, 'record')} ${s.planned ? 'to copy' : 'written'}${s.recordsMerged ? `, ${s.recordsMerged} merged by the target (see the report)` : ''}`];
  for (const dataset of report.datasets) if (dataset.outcome === 'failed') lines.push(`  dataset ${dataset.name} (${dataset.sourceDatasetId}) FAILED: ${dataset.reason ?? 'unknown error'}`);
  return lines;
}

export function verifyDatasetsLines(report: VerifyDatasetsReport | undefined): string[] {
  if (!report) return [];
  if (report.notCompared && report.datasets.length === 0) return report.summary.datasets > 0 ? [`Evaluation datasets: ${report.notCompared}`] : [];
  if (report.datasets.length === 0 && report.summary.extra === 0) return [];
  const s = report.summary;
  const lines = [`${s.ok}/${s.datasets} dataset(s) ok (${s.records} records compared)${s.extra ? `; ${s.extra} copies without a source dataset` : ''}`];
  for (const dataset of report.datasets) {
    if (dataset.status === 'ok') continue;
    lines.push(`  dataset ${dataset.name} (${dataset.sourceDatasetId}): ${dataset.status}${dataset.differences.length ? ` - ${dataset.differences.slice(0, 5).join('; ')}` : ''}`);
  }
  return lines;
}
