import type { CopyReport, RunCounts, RunResult } from './types.js';
import { emptyCounts } from './runs/copy-run.js';

export function addCounts(into: RunCounts, from: RunCounts): void {
  into.params += from.params;
  into.tags += from.tags;
  into.metricKeys += from.metricKeys;
  into.points += from.points;
  into.inputs += from.inputs;
  into.files += from.files;
  into.bytes += from.bytes;
}

export function summarise(
  results: RunResult[],
  extra: { listed: number; filteredOut: number; outOfShard: number; retries: number },
): CopyReport['summary'] {
  const totals = emptyCounts();
  const summary = { ...extra, copied: 0, updated: 0, skipped: 0, failed: 0, planned: 0, totals };
  for (const result of results) {
    summary[result.outcome]++;
    addCounts(totals, result.counts);
  }
  return summary;
}
