/**
 * How copy and verify pair scorer versions (pair-versions.ts) and what verify makes of the pairs:
 * by number in a database; in order and by text on a server, which numbers versions itself. A
 * number the server chose differently is a note; missing, changed or extra versions are differences.
 */
import { describe, expect, it } from 'vitest';
import { compareScorer } from '../../src/engine/scorers/verify-scorers.js';
import { pairVersions } from '../../src/engine/scorers/pair-versions.js';
import { summariseScorers } from '../../src/engine/scorers/types.js';

const v = (version: number, serialized: string) => ({ version, serialized });
const numbers = (result: ReturnType<typeof pairVersions>) => ({
  pairs: result.pairs.map((p) => [p.source.version, p.target?.version]),
  unpaired: result.unpaired.map((u) => u.version),
});

describe('pairVersions', () => {
  it('on a server: a source with a deleted version pairs with the server\'s renumbered copy', () => {
    expect(numbers(pairVersions([v(1, 'a'), v(3, 'c')], [v(1, 'a'), v(2, 'c')], false))).toEqual({ pairs: [[1, 1], [3, 2]], unpaired: [] });
  });

  it('on a server: a version deleted in the source after the copy leaves its copy unpaired, the rest still pair', () => {
    expect(numbers(pairVersions([v(1, 'a'), v(3, 'c')], [v(1, 'a'), v(2, 'b'), v(3, 'c')], false))).toEqual({ pairs: [[1, 1], [3, 3]], unpaired: [2] });
  });

  it('on a server: a different text where the copy is expected is paired (a conflict), a new version is unpaired', () => {
    expect(numbers(pairVersions([v(1, 'a'), v(2, 'b')], [v(1, 'x')], false))).toEqual({ pairs: [[1, 1], [2, undefined]], unpaired: [] });
  });

  it('in a database: by number', () => {
    expect(numbers(pairVersions([v(1, 'a'), v(3, 'c')], [v(1, 'a'), v(2, 'b')], true))).toEqual({ pairs: [[1, 1], [3, undefined]], unpaired: [2] });
  });
});

describe('compareScorer', () => {
  it('is ok when every version has its copy, noting renumbered versions', () => {
    const result = compareScorer({ name: 'polite', versions: [v(1, 'a'), v(3, 'b')] }, { name: 'polite', versions: [v(1, 'a'), v(2, 'b')] }, false);
    expect(result).toEqual({ name: 'polite', status: 'ok', differences: [], notes: ['numbered by the target: 3 -> 2'], versions: 2 });
  });

  it('names a changed text, a missing version and versions the copy has more', () => {
    expect(compareScorer({ name: 's', versions: [v(1, 'a'), v(2, 'b')] }, { name: 's', versions: [v(1, 'x')] }, false).differences).toEqual([
      "version 1: the copy's version 1 holds another serialized scorer",
      'version 2: no copy',
    ]);
    const extra = compareScorer({ name: 's', versions: [v(1, 'a')] }, { name: 's', versions: [v(1, 'a'), v(2, 'b')] }, true);
    expect(extra.status).toBe('different');
    expect(extra.differences).toEqual(['the copy has version(s) the source has not: 2']);
  });

  it('is missing when the target has no scorer of that name', () => {
    expect(compareScorer({ name: 's', versions: [v(1, 'a')] }, undefined, true)).toMatchObject({ status: 'missing', versions: 1 });
  });
});

describe('summariseScorers', () => {
  it('counts versions by outcome, not-copied ones apart', () => {
    const summary = summariseScorers([
      { name: 'a', outcome: 'copied', notes: [], versions: [{ sourceVersion: 1, outcome: 'skipped' }, { sourceVersion: 2, outcome: 'copied' }] },
      { name: 'b', outcome: 'not-copied', notes: [], versions: [{ sourceVersion: 1, outcome: 'not-copied' }] },
    ]);
    expect(summary).toEqual({ scorers: 2, versions: 3, copied: 1, skipped: 1, planned: 0, failed: 0, notCopied: 1 });
  });
});
