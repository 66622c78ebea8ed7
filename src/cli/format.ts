/**
 * How numbers and results read on the terminal and in the log.
 */
import type { CopyReport, RunCounts, RunResult } from '../engine/types.js';

/** Decimal units, one decimal: `2.1 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(rest).padStart(2, '0')}s`;
}

/** `1 run`, `2 runs`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `10 params, 5 tags, 100000 points, 3 files, 2.1 MB` (with metric keys for a plan). */
export function formatCounts(counts: RunCounts, options: { metricKeys?: boolean } = {}): string {
  const parts = [plural(counts.params, 'param'), plural(counts.tags, 'tag')];
  if (options.metricKeys) parts.push(plural(counts.metricKeys, 'metric key'));
  parts.push(plural(counts.points, 'point'), plural(counts.files, 'file'), formatBytes(counts.bytes));
  return parts.join(', ');
}

export function emptyCounts(): RunCounts {
  return { params: 0, tags: 0, metricKeys: 0, points: 0, inputs: 0, files: 0, bytes: 0 };
}

export function sumCounts(results: Iterable<RunResult>): RunCounts {
  const total = emptyCounts();
  for (const { counts } of results) {
    for (const key of Object.keys(total) as Array<keyof RunCounts>) total[key] += counts[key];
  }
  return total;
}

/** The final summary line (terminal and log). */
export function summaryLine(report: CopyReport): string {
  const s = report.summary;
  const handled = s.copied + (s.updated ?? 0) + s.skipped + s.failed;
  const updated = s.updated ? `, updated ${s.updated}` : '';
  const elapsed = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  const retries = s.retries > 0 ? `, ${s.retries} retries` : '';
  return (
    `Copied ${s.copied}${updated}, skipped ${s.skipped} (already copied), failed ${s.failed} of ${plural(handled, 'run')} ` +
    `(${s.filteredOut} filtered out, ${s.outOfShard} out of shard): ${formatCounts(s.totals)} ` +
    `in ${formatDuration(elapsed)}${retries}`
  );
}

/** What a dry run would do, from its report. */
export function planText(report: CopyReport, options: { listRuns: boolean }): string {
  const s = report.summary;
  const planned = report.runs.filter((run) => run.outcome === 'planned' && !run.changes);
  const updates = report.runs.filter((run) => run.outcome === 'planned' && run.changes);
  const failed = report.runs.filter((run) => run.outcome === 'failed');
  const lines = [
    `Dry run: ${report.source.project} (${report.source.uri}) -> ${report.target.project} (${report.target.uri}); nothing was written.`,
    `  to copy:       ${plural(planned.length, 'run')} (${formatCounts(sumCounts(planned), { metricKeys: true })})`,
    ...(updates.length > 0 ? [`  to update:     ${plural(updates.length, 'run')} (copies behind their sources)`] : []),
    `  already done:  ${plural(s.skipped, 'run')}`,
    `  filtered out:  ${plural(s.filteredOut, 'run')}`,
    `  out of shard:  ${plural(s.outOfShard, 'run')}`,
  ];
  if (failed.length > 0) lines.push(`  cannot read:   ${plural(failed.length, 'run')}`);
  if (options.listRuns && planned.length > 0) {
    lines.push('Runs to copy:');
    for (const run of planned) {
      const name = run.sourceName ? ` ${run.sourceName}` : '';
      lines.push(`  ${run.sourceRunId}${name}: ${formatCounts(run.counts, { metricKeys: true })}`);
    }
  }
  if (options.listRuns && updates.length > 0) {
    lines.push('Copies to update:');
    for (const run of updates) lines.push(`  ${run.sourceRunId} -> ${run.targetRunId ?? '?'}: ${(run.changes ?? []).join('; ')}`);
  }
  if (options.listRuns && failed.length > 0) {
    lines.push('Runs that cannot be read:');
    for (const run of failed) lines.push(`  ${run.sourceRunId}: ${run.reason ?? 'unknown error'}`);
  }
  return lines.join('\n');
}
