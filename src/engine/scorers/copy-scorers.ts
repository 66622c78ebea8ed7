/**
 * The scorers of an experiment, copied to the target experiment exactly once.
 *
 * A scorer is a name with numbered versions, each a serialized scorer (JSON text, copied byte for
 * byte). Each source version is paired with its copy in the target scorer of the same name
 * (pair-versions.ts: by number in a database, which keeps numbers and creation times; in order and
 * by text on a server, which numbers versions itself, so that a source with a deleted version 2 -
 * versions 1 and 3 - pairs with the server's 1 and 2). The same text means "already copied"
 * (nothing is written); other text is a conflict, reported and never overwritten; a version
 * without a copy is added after the target's last.
 */
import { errorMessage } from '../../util/errors.js';
import type { Scorer, SourceScorers, TargetScorers } from './contract.js';
import { pairVersions } from './pair-versions.js';
import type { ScorerResult, ScorerVersionResult } from './types.js';

export interface ScorerCopyContext {
  source: SourceScorers;
  /** Undefined on a dry run or when the target project does not exist yet. */
  target: TargetScorers | undefined;
  /** Read the target (even on a dry run, to plan exactly); undefined when there is no target project yet. */
  existing: TargetScorers | undefined;
  /** Why the target cannot hold scorers, when it cannot. */
  cannotHold?: string;
  /** Which scorers this process copies (the shard). */
  select(name: string): boolean;
  onScorerDone?(result: ScorerResult): void;
}

export async function copyScorers(context: ScorerCopyContext): Promise<ScorerResult[]> {
  const sourceScorers = (await context.source.listScorers()).filter((s) => context.select(s.name));
  const there = new Map((context.existing && !context.cannotHold ? await context.existing.listScorers() : []).map((s) => [s.name, s]));
  const results: ScorerResult[] = [];
  for (const scorer of sourceScorers) {
    const result = await copyScorer(context, scorer, there.get(scorer.name));
    results.push(result);
    context.onScorerDone?.(result);
  }
  return results;
}

function overall(versions: ScorerVersionResult[]): ScorerResult['outcome'] {
  for (const outcome of ['failed', 'not-copied', 'planned', 'copied'] as const) if (versions.some((v) => v.outcome === outcome)) return outcome;
  return 'skipped';
}

async function copyScorer(context: ScorerCopyContext, scorer: Scorer, existing: Scorer | undefined): Promise<ScorerResult> {
  const result: ScorerResult = { name: scorer.name, outcome: 'skipped', versions: [], notes: [] };
  if (context.cannotHold) {
    result.versions = scorer.versions.map((v) => ({ sourceVersion: v.version, outcome: 'not-copied', reason: context.cannotHold }));
    result.outcome = 'not-copied';
    result.reason = context.cannotHold;
    return result;
  }
  const { pairs, unpaired } = pairVersions(scorer.versions, existing?.versions ?? [], context.existing?.keepsScorerNumbers ?? false);
  let stopped: string | undefined;
  for (const { source: version, target: paired } of pairs) {
    const out: ScorerVersionResult = { sourceVersion: version.version, outcome: 'planned' };
    result.versions.push(out);
    if (paired) {
      out.targetVersion = paired.version;
      if (paired.serialized === version.serialized) {
        out.outcome = 'skipped';
        out.reason = 'already there';
      } else {
        out.outcome = 'failed';
        out.reason = `the target's version ${paired.version} holds another serialized scorer; left as it is`;
      }
      continue;
    }
    if (stopped) {
      out.outcome = 'failed';
      out.reason = stopped;
      continue;
    }
    if (!context.target) continue;
    try {
      out.targetVersion = await context.target.addScorerVersion(scorer.name, version);
      out.outcome = 'copied';
      if (out.targetVersion !== version.version) out.reason = `numbered ${out.targetVersion} by the target (it numbers versions itself)`;
    } catch (error) {
      out.outcome = 'failed';
      out.reason = errorMessage(error);
      // A later version added now would take this one's place in the order: wait for the next run.
      stopped = `not tried: version ${version.version} failed before it; the next run copies both`;
    }
  }
  if (unpaired.length) {
    result.notes.push(`the target has version(s) ${unpaired.map((v) => v.version).join(', ')} that copy no source version (deleted in the source since the copy, or the target's own): left as they are`);
  }
  if (context.target && !context.target.keepsScorerNumbers && result.versions.some((v) => v.outcome === 'copied')) {
    result.notes.push('creation times of the new versions are the target server\'s own (a server sets them itself)');
  }
  result.outcome = overall(result.versions);
  const failed = result.versions.find((v) => v.outcome === 'failed');
  if (failed) result.reason = `version ${failed.sourceVersion}: ${failed.reason}`;
  return result;
}
