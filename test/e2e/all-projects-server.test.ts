/**
 * `copy --all-projects` from an MLflow server (issue 20): every experiment of every workspace of a
 * workspaces server into another server, each into the workspace and experiment of the same name
 * (the target's missing workspaces created), verified per experiment; one whole-store report with a
 * section per experiment; a second run copies nothing. Without --all-workspaces: the default one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';
import { seedModels } from '../support/mlflow-models-seed.js';

const servers: StandinServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function workspacesServer(): Promise<StandinServer> {
  const server = await startStandin({ workspaces: true });
  servers.push(server);
  return server;
}

async function createWorkspace(server: StandinServer, name: string): Promise<void> {
  const response = await fetch(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(response.status).toBe(201);
}

function runs(prefix: string, count: number): SeedRun[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    startTime: 1_700_000_000_000 + i * 1000,
    endTime: 1_700_000_000_900 + i * 1000,
    status: 'FINISHED' as const,
    params: { i: String(i) },
    metrics: { acc: [{ value: i / 10, timestamp: 1_700_000_000_100 + i, step: i }] },
    files: { 'notes.txt': `${prefix} ${i}` },
  }));
}

async function runNames(server: StandinServer, workspace: string, experiment: string): Promise<string[]> {
  const api = new MlflowApi(server.url, { workspace });
  const id = await api.experimentId(experiment);
  if (!id) return [];
  return (await api.searchRuns(id)).map((run) => run.info.run_name as string).sort();
}

describe('copy --all-projects from an MLflow server', () => {
  it('moves every workspace of a workspaces server to another server, verified per experiment, and a second run copies nothing', async () => {
    const source = await workspacesServer();
    const target = await workspacesServer();
    await createWorkspace(source, 'team-a');
    await createWorkspace(source, 'team-b');
    await seedProject(new MlflowApi(source.url), 'shared', runs('d', 2));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-a' }), 'churn', runs('a', 3));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-a' }), 'vision/resnet', runs('v', 1));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-b' }), 'churn', runs('b', 2));
    // A deleted experiment is not copied (active ones only).
    const gone = await seedProject(new MlflowApi(source.url, { workspace: 'team-b' }), 'old', runs('o', 1));
    expect(gone.size).toBe(1);
    const teamB = new MlflowApi(source.url, { workspace: 'team-b' });
    await teamB.call('POST', 'experiments/delete', { experiment_id: await teamB.experimentId('old') });

    const cwd = tempDir('all-projects-server');
    const args = ['copy', '--source-uri', source.url, '--target-uri', target.url, '--all-projects', '--all-workspaces', '--no-progress'];
    const first = await runCli([...args, '--verify'], { cwd });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // The server's own Default experiment of each workspace is an experiment like any other.
    expect(first.stdout).toMatch(/project\(s\) in http:\/\/127\.0\.0\.1:\d+: .*default\/shared.*team-a\/churn, team-a\/vision\/resnet.*team-b\/churn/);
    expect(first.stdout).not.toContain('team-b/old');
    expect(first.stdout).toContain("Created workspace 'team-a'");
    expect(first.stdout).toContain("Created workspace 'team-b'");
    const projects = Number(/(\d+) project\(s\) in/.exec(first.stdout)![1]);
    expect(first.stdout.match(/Verify clean/g)).toHaveLength(projects);
    expect(first.stdout).toContain(`All ${projects} project(s) done`);

    expect(await runNames(target, 'default', 'shared')).toEqual(['d-0', 'd-1']);
    expect(await runNames(target, 'team-a', 'churn')).toEqual(['a-0', 'a-1', 'a-2']);
    expect(await runNames(target, 'team-a', 'vision/resnet')).toEqual(['v-0']);
    expect(await runNames(target, 'team-b', 'churn')).toEqual(['b-0', 'b-1']);
    expect(await runNames(target, 'team-b', 'old')).toEqual([]);

    // One whole-store report, a section per experiment, private like every report.
    const wholeName = readdirSync(cwd).find((name) => /^all-projects_\d{14}\.json$/.test(name))!;
    expect(wholeName).toBeDefined();
    expect(statSync(join(cwd, wholeName)).mode & 0o777).toBe(0o600);
    const whole = JSON.parse(readFileSync(join(cwd, wholeName), 'utf8'));
    expect(whole.allWorkspaces).toBe(true);
    const byName = new Map<string, any>(whole.projects.map((p: any) => [p.project, p]));
    expect(byName.get('team-a/churn').summary.copied).toBe(3);
    expect(byName.get('team-b/churn').summary.copied).toBe(2);
    expect(byName.get('team-b/churn').exitCode).toBe(0);
    expect(readFileSync(byName.get('team-a/churn').report, 'utf8')).toContain('"copied": 3');

    const again = await runCli(args, { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('Created workspace');
    expect(again.stdout).toMatch(/Copied 0, skipped 3\b/);
    expect(again.stdout).not.toMatch(/Copied [1-9]/);
  }, 180_000);

  it('without --all-workspaces copies the default workspace only', async () => {
    const source = await workspacesServer();
    const target = await workspacesServer();
    await createWorkspace(source, 'team-a');
    await seedProject(new MlflowApi(source.url), 'only-this', runs('x', 1));
    await seedProject(new MlflowApi(source.url, { workspace: 'team-a' }), 'not-this', runs('y', 1));
    const cwd = tempDir('all-projects-default');
    const result = await runCli(['copy', '--source-uri', source.url, '--target-uri', target.url, '--all-projects', '--no-progress'], { cwd });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('default/only-this');
    expect(result.stdout).not.toContain('not-this');
    expect(await runNames(target, 'default', 'only-this')).toEqual(['x-0']);
  }, 120_000);

  it('with --registry brings each workspace\'s registry along, into the workspace of the same name', async () => {
    const source = await workspacesServer();
    const target = await workspacesServer();
    await createWorkspace(source, 'team-a');
    const api = new MlflowApi(source.url, { workspace: 'team-a' });
    const T0 = 1_700_000_000_000;
    const runIds = await seedProject(api, 'churn', [
      { name: 'trainer', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' } },
      { name: 'evaluator', startTime: T0 + 2000, endTime: T0 + 3000 },
    ]);
    await seedModels(api, (await api.experimentId('churn'))!, runIds, { registry: true, workspace: 'team-a' });
    const cwd = tempDir('all-projects-registry');
    const result = await runCli(['copy', '--source-uri', source.url, '--target-uri', target.url, '--all-projects', '--all-workspaces', '--registry', '--verify', '--no-progress'], { cwd });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Models clean');
    const inTeamA = await fetch(`${target.url}/api/2.0/mlflow/registered-models/get?name=churn-clf`, { headers: { 'x-mlflow-workspace': 'team-a' } });
    expect(inTeamA.status).toBe(200);
    const inDefault = await fetch(`${target.url}/api/2.0/mlflow/registered-models/get?name=churn-clf`);
    expect(inDefault.status).toBe(404);
  }, 180_000);

  it('works with --watch: every pass copies every workspace, until idle', async () => {
    const source = await workspacesServer();
    const target = await workspacesServer();
    await createWorkspace(source, 'team-a');
    await seedProject(new MlflowApi(source.url, { workspace: 'team-a' }), 'churn', runs('a', 2));
    const cwd = tempDir('all-projects-watch');
    const result = await runCli(
      ['copy', '--source-uri', source.url, '--target-uri', target.url, '--all-projects', '--all-workspaces', '--watch', '0.5', '--until-idle', '1', '--no-progress'],
      { cwd },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const watchLog = readFileSync(join(cwd, readdirSync(cwd).find((name) => name.startsWith('all-projects_watch_'))!), 'utf8');
    expect(watchLog).toMatch(/Watch pass 1: copied 2, updated 0, skipped 0, failed 0/);
    expect(watchLog).toMatch(/Watch pass 2: copied 0, updated 0, skipped 2, failed 0 .*\(idle 1\/1\)/);
    // Each project's passes append to one log of its own.
    expect(readdirSync(cwd).filter((name) => name.startsWith('team-a_churn_to_team-a_churn_') && name.endsWith('.log'))).toHaveLength(1);
    expect(await runNames(target, 'team-a', 'churn')).toEqual(['a-0', 'a-1']);
  }, 120_000);

  it('refuses --all-workspaces without --all-projects', async () => {
    const cwd = tempDir('all-workspaces-usage');
    const result = await runCli(['copy', '--source-uri', 'http://127.0.0.1:9', '--source-project', 'a', '--target-project', 'b', '--all-workspaces'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--all-workspaces goes with --all-projects');
  });
});
