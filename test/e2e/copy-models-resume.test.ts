/**
 * Logged models and the registry between workspaces of MLflow servers, and exactly once under
 * SIGKILL: a copy killed while model artifacts are being uploaded converges on the next runs,
 * with no duplicated model or version, and verify --registry is clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { seedModels } from '../support/mlflow-models-seed.js';
import { runCli, startCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
const RUNS: SeedRun[] = [
  { name: 'trainer', startTime: T0, endTime: T0 + 1000, params: { lr: '0.1' } },
  { name: 'evaluator', startTime: T0 + 2000, endTime: T0 + 3000 },
];

async function createWorkspace(server: StandinServer, name: string): Promise<void> {
  const response = await request(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  await response.body.text();
  if (response.statusCode !== 201) throw new Error(`workspace ${name}: HTTP ${response.statusCode}`);
}

async function modelsOf(api: MlflowApi, experimentId: string): Promise<any[]> {
  return (await api.call('POST', 'logged-models/search', { experiment_ids: [experimentId], max_results: 100 })).models ?? [];
}

describe('logged models and the registry: workspace to workspace', () => {
  let source: StandinServer;
  let target: StandinServer;
  const cwd = tempDir('e2e-models-ws');

  beforeAll(async () => {
    source = await startStandin({ workspaces: true });
    target = await startStandin({ workspaces: true });
    await createWorkspace(source, 'team-a');
    await createWorkspace(target, 'team-b');
    const api = new MlflowApi(source.url, { workspace: 'team-a' });
    const runIds = await seedProject(api, 'churn', RUNS);
    await seedModels(api, (await api.experimentId('churn'))!, runIds, { registry: true, workspace: 'team-a' });
    // The same registered-model name in the target's default workspace must not be touched.
    await new MlflowApi(target.url).call('POST', 'registered-models/create', { name: 'churn-clf', description: 'someone else' });
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('copies models and registry entries into the target workspace only, verify clean', async () => {
    const copy = ['copy', '--source-uri', source.url, '--source-project', 'team-a/churn', '--target-uri', target.url, '--target-project', 'team-b/churn', '--registry', '--no-progress'];
    const result = await runCli(copy, { cwd });
    expect(result.code).toBe(0);
    const api = new MlflowApi(target.url, { workspace: 'team-b' });
    const experimentId = (await api.experimentId('churn'))!;
    expect((await modelsOf(api, experimentId)).map((m) => m.info.artifact_uri)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^mlflow-artifacts:\/workspaces\/team-b\//)]),
    );
    const rm = (await api.call('GET', 'registered-models/get', { name: 'churn-clf' })).registered_model;
    expect(rm.description).toBe('Churn classifier');
    const untouched = (await new MlflowApi(target.url).call('GET', 'registered-models/get', { name: 'churn-clf' })).registered_model;
    expect(untouched).toMatchObject({ description: 'someone else' });
    expect(untouched.latest_versions).toBeUndefined();
    const verify = await runCli(['verify', '--source-uri', source.url, '--source-project', 'team-a/churn', '--target-uri', target.url, '--target-project', 'team-b/churn', '--registry'], { cwd });
    expect(verify.stdout).toContain('Models clean');
    expect(verify.code).toBe(0);
  });
});

describe('logged models: crash and resume', () => {
  let source: StandinServer;
  let target: StandinServer;

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    const api = new MlflowApi(source.url);
    const runIds = await seedProject(api, 'churn', RUNS);
    const seeded = await seedModels(api, (await api.experimentId('churn'))!, runIds, { registry: true });
    // A big file, so that the kill lands while model artifacts are being uploaded.
    const clf = (await api.call('GET', `logged-models/${seeded.models.get('clf')}`)).model.info;
    await api.upload(clf.artifact_uri, 'weights/big.bin', Buffer.alloc(24 * 1024 * 1024, 7));
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('converges after SIGKILLs during model uploads: each model and version exactly once, verify clean', async () => {
    const cwd = tempDir('e2e-models-crash');
    const args = ['copy', '--source-uri', source.url, '--source-project', 'churn', '--target-uri', target.url, '--target-project', 'churn-copy', '--registry', '--no-progress', '--workers', '1'];
    let kills = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      const uploadsBefore = target.stats().byRoute['mlflow-artifacts/upload'] ?? 0;
      const { child, done } = startCli(args, { cwd });
      // Kill as soon as the target sees a model artifact upload of this attempt (the runs have no files).
      const timer = setInterval(() => {
        if ((target.stats().byRoute['mlflow-artifacts/upload'] ?? 0) > uploadsBefore && child.exitCode === null) child.kill('SIGKILL');
      }, 2);
      const result = await done.finally(() => clearInterval(timer));
      if (result.signal === 'SIGKILL') kills++;
    }
    expect(kills).toBeGreaterThan(0);
    const final = await runCli([...args, '--verify'], { cwd });
    expect(final.stdout).toContain('Models clean');
    expect(final.code).toBe(0);

    const api = new MlflowApi(target.url);
    const models = await modelsOf(api, (await api.experimentId('churn-copy'))!);
    expect(models.map((m) => m.info.name).sort()).toEqual(['clf', 'clf-failed', 'orphan']);
    expect(models.every((m) => m.info.tags.some((t: any) => t.key === 'runs_migrator.completed'))).toBe(true);
    const versions = (await api.call('GET', 'model-versions/search', { filter: "name='churn-clf'" })).model_versions;
    expect(versions.map((v: any) => v.version).sort()).toEqual(['1', '4']);
  });
});
