import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/backends/registry.js';
import { prepareValues } from '../../src/engine/runs/prepare.js';
import type { RunIssue } from '../../src/engine/types.js';

describe('fitting a run to the target (prepareValues)', async () => {
  const target = await openStore(join(mkdtempSync(join(tmpdir(), 'prepare-')), 'mlruns'), { credentials: {}, role: 'target' });
  afterAll(() => target.close());

  it('reports, never hides, what the target cannot take: refused keys and over-long values', () => {
    const issues: RunIssue[] = [];
    const prepared = prepareValues(
      [{ key: 'lr', value: '0.1' }, { key: 'bad//key', value: 'x' }, { key: 'long', value: 'p'.repeat(6001) }],
      [{ key: 'note', value: 't'.repeat(8001) }],
      target,
      undefined,
      issues,
    );
    expect(prepared.params).toEqual([{ key: 'lr', value: '0.1' }, { key: 'long', value: 'p'.repeat(6000) }]);
    expect(prepared.tags).toEqual([{ key: 'note', value: 't'.repeat(8000) }]);
    expect(issues.map((issue) => [issue.field, issue.key, issue.action])).toEqual([
      ['param', 'bad//key', 'dropped'],
      ['param', 'long', 'truncated'],
      ['tag', 'note', 'truncated'],
    ]);
  });

  it('remaps the parent, and keeps its id in old_sys when the parent was not copied', () => {
    const mapped: RunIssue[] = [];
    expect(prepareValues([], [{ key: 'mlflow.parentRunId', value: 'src-parent' }], target, 'new-parent', mapped).tags).toEqual([
      { key: 'mlflow.parentRunId', value: 'new-parent' },
    ]);
    expect(mapped).toEqual([]);
    const orphan: RunIssue[] = [];
    expect(prepareValues([], [{ key: 'mlflow.parentRunId', value: 'src-parent' }], target, undefined, orphan).tags).toEqual([]);
    expect(orphan[0]).toMatchObject({ key: 'mlflow.parentRunId', action: 'dropped' });
    expect(orphan[0]!.reason).toContain('old_sys/parent_run_id');
  });

  it("replaces a copied run's own provenance and bookkeeping tags, so a copy of a copy is matched as a copy of its own source", () => {
    const issues: RunIssue[] = [];
    const tags = [
      { key: 'old_sys/run_id', value: 'first-source' },
      { key: 'runs_migrator.completed', value: '2026-01-01T00:00:00Z' },
      { key: 'runs_migrator.discarded', value: '2026-01-01T00:00:00Z' },
      { key: 'team', value: 'a' },
    ];
    expect(prepareValues([], tags, target, undefined, issues).tags).toEqual([{ key: 'team', value: 'a' }]);
    expect(issues.map((issue) => [issue.key, issue.action])).toEqual([
      ['old_sys/run_id', 'mapped'],
      ['runs_migrator.completed', 'mapped'],
      ['runs_migrator.discarded', 'mapped'],
    ]);
  });
});
