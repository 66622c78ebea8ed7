/**
 * verify as a specification, on real mlruns stores: clean after a copy; a partial copy left
 * beside a complete one, a changed metric point and runs never copied are each found; a re-run of
 * copy removes the partial copy.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/backends/contract.js';
import { openStore } from '../../src/backends/registry.js';
import { copyProject } from '../../src/engine/copy-project.js';
import { verifyProject } from '../../src/engine/verify.js';
import { parseProjectRef } from '../../src/model/project-ref.js';
import { PROVENANCE } from '../../src/model/provenance.js';
import { exampleStore } from '../support/example-store.js';


describe('verify', () => {
  let dir: string;
  let source: Store;
  let target: Store;
  const endpoints = () => ({
    source: { store: source, project: parseProjectRef('default/churn') },
    target: { store: target, project: parseProjectRef('default/churn-copy') },
    includeDeleted: true,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-'));
    source = await openStore(await exampleStore(), { credentials: {}, role: 'source' });
    target = await openStore(join(dir, 'mlruns'), { credentials: {}, role: 'target' });
    expect((await copyProject(endpoints())).summary.copied).toBe(6);
  });
  afterAll(async () => {
    await source.close();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is clean right after a copy, having compared every point and file', async () => {
    const report = await verifyProject(endpoints());
    expect(report.clean).toBe(true);
    expect(report.summary).toMatchObject({ runs: 6, ok: 6, points: 14_320, files: 15 });
  });

  it('finds a partial copy left beside a complete one, and a re-run of copy removes it', async () => {
    const sourceRunId = (await verifyProject(endpoints())).runs[0]!.sourceRunId;
    const project = (await target.openTarget(parseProjectRef('default/churn-copy'), { tags: [] }, { create: false }))!;
    await project.createRun({
      name: 'leftover',
      startTime: 1,
      tags: [
        { key: PROVENANCE.runId, value: sourceRunId },
        { key: PROVENANCE.project, value: 'default/churn' },
      ],
      source: { project: 'default/churn', runId: sourceRunId },
    });
    const dirty = await verifyProject(endpoints());
    expect(dirty.clean).toBe(false);
    expect(dirty.runs.find((run) => run.sourceRunId === sourceRunId)).toMatchObject({
      status: 'different',
      differences: ['1 partial copy(ies) left beside the complete one'],
    });
    const again = await copyProject(endpoints());
    expect(again.summary).toMatchObject({ copied: 0, skipped: 6 });
    expect((await verifyProject(endpoints())).clean).toBe(true);
  });

  it('finds runs that were never copied', async () => {
    const elsewhere = await openStore(join(dir, 'other'), { credentials: {}, role: 'target' });
    await elsewhere.openTarget(parseProjectRef('default/churn-copy'), { tags: [] }, { create: true });
    const report = await verifyProject({ ...endpoints(), target: { store: elsewhere, project: parseProjectRef('default/churn-copy') } });
    await elsewhere.close();
    expect(report.clean).toBe(false);
    expect(report.summary).toMatchObject({ runs: 6, missing: 6, ok: 0 });
    expect(report.runs[0]!.differences).toEqual(['no copy in the target']);
  });

  it('finds a metric point that differs, naming the metric', async () => {
    const experimentDir = readdirSync(join(dir, 'mlruns')).find((name) => /^\d{6,}$/.test(name))!;
    const report = await verifyProject(endpoints());
    const victim = report.runs.find((run) => run.points > 0)!;
    const runDir = join(dir, 'mlruns', experimentDir, victim.targetRunIds[0]!);
    const key = readdirSync(join(runDir, 'metrics'), { recursive: true, withFileTypes: true }).find((entry) => entry.isFile())!;
    appendFileSync(join(key.parentPath, key.name), '1700000000000 42.0 999999\n');
    const changed = await verifyProject(endpoints());
    const run = changed.runs.find((candidate) => candidate.sourceRunId === victim.sourceRunId)!;
    expect(run.status).toBe('different');
    expect(run.differences.join('\n')).toMatch(/histories differ \(source \d+ points, copy \d+\)/);
  });
});
