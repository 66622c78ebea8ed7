/**
 * How verify pairs scorer versions: in order, by their serialized text; a number the target chose
 * differently is a note, missing, changed or extra versions are differences.
 */
import { describe, expect, it } from 'vitest';
import { compareScorer } from '../../src/engine/scorers/verify-scorers.js';
import { summariseScorers } from '../../src/engine/scorers/types.js';

const v = (version: number, serialized: string) => ({ version, serialized });

describe('compareScorer', () => {
  it('is ok when every version has the same text in the same order, noting renumbered versions', () => {
    const result = compareScorer({ name: 'polite', versions: [v(1, 'a'), v(3, 'b')] }, { name: 'polite', versions: [v(1, 'a'), v(2, 'b')] });
    expect(result).toEqual({ name: 'polite', status: 'ok', differences: [], notes: ['numbered by the target: 3 -> 2'], versions: 2 });
  });

  it('names a changed text, a missing version and versions the copy has more', () => {
    expect(compareScorer({ name: 's', versions: [v(1, 'a'), v(2, 'b')] }, { name: 's', versions: [v(1, 'x')] }).differences).toEqual([
      "version 1: the copy's version 1 holds another serialized scorer",
      'version 2: no copy',
    ]);
    const extra = compareScorer({ name: 's', versions: [v(1, 'a')] }, { name: 's', versions: [v(1, 'a'), v(2, 'b')] });
    expect(extra.status).toBe('different');
    expect(extra.differences).toEqual(['the copy has 1 version(s) more: 2']);
  });

  it('is missing when the target has no scorer of that name', () => {
    expect(compareScorer({ name: 's', versions: [v(1, 'a')] }, undefined)).toMatchObject({ status: 'missing', versions: 1 });
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
