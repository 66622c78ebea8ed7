/**
 * End to end through the CLI on ONE MLflow server with workspaces: `copy --registry` from
 * workspace team-a to workspace team-b takes the experiment's prompt into team-b (prompt names are
 * per workspace), with `_mlflow_experiment_ids` naming team-b's experiment, and leaves the source
 * prompt and a same-named prompt of the default workspace exactly as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
const PROMPT_VERSION_TAGS = [
  { key: 'mlflow.prompt.is_prompt', value: 'true' },
  { key: '_mlflow_prompt_type', value: 'text' },
  { key: 'mlflow.prompt.text', value: 'Summarise: {{text}}' },
];

async function createWorkspace(server: StandinServer, name: string): Promise<void> {
  const response = await request(`${server.url}/api/3.0/mlflow/workspaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  expect(response.statusCode).toBe(201);
  await response.body.text();
}

describe('prompts move from workspace to workspace on one server', () => {
  let server: StandinServer;
  let sourceExperiment: string;
  const cwd = tempDir('e2e-prompts-ws');
  const teamA = () => new MlflowApi(server.url, { workspace: 'team-a' });
  const teamB = () => new MlflowApi(server.url, { workspace: 'team-b' });
  const args = (verb: 'copy' | 'verify') => [
    verb, '--source-uri', server.url, '--source-project', 'team-a/summaries', '--target-uri', server.url, '--target-project', 'team-b/summaries',
    '--registry', '--json', ...(verb === 'copy' ? ['--no-progress'] : []),
  ];

  beforeAll(async () => {
    server = await startStandin({ workspaces: true });
    await createWorkspace(server, 'team-a');
    await createWorkspace(server, 'team-b');
    await seedProject(teamA(), 'summaries', [{ name: 'summariser', startTime: T0, endTime: T0 + 1000 }]);
    sourceExperiment = (await teamA().experimentId('summaries'))!;
    const prompt = { name: 'summarise', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: '_mlflow_experiment_ids', value: `,${sourceExperiment},` }] };
    await teamA().call('POST', 'registered-models/create', prompt);
    await teamA().call('POST', 'model-versions/create', { name: 'summarise', source: 'dummy-source', description: 'v1', tags: PROMPT_VERSION_TAGS });
    // The same name in the default workspace: another prompt, which the copy must not touch.
    const other = new MlflowApi(server.url);
    await other.call('POST', 'registered-models/create', { name: 'summarise', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
  });
  afterAll(async () => {
    await server.close();
  });

  it('copies the prompt into the target workspace with the target experiment id, verify is clean', async () => {
    const result = await runCli(args('copy'), { cwd });
    expect(result.code).toBe(0);
    const [prompt] = JSON.parse(result.stdout).models.prompts;
    expect(prompt).toMatchObject({ name: 'summarise', outcome: 'created', issues: [] });
    expect(prompt.versions.map((v: any) => [v.sourceVersion, v.outcome, v.targetVersion])).toEqual([['1', 'copied', '1']]);

    const targetExperiment = (await teamB().experimentId('summaries'))!;
    expect(targetExperiment).not.toBe(sourceExperiment);
    const copied = (await teamB().call('GET', 'registered-models/get', { name: 'summarise' })).registered_model;
    expect(copied.tags).toContainEqual({ key: '_mlflow_experiment_ids', value: `,${targetExperiment},` });
    expect(copied.latest_versions[0]).toMatchObject({ version: '1', description: 'v1', tags: PROMPT_VERSION_TAGS });

    // The source and the default workspace's prompt are as they were.
    const source = (await teamA().call('GET', 'registered-models/get', { name: 'summarise' })).registered_model;
    expect(source.tags).toContainEqual({ key: '_mlflow_experiment_ids', value: `,${sourceExperiment},` });
    const untouched = (await new MlflowApi(server.url).call('GET', 'registered-models/get', { name: 'summarise' })).registered_model;
    expect(untouched.latest_versions).toBeUndefined();
    expect(untouched.tags).toEqual([{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);

    const verify = await runCli(args('verify'), { cwd });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).models.prompts).toEqual([{ name: 'summarise', status: 'ok', differences: [], versions: 1 }]);
  });
});
