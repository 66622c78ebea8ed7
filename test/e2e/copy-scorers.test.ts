/**
 * Scorers move with their experiment between MLflow servers, through the CLI: every version of
 * every scorer, the serialized scorer byte for byte, exactly once. The server numbers versions
 * itself, so a source with a deleted version is renumbered (reported) and verify still pairs the
 * versions in order. A re-run writes nothing; a version registered since is copied by the next run.
 * Also workspace to workspace on one server, and into an mlruns folder (cannot hold scorers:
 * reported as not copied, never dropped without a word).
 */
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { deleteScorerVersion, guidelinesScorer, registerScorer, scorerVersions } from '../support/scorer-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

vi.setConfig({ testTimeout: 180_000 });

const T0 = 1_700_000_000_000;
const POLITE_1 = guidelinesScorer('polite', ['Be polite']);
const POLITE_2 = guidelinesScorer('polite', ['Be polite', 'Be brief']);
const TONE = guidelinesScorer('tone', ['Stay neutral']);
const GAPPY = [1, 2, 3].map((n) => guidelinesScorer('gappy', [`rule ${n}`]));

const args = (verb: 'copy' | 'verify', from: string, fromProject: string, to: string, toProject: string, extra: string[] = []) => [
  verb, '--source-uri', from, '--source-project', fromProject, '--target-uri', to, '--target-project', toProject,
  '--json', ...(verb === 'copy' ? ['--no-progress'] : []), ...extra,
];

const versionsOf = (report: any, name: string) =>
  report.scorers.scorers.find((s: any) => s.name === name).versions.map((v: any) => [v.sourceVersion, v.outcome, v.targetVersion]);

describe('scorers between two MLflow servers', () => {
  let source: StandinServer;
  let target: StandinServer;
  let sourceExperiment: string;
  const cwd = tempDir('e2e-scorers');

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    for (const name of ['busy-1', 'busy-2']) await new MlflowApi(target.url).call('POST', 'experiments/create', { name });
    const api = new MlflowApi(source.url);
    await seedProject(api, 'judged', [{ name: 'eval', startTime: T0, endTime: T0 + 1000 }]);
    sourceExperiment = (await api.experimentId('judged'))!;
    await registerScorer(source.url, sourceExperiment, 'polite', POLITE_1);
    await registerScorer(source.url, sourceExperiment, 'polite', POLITE_2);
    await registerScorer(source.url, sourceExperiment, 'tone', TONE);
    for (const text of GAPPY) await registerScorer(source.url, sourceExperiment, 'gappy', text);
    await deleteScorerVersion(source.url, sourceExperiment, 'gappy', 2);
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
  });

  it('--dry-run counts every version and writes nothing', async () => {
    const result = await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-copy', ['--dry-run']), { cwd });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.scorers.summary).toEqual({ scorers: 3, versions: 5, copied: 0, skipped: 0, planned: 5, failed: 0, notCopied: 0 });
    expect(await new MlflowApi(target.url).experimentId('judged-copy')).toBeUndefined();
  });

  it('copies every version in order, verify is clean; a re-run writes nothing; a new version is copied next time', async () => {
    const first = await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd });
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.scorers.summary).toMatchObject({ scorers: 3, versions: 5, copied: 5, failed: 0 });
    expect(versionsOf(report, 'polite')).toEqual([[1, 'copied', 1], [2, 'copied', 2]]);
    // Source version 3 of gappy (2 was deleted) is the target's 2: reported, not hidden.
    expect(versionsOf(report, 'gappy')).toEqual([[1, 'copied', 1], [3, 'copied', 2]]);
    expect(report.scorers.scorers.find((s: any) => s.name === 'gappy').versions[1].reason).toContain('numbered 2 by the target');
    const targetExperiment = report.target.projectId;
    expect(targetExperiment).not.toBe(sourceExperiment);
    expect(await scorerVersions(target.url, targetExperiment, 'polite')).toEqual([[1, POLITE_1], [2, POLITE_2]]);
    expect(await scorerVersions(target.url, targetExperiment, 'gappy')).toEqual([[1, GAPPY[0]], [2, GAPPY[2]]]);
    expect(first.stderr).toContain('Scorers: 3, 5 version(s): 5 copied');

    const checked = await runCli(args('verify', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd });
    const verified = JSON.parse(checked.stdout);
    expect(verified.scorers.summary).toEqual({ scorers: 3, ok: 3, missing: 0, different: 0, error: 0, versions: 5 });
    expect(verified.scorers.scorers.find((s: any) => s.name === 'gappy').notes).toEqual(['numbered by the target: 3 -> 2']);
    expect(verified.clean).toBe(true);
    expect(checked.code).toBe(0);

    const again = JSON.parse((await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd })).stdout);
    expect(again.scorers.summary).toMatchObject({ versions: 5, copied: 0, skipped: 5 });
    expect(await scorerVersions(target.url, targetExperiment, 'polite')).toHaveLength(2);

    const POLITE_3 = guidelinesScorer('polite', ['Be polite', 'Be brief', 'Cite sources']);
    await registerScorer(source.url, sourceExperiment, 'polite', POLITE_3);
    const third = JSON.parse((await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd })).stdout);
    expect(third.scorers.summary).toMatchObject({ versions: 6, copied: 1, skipped: 5 });
    expect(versionsOf(third, 'polite')).toEqual([[1, 'skipped', 1], [2, 'skipped', 2], [3, 'copied', 3]]);
    const after = await runCli(args('verify', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd });
    expect(JSON.parse(after.stdout).clean).toBe(true);

    // A version deleted in the source after its copy: the others still pair, nothing is written,
    // the copy's version is reported (copy) and is a difference (verify): deletions are not followed.
    await deleteScorerVersion(source.url, sourceExperiment, 'polite', 2);
    const fourth = JSON.parse((await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd })).stdout);
    expect(versionsOf(fourth, 'polite')).toEqual([[1, 'skipped', 1], [3, 'skipped', 3]]);
    expect(fourth.scorers.scorers.find((s: any) => s.name === 'polite').notes[0]).toContain('the target has version(s) 2 that copy no source version');
    const stale = JSON.parse((await runCli(args('verify', source.url, 'default/judged', target.url, 'default/judged-copy'), { cwd })).stdout);
    expect(stale.scorers.scorers.find((s: any) => s.name === 'polite').differences).toEqual(['the copy has version(s) the source has not: 2']);
  });

  it('a target version with other content is a conflict: reported, left as it is, exit code 1; verify says so', async () => {
    const api = new MlflowApi(target.url);
    await api.call('POST', 'experiments/create', { name: 'judged-conflict' });
    const experiment = (await api.experimentId('judged-conflict'))!;
    await registerScorer(target.url, experiment, 'tone', guidelinesScorer('tone', ['Be loud']));
    const result = await runCli(args('copy', source.url, 'default/judged', target.url, 'default/judged-conflict'), { cwd });
    expect(result.code).toBe(1);
    const tone = JSON.parse(result.stdout).scorers.scorers.find((s: any) => s.name === 'tone');
    expect(tone).toMatchObject({ outcome: 'failed' });
    expect(tone.reason).toContain('holds another serialized scorer');
    expect(await scorerVersions(target.url, experiment, 'tone')).toEqual([[1, guidelinesScorer('tone', ['Be loud'])]]);
    const checked = JSON.parse((await runCli(args('verify', source.url, 'default/judged', target.url, 'default/judged-conflict'), { cwd })).stdout);
    expect(checked.clean).toBe(false);
    expect(checked.scorers.scorers.find((s: any) => s.name === 'tone').status).toBe('different');
  });

  it('into an mlruns folder: each scorer reported as not copied with its versions, the copy still succeeds', async () => {
    const folder = join(cwd, 'mlruns');
    const result = await runCli(args('copy', source.url, 'default/judged', folder, 'default/judged'), { cwd });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.scorers.summary).toMatchObject({ scorers: 3, versions: 5, notCopied: 5, copied: 0, failed: 0 });
    expect(report.scorers.scorers.every((s: any) => s.outcome === 'not-copied' && s.reason === 'mlruns stores cannot hold scorers')).toBe(true);
    // verify says the scorers are not there.
    const checked = JSON.parse((await runCli(args('verify', source.url, 'default/judged', folder, 'default/judged'), { cwd })).stdout);
    expect(checked.scorers.summary).toMatchObject({ scorers: 3, missing: 3 });
    expect(checked.clean).toBe(false);
  });
});

async function createWorkspace(server: StandinServer, name: string): Promise<void> {
  const response = await request(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(response.statusCode).toBe(201);
  await response.body.text();
}

describe('scorers from workspace to workspace on one server', () => {
  let server: StandinServer;
  const cwd = tempDir('e2e-scorers-ws');
  afterAll(async () => server?.close());

  it('land in the target workspace\'s experiment, the source left as it was, verify clean, a re-run writes nothing', async () => {
    server = await startStandin({ workspaces: true });
    await createWorkspace(server, 'team-a');
    await createWorkspace(server, 'team-b');
    const teamA = new MlflowApi(server.url, { workspace: 'team-a' });
    await seedProject(teamA, 'judged', [{ name: 'eval', startTime: T0, endTime: T0 + 1000 }]);
    const sourceExperiment = (await teamA.experimentId('judged'))!;
    await registerScorer(server.url, sourceExperiment, 'polite', POLITE_1, 'team-a');
    await registerScorer(server.url, sourceExperiment, 'polite', POLITE_2, 'team-a');

    const copyArgs = args('copy', server.url, 'team-a/judged', server.url, 'team-b/judged');
    const result = await runCli(copyArgs, { cwd });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(versionsOf(report, 'polite')).toEqual([[1, 'copied', 1], [2, 'copied', 2]]);
    const targetExperiment = report.target.projectId;
    expect(await scorerVersions(server.url, targetExperiment, 'polite', 'team-b')).toEqual([[1, POLITE_1], [2, POLITE_2]]);
    expect(await scorerVersions(server.url, sourceExperiment, 'polite', 'team-a')).toEqual([[1, POLITE_1], [2, POLITE_2]]);
    const checked = await runCli(args('verify', server.url, 'team-a/judged', server.url, 'team-b/judged'), { cwd });
    expect(JSON.parse(checked.stdout).scorers.summary).toMatchObject({ scorers: 1, ok: 1, versions: 2 });
    expect(checked.code).toBe(0);
    const again = JSON.parse((await runCli(copyArgs, { cwd })).stdout);
    expect(again.scorers.summary).toMatchObject({ copied: 0, skipped: 2 });
  });
});
