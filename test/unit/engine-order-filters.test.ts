import { describe, expect, it } from 'vitest';
import { parentsFirst } from '../../src/engine/order.js';
import { inShard, matchesInfo, matchesTags, rootOf, shardOf } from '../../src/engine/filters.js';
import { unsafePathReason } from '../../src/engine/paths.js';
import type { RunInfo } from '../../src/model/run.js';

function run(runId: string, startTime: number, parentRunId?: string, extra: Partial<RunInfo> = {}): RunInfo {
  return { runId, startTime, status: 'FINISHED', deleted: false, parentRunId, ...extra };
}

describe('parentsFirst', () => {
  it('puts every parent before its children, otherwise by start time', () => {
    const runs = [run('child-b', 5, 'parent'), run('solo', 2), run('parent', 10), run('grandchild', 1, 'child-b'), run('child-a', 3, 'parent')];
    const order = parentsFirst(runs).map((r) => r.runId);
    expect(order.indexOf('parent')).toBeLessThan(order.indexOf('child-a'));
    expect(order.indexOf('parent')).toBeLessThan(order.indexOf('child-b'));
    expect(order.indexOf('child-b')).toBeLessThan(order.indexOf('grandchild'));
    expect(order.slice(0, 2)).toEqual(['solo', 'parent']);
    expect(order).toHaveLength(5);
  });

  it('treats a run whose parent is outside the set, or in a cycle, as a root', () => {
    const runs = [run('orphan', 1, 'missing'), run('x', 2, 'y'), run('y', 3, 'x')];
    expect(parentsFirst(runs).map((r) => r.runId).sort()).toEqual(['orphan', 'x', 'y']);
  });
});

describe('filters', () => {
  const info = run('abc', 1_000, undefined, { name: 'train-7', status: 'FAILED' });

  it('match on ids, name pattern, status and a half-open start-time window', () => {
    expect(matchesInfo(info, {})).toBe(true);
    expect(matchesInfo(info, { runIds: ['abc'] })).toBe(true);
    expect(matchesInfo(info, { runIds: ['other'] })).toBe(false);
    expect(matchesInfo(info, { runName: /^train-\d$/ })).toBe(true);
    expect(matchesInfo(info, { runName: /^eval/ })).toBe(false);
    expect(matchesInfo(info, { statuses: ['FINISHED'] })).toBe(false);
    expect(matchesInfo(info, { since: 1_000, until: 1_001 })).toBe(true);
    expect(matchesInfo(info, { until: 1_000 })).toBe(false);
    expect(matchesInfo(run('no-start', undefined as unknown as number), { since: 0 })).toBe(false);
  });

  it('match tags exactly', () => {
    const tags = [{ key: 'team', value: 'a' }, { key: 'stage', value: 'prod' }];
    expect(matchesTags(tags, { tags: [{ key: 'team', value: 'a' }] })).toBe(true);
    expect(matchesTags(tags, { tags: [{ key: 'team', value: 'b' }] })).toBe(false);
  });
});

describe('shards', () => {
  it('split runs stably, evenly and completely', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `run-${i}`);
    const counts = [0, 0, 0, 0];
    for (const id of ids) counts[shardOf(id, 4)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(850);
    expect(counts.reduce((a, b) => a + b)).toBe(4000);
    expect(shardOf('run-1', 4)).toBe(shardOf('run-1', 4));
    expect(ids.filter((id) => [0, 1, 2, 3].some((index) => inShard(id, { index, count: 4 })))).toHaveLength(4000);
  });

  it('keep a family together by hashing its root run', () => {
    const runs = [run('root', 1), run('kid', 2, 'root'), run('grandkid', 3, 'kid')];
    const byId = new Map(runs.map((r) => [r.runId, r]));
    expect(runs.map((r) => rootOf(r, byId))).toEqual(['root', 'root', 'root']);
  });
});

describe('artifact paths from a source', () => {
  it('accept plain relative paths only', () => {
    expect(unsafePathReason('model/weights.bin')).toBeUndefined();
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', 'a//b', './a', 'a\\b', 'C:x', 'a/.', 'nul\0byte']) {
      expect(unsafePathReason(bad), bad).toBeDefined();
    }
  });
});
