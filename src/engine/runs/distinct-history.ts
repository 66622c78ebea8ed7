/**
 * MLflow's SQL stores keep one row per (key, timestamp, step, value): a history that holds exact
 * duplicates (an mlruns store appends step-0 points again each time a model is logged) arrives
 * with each such point once. For a target that declares so, verify compares the distinct points
 * of the source with the copy. The fingerprint of the whole history stays the fast path; this
 * fallback, taken only when the copy has fewer points, holds the distinct points of ONE history.
 */
import type { SourceRun, Store } from '../../backends/contract.js';
import { addPoint, canonicalPoint, newFingerprint, sameFingerprint, type Fingerprint } from '../fingerprint.js';

export async function sameAfterTargetDedupe(
  source: SourceRun,
  copy: SourceRun,
  key: string,
  target: Store,
  want: Fingerprint,
  got: Fingerprint,
  storedValue: (value: number) => number,
): Promise<boolean> {
  if (!target.capabilities.dropsExactDuplicatePoints || got.count >= want.count) return false;
  const distinct = async (run: SourceRun, map: (value: number) => number): Promise<Fingerprint> => {
    const seen = new Set<string>();
    const print = newFingerprint();
    for await (const page of run.metricHistory(key)) {
      for (const point of page) {
        const canonical = canonicalPoint(point, map(point.value));
        if (seen.has(canonical)) continue;
        seen.add(canonical);
        addPoint(print, canonical);
      }
    }
    return print;
  };
  return sameFingerprint(await distinct(source, storedValue), await distinct(copy, (value) => value));
}
