/**
 * The mlruns store written by the real MLflow 3.11 (test/golden/stores/mlruns, see its README):
 * rsynced from another machine, so every meta.yaml names file:///home/researcher/project/mlruns,
 * which does not exist here - artifacts are found relative to the store. Both experiments are
 * copied through the CLI into every writable backend and verified. Logged models, their links to
 * runs and the registry entries are not copied yet (issue 11): the copy reports them (project and
 * run issues) instead of failing, and verify names the links it could not compare.
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

  it('copies experiment "fixture" (nested, failed, deleted, running runs; NaN, int64 steps; empty files), reports the models it does not copy yet', async () => {
    const cwd = tempDir('golden-fixture');
    const { report, verify, verifyCode } = await copyAndVerify(cwd, targetUri(cwd), 'fixture', projectName('fixture'));
    expect(report.summary).toMatchObject({ copied: 4, failed: 0 });
    // The file store appends step-0 points again when a model is logged (README): 203 + 2 + 5 + 7 in the parent.
    expect(report.summary.totals).toMatchObject({ params: 7, points: 220, inputs: 1, files: 8, bytes: 1077 });
    const parent = report.runs.find((run: { sourceRunId: string }) => run.sourceRunId === PARENT);
    expect(parent.counts).toMatchObject({ params: 4, metricKeys: 4, points: 217, inputs: 1, files: 5 });
    expect(report.projectIssues).toEqual([
      { side: 'source', field: 'logged models', reason: `2 logged model(s) not copied (${MODEL}, ${MODEL_V2}): runs-migrator does not copy logged models and the model registry yet` },
      { side: 'source', field: 'model registry', reason: expect.stringMatching(/^2 registered model version\(s\) made from runs of this project not copied \(fixture-model 1, fixture-model 2\)/) },
    ]);
    const dropped = parent.issues.filter((issue: { action: string }) => issue.action === 'dropped');
    expect(dropped.map((issue: { field: string; action: string }) => [issue.field, issue.action]).sort()).toEqual([
      [expect.stringMatching(/^inputs\//), 'dropped'],
      [`outputs/${MODEL}`, 'dropped'],
      [`outputs/${MODEL_V2}`, 'dropped'],
    ]);

    // Everything copied compares equal; the three model links are named as not compared.
    expect(verify.summary).toMatchObject({ runs: 4, ok: 3, different: 1 });
    expect(verifyCode).not.toBe(0);
    const differences = verify.runs.find((run: { sourceRunId: string }) => run.sourceRunId === PARENT).differences;
    expect(differences).toHaveLength(3);
    for (const difference of differences) expect(difference).toMatch(/^(inputs|outputs)\/\S+: not compared, the source could not read it \((input from|output link to) logged model m-/);
    expect(verify.summary.files).toBe(8);
  });
});
