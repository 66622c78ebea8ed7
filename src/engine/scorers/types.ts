/** What a scorer copy reports: one result per source scorer, one line per version. */
export type ScorerOutcome = 'copied' | 'skipped' | 'planned' | 'failed' | 'not-copied';

export interface ScorerVersionResult {
  sourceVersion: number;
  /** The number the copy has (a server numbers versions itself; a database keeps the source's). */
  targetVersion?: number;
  outcome: ScorerOutcome;
  reason?: string;
}

export interface ScorerResult {
  name: string;
  /** failed when a version failed; else planned / copied when one was; else skipped (all there). */
  outcome: ScorerOutcome;
  reason?: string;
  versions: ScorerVersionResult[];
  /** What the target could not keep as it was (numbers, times), and target versions left alone. */
  notes: string[];
}

export interface ScorersReport {
  summary: { scorers: number; versions: number; copied: number; skipped: number; planned: number; failed: number; notCopied: number };
  /** Set when the source's scorers could not be read: nothing was copied. */
  error?: string;
  scorers: ScorerResult[];
}

/** Scorers a target cannot hold are reported (not-copied), not a failure, like traces. */
export function scorersFailed(report: ScorersReport | undefined): boolean {
  return Boolean(report?.error) || (report?.summary.failed ?? 0) > 0;
}

export function summariseScorers(scorers: ScorerResult[]): ScorersReport['summary'] {
  const summary = { scorers: scorers.length, versions: 0, copied: 0, skipped: 0, planned: 0, failed: 0, notCopied: 0 };
  for (const scorer of scorers) {
    for (const version of scorer.versions) {
      summary.versions++;
      if (version.outcome === 'not-copied') summary.notCopied++;
      else summary[version.outcome]++;
    }
  }
  return summary;
}
