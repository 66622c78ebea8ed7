/**
 * The trace state token and the difference a sync writes into a copy (engine/traces/trace-state.ts).
 */
import { LosslessNumber } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { traceDifference, traceStateToken } from '../../src/engine/traces/trace-state.js';
import type { Assessment } from '../../src/model/trace.js';

function assessment(id: string, extra: Partial<Assessment> = {}): Assessment {
  return {
    assessmentId: id,
    traceId: 'tr-1',
    name: 'relevance',
    kind: 'feedback',
    value: 0.75,
    sourceType: 'HUMAN',
    sourceId: 'alice',
    metadata: {},
    valid: true,
    createTime: 1_700_000_000_000,
    lastUpdateTime: 1_700_000_000_000,
    ...extra,
  };
}

describe('traceStateToken', () => {
  const tags = { team: 'a', 'mlflow.traceName': 'qa' };
  const base = traceStateToken(tags, [assessment('a-1')]);

  it('does not depend on the order of tags or assessments', () => {
    expect(traceStateToken({ 'mlflow.traceName': 'qa', team: 'a' }, [assessment('a-1')])).toBe(base);
    expect(traceStateToken(tags, [assessment('a-2'), assessment('a-1')])).toBe(traceStateToken(tags, [assessment('a-1'), assessment('a-2')]));
  });

  it('moves with a tag set, changed or deleted, and with an assessment added, updated or deleted', () => {
    const moved = [
      traceStateToken({ ...tags, stage: 'x' }, [assessment('a-1')]),
      traceStateToken({ ...tags, team: 'b' }, [assessment('a-1')]),
      traceStateToken({ team: 'a' }, [assessment('a-1')]),
      traceStateToken(tags, [assessment('a-1'), assessment('a-2')]),
      traceStateToken(tags, [assessment('a-1', { rationale: 'later', lastUpdateTime: 1_700_000_100_000 })]),
      traceStateToken(tags, [assessment('a-1', { valid: false })]),
      traceStateToken(tags, []),
    ];
    for (const token of moved) expect(token).not.toBe(base);
    expect(new Set(moved).size).toBe(moved.length);
  });

  it("ignores the store's own tags and an earlier copy's bookkeeping", () => {
    expect(traceStateToken({ ...tags, 'mlflow.artifactLocation': '/elsewhere', 'runs_migrator.completed': 'x', 'runs_migrator.source_state': 'y' }, [assessment('a-1')])).toBe(base);
  });
});

describe('traceDifference', () => {
  it('lists tags to set and delete, assessments to create, rewrite and delete, leaving provenance and store tags alone', () => {
    const copy = {
      tags: { team: 'a', stale: '1', 'old_sys/trace_id': 'tr-1', 'runs_migrator.completed': 't', 'mlflow.artifactLocation': '/x' },
      assessments: [assessment('a-1'), assessment('a-gone', { name: 'old' })],
    };
    const wanted = {
      tags: { team: 'b', fresh: 'y', 'old_sys/trace_id': 'tr-1' },
      assessments: [assessment('a-1', { rationale: 'later' }), assessment('a-new', { name: 'late' })],
    };
    const { update, changes } = traceDifference(wanted, copy);
    expect(update.setTags).toEqual({ team: 'b', fresh: 'y' });
    expect(update.deleteTags).toEqual(['stale']);
    expect(update.updateAssessments.map((a) => a.assessmentId)).toEqual(['a-1']);
    expect(update.createAssessments.map((a) => a.assessmentId)).toEqual(['a-new']);
    expect(update.deleteAssessments).toEqual(['a-gone']);
    expect(changes).toEqual(['tag team changed', 'tag fresh set', 'tag stale deleted', 'assessment relevance (a-1) updated', 'assessment late (a-new) added', 'assessment old (a-gone) deleted']);
  });

  it('finds nothing when the copy holds what the source maps to (a number answered as 1.0 included)', () => {
    const same = { tags: { team: 'a' }, assessments: [assessment('a-1', { value: new LosslessNumber('1') as never })] };
    const { changes } = traceDifference(same, { tags: { team: 'a' }, assessments: [assessment('a-1', { value: new LosslessNumber('1.0') as never })] });
    expect(changes).toEqual([]);
  });
});
