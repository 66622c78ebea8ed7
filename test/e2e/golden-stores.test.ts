/**
 * The mlruns store written by the real MLflow 3.11 (test/golden/stores/mlruns, see its README):
 * rsynced from another machine, so every meta.yaml names file:///home/researcher/project/mlruns,
 * which does not exist here - artifacts are found relative to the store. Both experiments are
 * copied through the CLI into every writable backend and verified. The logged models and their
 * links to runs come along (a Neptune archive, which cannot hold them, reports them as unsupported).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { GOLDEN_STORES_DIR } from '../support/golden-paths.js';
import { runCli, tempDir } from '../support/cli-process.js';

const SOURCE = join(GOLDEN_STORES_DIR, 'mlruns');
const PARENT = 'd3c238855dbb489d8ea79df4c85a82fc';
const MODEL = 'm-97974bbd4b914384a9253728a5163cbb';
const MODEL_V2 = 'm-ae2113beadab4fbdb96f3f3b7471f000';

let server: StandinServer;
beforeAll(async () => {
  server = await startStandin();
});
afterAll(() => server.close());

const targets: Array<[string, (cwd: string) => string, (name: string) => string]> = [
  ['an MLflow server (stand-in)', () => server.url, (name) => `golden-${name}`],
  ['an mlruns folder', (cwd) => join(cwd, 'mlruns'), (name) => name],
  ['a Neptune archive', (cwd) => `neptune-export:${join(cwd, 'exports', 'data')}`, (name) => `team/${name}`],
];

async function copyAndVerify(cwd: string, target: string, experiment: string, project: string) {
  const locations = ['--source-uri', SOURCE, '--source-project', experiment, '--target-uri', target, '--target-project', project];
  const copy = await runCli(['copy', ...locations, '--include-deleted', '--no-progress', '--report', `${experiment}.json`], { cwd });
  expect(copy.code, copy.stderr).toBe(0);
  const verify = await runCli(['verify', ...locations, '--include-deleted', '--report', `${experiment}.verify.json`], { cwd });
  return {
    report: JSON.parse(readFileSync(join(cwd, `${experiment}.json`), 'utf8')),
    verify: JSON.parse(readFileSync(join(cwd, `${experiment}.verify.json`), 'utf8')),
    verifyCode: verify.code,
  };
}

describe.each(targets)('the real mlruns store into %s', (_label, targetUri, projectName) => {
  it('copies experiment "second" whole, verify clean', async () => {
    const cwd = tempDir('golden-second');
    const { report, verify, verifyCode } = await copyAndVerify(cwd, targetUri(cwd), 'second', projectName('second'));
    expect(report.summary).toMatchObject({ copied: 1, failed: 0 });
    expect(report.summary.totals).toMatchObject({ params: 1, points: 1000, files: 1, bytes: 12 });
    expect(report.projectIssues).toEqual([]);
    expect(verify.clean).toBe(true);
    expect(verifyCode).toBe(0);
  });

  it('copies experiment "fixture" (nested, failed, deleted, running runs; NaN, int64 steps; empty files) with its logged models, verify clean', async () => {
    const cwd = tempDir('golden-fixture');
    const { report, verify, verifyCode } = await copyAndVerify(cwd, targetUri(cwd), 'fixture', projectName('fixture'));
    expect(report.summary).toMatchObject({ copied: 4, failed: 0 });
    // The file store appends step-0 points again when a model is logged (README): 203 + 2 + 5 + 7 in the parent.
    expect(report.summary.totals).toMatchObject({ params: 7, points: 220, inputs: 1, files: 8, bytes: 1077 });
    const parent = report.runs.find((run: { sourceRunId: string }) => run.sourceRunId === PARENT);
    expect(parent.counts).toMatchObject({ params: 4, metricKeys: 4, points: 217, inputs: 1, files: 5 });
    expect(report.projectIssues).toEqual([]);
    expect(parent.issues.filter((issue: { action: string }) => issue.action === 'dropped')).toEqual([]);
    if (_label === 'a Neptune archive') {
      // An archive holds no logged models: each is reported as unsupported, with the links to it.
      expect(report.models.summary).toMatchObject({ models: 2, copied: 0, unsupported: 2, unresolvedLinks: 3 });
    } else {
      expect(report.models.summary).toMatchObject({ models: 2, copied: 2, failed: 0, files: 10, links: 3, unresolvedLinks: 0 });
      expect(report.models.models.map((model: { sourceModelId: string }) => model.sourceModelId).sort()).toEqual([MODEL, MODEL_V2]);
    }

    // The duplicate step-0 points a SQL-backed server keeps once are compared as distinct points.
    expect(verify.summary).toMatchObject({ runs: 4, ok: 4, different: 0, points: 220, files: 8 });
    expect(verify.clean).toBe(true);
    expect(verifyCode).toBe(0);
  });
});
