/**
 * The whole-store page data (src/report/whole-store.ts): the projects' pages joined into one -
 * totals in the summary, a row per project, every run and extra copy marked with its project.
 */
import { describe, expect, it } from 'vitest';
import { REPORT_DATA_FORMAT, type HtmlReportData, type RunRow } from '../../src/report/report-data.js';
import { wholeStoreReport } from '../../src/report/whole-store.js';

function row(id: string, outcome: string, status?: string): RunRow {
  return { id, targets: [`t-${id}`], outcome, ...(status ? { status } : {}), differences: 0, issues: 0, counts: { points: 10, files: 1, bytes: 100 } };
}

function page(project: string, runs: RunRow[], verify?: { statuses: Record<string, number>; clean: boolean }, extra: HtmlReportData['extra'] = []): HtmlReportData {
  return {
    format: REPORT_DATA_FORMAT,
    tool: 'runs-migrator',
    version: '0.1.0',
    command: 'copy',
    createdAt: '2026-12-07T00:00:00.000Z',
    source: { uri: 'http://old:5000', project, kind: 'mlflow' },
    target: { uri: 'http://new:5000', project, kind: 'mlflow' },
    summary: {
      runs: runs.length,
      copied: runs.filter((r) => r.outcome === 'copied').length,
      updated: runs.filter((r) => r.outcome === 'updated').length,
      skipped: runs.filter((r) => r.outcome === 'skipped').length,
      failed: runs.filter((r) => r.outcome === 'failed').length,
      verified: verify !== undefined,
      ...(verify ? { statuses: verify.statuses, clean: verify.clean, extra: extra.length } : {}),
      points: runs.length * 10,
      files: runs.length,
      bytes: runs.length * 100,
      durationMs: 5,
      exitStatus: verify && !verify.clean ? 1 : 0,
    },
    limits: { pointsPerSeries: 1000, detailsLeftOut: 1, note: 'Curves are downsampled.' },
    runs,
    extra,
  };
}

const input = {
  version: '0.1.0',
  createdAt: '2026-12-07T01:00:00.000Z',
  source: { uri: 'http://old:5000', kind: 'mlflow' },
  target: { uri: 'http://new:5000', kind: 'mlflow' },
  label: '3 project(s), every workspace',
  durationMs: 1234,
  exitStatus: 1,
};

describe('wholeStoreReport', () => {
  it('adds up the projects, keeps a row per project and marks every run and extra copy with its project', () => {
    const data = wholeStoreReport({
      ...input,
      projects: [
        { project: 'default/a', exitStatus: 0, data: page('default/a', [row('1', 'copied', 'ok'), row('2', 'updated', 'ok')], { statuses: { ok: 2 }, clean: true }) },
        {
          project: 'team-b/c',
          exitStatus: 1,
          data: page('team-b/c', [row('3', 'skipped', 'different')], { statuses: { different: 1 }, clean: false }, [{ targetRunId: 'x', sourceRunId: 'gone' }]),
        },
        { project: 'team-c/d', exitStatus: 1, error: "workspace 'team-c' cannot be created" },
      ],
    });
    expect(data.summary).toMatchObject({
      runs: 3, copied: 1, updated: 1, skipped: 1, failed: 0, verified: true, clean: false,
      statuses: { ok: 2, different: 1 }, extra: 1, points: 30, files: 3, bytes: 300, durationMs: 1234, exitStatus: 1,
    });
    expect(data.source).toEqual({ uri: 'http://old:5000', kind: 'mlflow', project: '3 project(s), every workspace' });
    expect(data.runs.map((r) => [r.project, r.id])).toEqual([['default/a', '1'], ['default/a', '2'], ['team-b/c', '3']]);
    expect(data.extra).toEqual([{ targetRunId: 'x', sourceRunId: 'gone', project: 'team-b/c' }]);
    expect(data.limits.detailsLeftOut).toBe(2);
    expect(data.projects).toEqual([
      { project: 'default/a', exitStatus: 0, runs: 2, copied: 1, updated: 1, skipped: 0, failed: 0, verified: true, clean: true, statuses: { ok: 2 }, extra: 0, points: 20, files: 2, bytes: 200 },
      { project: 'team-b/c', exitStatus: 1, runs: 1, copied: 0, updated: 0, skipped: 1, failed: 0, verified: true, clean: false, statuses: { different: 1 }, extra: 1, points: 10, files: 1, bytes: 100 },
      { project: 'team-c/d', exitStatus: 1, runs: 0, verified: false, points: 0, files: 0, bytes: 0, error: "workspace 'team-c' cannot be created" },
    ]);
  });

  it('is not "verified" unless every copied project was', () => {
    const data = wholeStoreReport({
      ...input,
      projects: [
        { project: 'default/a', exitStatus: 0, data: page('default/a', [row('1', 'copied', 'ok')], { statuses: { ok: 1 }, clean: true }) },
        { project: 'default/b', exitStatus: 0, data: page('default/b', [row('2', 'copied')]) },
      ],
    });
    expect(data.summary.verified).toBe(false);
    expect(data.summary.clean).toBeUndefined();
  });
});
