/**
 * Which target version is the copy of which source version, for copy and verify alike.
 *
 * - A store that keeps numbers (a database): the version with the same number.
 * - A server, which numbers versions itself: in order, by text. The source's versions are walked
 *   oldest first against the target's; a target version with the same text is the copy, and
 *   target versions skipped on the way are ones the source no longer has (deleted since the copy).
 *   A target version that differs where the next copy is expected is paired anyway: a conflict.
 */
import type { ScorerVersion } from './contract.js';

export interface VersionPairs {
  pairs: Array<{ source: ScorerVersion; target?: ScorerVersion }>;
  /** Target versions that are no source version's copy. */
  unpaired: ScorerVersion[];
}

export function pairVersions(source: readonly ScorerVersion[], target: readonly ScorerVersion[], byNumber: boolean): VersionPairs {
  if (byNumber) {
    const numbers = new Map(target.map((v) => [v.version, v]));
    const wanted = new Set(source.map((v) => v.version));
    return {
      pairs: source.map((v) => ({ source: v, ...(numbers.has(v.version) ? { target: numbers.get(v.version)! } : {}) })),
      unpaired: target.filter((v) => !wanted.has(v.version)),
    };
  }
  const pairs: VersionPairs['pairs'] = [];
  const unpaired: ScorerVersion[] = [];
  let next = 0;
  for (const version of source) {
    const found = target.findIndex((v, i) => i >= next && v.serialized === version.serialized);
    if (found >= 0) {
      unpaired.push(...target.slice(next, found));
      pairs.push({ source: version, target: target[found]! });
      next = found + 1;
    } else if (next < target.length) {
      pairs.push({ source: version, target: target[next]! });
      next++;
    } else {
      pairs.push({ source: version });
    }
  }
  unpaired.push(...target.slice(next));
  return { pairs, unpaired };
}
