/**
 * What a sync counts as a changed file (engine/file-change.ts, docs/sync.md "Files: what is
 * compared, per store").
 */
import { describe, expect, it } from 'vitest';
import { deletionGuard, describeFileChange, fileChange, lastComparedMs } from '../../src/engine/file-change.js';

describe('fileChange', () => {
  it('a file the copy lacks is added, one of another size is resized', () => {
    expect(fileChange({ path: 'a', size: 3 }, undefined, undefined)).toBe('added');
    expect(fileChange({ path: 'a', size: 3 }, { path: 'a', size: 4 }, undefined)).toBe('resized');
  });

  it('the same size without a source mtime (MLflow servers, object stores) is unchanged', () => {
    expect(fileChange({ path: 'a', size: 3 }, { path: 'a', size: 3, modifiedMs: 1 }, 1)).toBeUndefined();
  });

  it("the same size is rewritten when the source file is newer than the copy's file", () => {
    expect(fileChange({ path: 'a', size: 3, modifiedMs: 2_000 }, { path: 'a', size: 3, modifiedMs: 1_000 }, undefined)).toBe('rewritten');
    expect(fileChange({ path: 'a', size: 3, modifiedMs: 1_000 }, { path: 'a', size: 3, modifiedMs: 2_000 }, undefined)).toBeUndefined();
  });

  it("without a copy mtime, the copy's last comparison is the threshold; without either, unchanged", () => {
    expect(fileChange({ path: 'a', size: 3, modifiedMs: 2_000 }, { path: 'a', size: 3 }, 1_500)).toBe('rewritten');
    expect(fileChange({ path: 'a', size: 3, modifiedMs: 1_000 }, { path: 'a', size: 3 }, 1_500)).toBeUndefined();
    expect(fileChange({ path: 'a', size: 3, modifiedMs: 1_000 }, { path: 'a', size: 3 }, undefined)).toBeUndefined();
  });

  it('says what changed, one line', () => {
    expect(describeFileChange('m/w.bin', 'resized', { path: 'm/w.bin', size: 5 }, { path: 'm/w.bin', size: 3 })).toBe('file m/w.bin changed (3 -> 5 bytes)');
    expect(describeFileChange('x', 'rewritten', { path: 'x', size: 5 }, { path: 'x', size: 5 })).toBe('file x rewritten (same size, 5 bytes, modified after the copy)');
  });
});

describe('lastComparedMs', () => {
  it('is the later of runs_migrator.synced_at and the completion marker; unparsable values are ignored', () => {
    const completed = { key: 'runs_migrator.completed', value: '2026-01-01T00:00:00.000Z' };
    expect(lastComparedMs([completed])).toBe(Date.parse(completed.value));
    expect(lastComparedMs([completed, { key: 'runs_migrator.synced_at', value: String(Date.parse(completed.value) + 10) }])).toBe(Date.parse(completed.value) + 10);
    expect(lastComparedMs([{ key: 'runs_migrator.synced_at', value: 'soon' }, { key: 'team', value: '1' }])).toBeUndefined();
  });
});

describe('deletionGuard', () => {
  it('blocks every deletion when the listing was incomplete, and keeps paths the source reported itself', () => {
    expect(deletionGuard([]).blocked).toBeUndefined();
    expect(deletionGuard([{ field: 'files', reason: 'mlartifacts is missing here' }]).blocked).toContain('mlartifacts is missing here');
    expect(deletionGuard([{ field: 'files/x.bin', reason: 'unsafe key', lost: true }]).blocked).toContain('unsafe key');
    const guard = deletionGuard([{ field: 'artifacts/link.txt', reason: 'symbolic link; not followed' }, { field: 'metrics/loss', reason: 'NULL step' }]);
    expect(guard.blocked).toBeUndefined();
    expect([...guard.keep]).toEqual(['link.txt']);
  });
});
