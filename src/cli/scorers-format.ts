/** The lines copy and verify say about scorers: counts, failures and differences. */
import type { ScorersReport } from '../engine/scorers/types.js';
import type { VerifyScorersReport } from '../engine/scorers/verify-scorers.js';

export function scorersLines(report: ScorersReport | undefined): string[] {
  if (!report) return [];
  if (report.error) return [`Scorers: ${report.error}`];
  const s = report.summary;
  const parts = [`${s.copied} copied`, `${s.skipped} already there`];
  if (s.planned) parts.push(`${s.planned} to copy`);
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.notCopied) parts.push(`${s.notCopied} not copied`);
  const lines = [`Scorers: ${s.scorers}, ${s.versions} version(s): ${parts.join(', ')}`];
  for (const scorer of report.scorers) if (scorer.outcome === 'failed' || scorer.outcome === 'not-copied') lines.push(`  scorer ${scorer.name}: ${scorer.outcome} - ${scorer.reason ?? ''}`);
  return lines;
}

export function verifyScorersLines(report: VerifyScorersReport | undefined): string[] {
  if (!report) return [];
  if (report.notCompared) return [`Scorers: ${report.notCompared}`];
  const s = report.summary;
  const lines = [`Scorers: ${s.ok} of ${s.scorers} identical (${s.versions} versions compared)${report.extra.length ? `; ${report.extra.length} target scorer(s) not in the source` : ''}`];
  for (const scorer of report.scorers) if (scorer.status !== 'ok') lines.push(`  scorer ${scorer.name}: ${scorer.status} - ${scorer.differences.join('; ')}`);
  return lines;
}
