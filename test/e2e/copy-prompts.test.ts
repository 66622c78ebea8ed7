/**
 * End to end through the CLI between two MLflow stand-ins: `copy --registry` takes the prompts of
 * the copied experiment (its `_mlflow_experiment_ids` association) with every version, tags,
 * description and aliases, keeps the version numbers, and makes `_mlflow_experiment_ids` name the
 * TARGET experiment (whose id differs from the source's here). verify --registry is clean; a
 * re-run writes nothing; a version added in the source is copied by the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandin, type StandinServer } from '../support/mlflow-standin/index.js';
import { MlflowApi, seedProject, type SeedRun } from '../support/mlflow-seed.js';
import { runCli, tempDir } from '../support/cli-process.js';

const T0 = 1_700_000_000_000;
// The run names a prompt in mlflow.linkedPrompts (what the client writes on a run that used it).
const RUNS: SeedRun[] = [
  { name: 'answerer', startTime: T0, endTime: T0 + 1000, params: { temperature: '0.2' }, tags: { 'mlflow.linkedPrompts': '[{"name": "run-linked", "version": "1"}]' } },
];
const project = (to: string, extra: string[], verb: 'copy' | 'verify', from: string) =>
  [verb, '--source-uri', from, '--source-project', 'default/genai', '--target-uri', to, '--target-project', 'default/genai-copy', ...(verb === 'copy' ? ['--no-progress'] : []), ...extra];

const CHAT = JSON.stringify([{ role: 'system', content: 'You are {{style}}.' }, { role: 'user', content: '{{question}}' }]);
const FORMAT = JSON.stringify({ type: 'object', properties: { answer: { type: 'string' } } });
const promptVersionTags = (type: 'text' | 'chat', text: string, extra: Array<{ key: string; value: string }> = []) => [
  ...extra,
  { key: 'mlflow.prompt.is_prompt', value: 'true' },
  { key: '_mlflow_prompt_type', value: type },
  { key: 'mlflow.prompt.text', value: text },
];

describe('prompts move with their experiment (copy --registry, MLflow server to MLflow server)', () => {
  let source: StandinServer;
  let target: StandinServer;
  let sourceExperiment: string;
  const cwd = tempDir('e2e-prompts');
  const copy = () => runCli(project(target.url, ['--registry', '--json'], 'copy', source.url), { cwd });
  const verify = () => runCli(project(target.url, ['--registry', '--json'], 'verify', source.url), { cwd });

  beforeAll(async () => {
    source = await startStandin();
    target = await startStandin();
    // Experiments the target already has: the copy's experiment id differs from the source's.
    for (const name of ['busy-1', 'busy-2', 'busy-3']) await new MlflowApi(target.url).call('POST', 'experiments/create', { name });
    const api = new MlflowApi(source.url);
    await seedProject(api, 'genai', RUNS);
    sourceExperiment = (await api.experimentId('genai'))!;
    // What mlflow.genai.register_prompt sends (recorded: prompts-register-load), plus the experiment association.
    await api.call('POST', 'registered-models/create', {
      name: 'qa-prompt',
      description: 'first',
      tags: [
        { key: 'mlflow.prompt.is_prompt', value: 'true' },
        { key: 'team', value: 'nlp' },
        { key: '_mlflow_experiment_ids', value: `,${sourceExperiment},` },
      ],
    });
    await api.call('POST', 'model-versions/create', { name: 'qa-prompt', source: 'dummy-source', description: 'first', tags: promptVersionTags('text', 'Q: {{q}}', [{ key: 'team', value: 'nlp' }]) });
    await api.call('POST', 'model-versions/create', {
      name: 'qa-prompt',
      source: 'dummy-source',
      description: 'second',
      tags: [...promptVersionTags('chat', CHAT), { key: '_mlflow_prompt_response_format', value: FORMAT }],
    });
    await api.call('POST', 'registered-models/alias', { name: 'qa-prompt', alias: 'production', version: '1' });
    // A prompt that only the run's tag names (no experiment association).
    await api.call('POST', 'registered-models/create', { name: 'run-linked', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await api.call('POST', 'model-versions/create', { name: 'run-linked', source: 'dummy-source', tags: promptVersionTags('text', 'Linked: {{x}}') });
    // A prompt of another experiment: not part of this copy.
    await api.call('POST', 'registered-models/create', {
      name: 'elsewhere',
      tags: [
        { key: 'mlflow.prompt.is_prompt', value: 'true' },
        { key: '_mlflow_experiment_ids', value: ',987,' },
      ],
    });
    await api.call('POST', 'model-versions/create', { name: 'elsewhere', source: 'dummy-source', tags: promptVersionTags('text', 'x') });
  });
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it('a dry run plans the prompt, its versions and alias, and writes nothing', async () => {
    const result = await runCli(project(target.url, ['--registry', '--json', '--dry-run'], 'copy', source.url), { cwd });
    expect(result.code).toBe(0);
    const [prompt, linked] = JSON.parse(result.stdout).models.prompts;
    expect(prompt).toMatchObject({ name: 'qa-prompt', outcome: 'planned', issues: [] });
    expect(linked).toMatchObject({ name: 'run-linked', outcome: 'planned' });
    expect(prompt.versions.map((v: any) => [v.sourceVersion, v.outcome])).toEqual([['1', 'planned'], ['2', 'planned']]);
    expect(prompt.aliases.map((a: any) => a.outcome)).toEqual(['planned']);
    await expect(new MlflowApi(target.url).call('GET', 'registered-models/get', { name: 'qa-prompt' })).rejects.toThrow(/404/);
  });

  it('copies the experiment\'s prompt with its versions, numbers, tags, description and alias', async () => {
    const result = await copy();
    expect(result.code).toBe(0);
    const prompts = JSON.parse(result.stdout).models.prompts;
    expect(prompts.map((p: any) => p.name)).toEqual(['qa-prompt', 'run-linked']);
    expect(prompts[0]).toMatchObject({ name: 'qa-prompt', outcome: 'created', issues: [] });
    expect(prompts[1]).toMatchObject({ name: 'run-linked', outcome: 'created', issues: [] });
    expect(prompts[0].versions.map((v: any) => [v.sourceVersion, v.outcome, v.targetVersion])).toEqual([
      ['1', 'copied', '1'],
      ['2', 'copied', '2'],
    ]);
    expect(prompts[0].aliases).toEqual([{ alias: 'production', sourceVersion: '1', targetVersion: '1', outcome: 'set' }]);

    const api = new MlflowApi(target.url);
    const targetExperiment = (await api.experimentId('genai-copy'))!;
    expect(targetExperiment).not.toBe(sourceExperiment);
    const copied = (await api.call('GET', 'registered-models/get', { name: 'qa-prompt' })).registered_model;
    expect(copied.description).toBe('first');
    expect(copied.tags).toEqual([
      { key: 'mlflow.prompt.is_prompt', value: 'true' },
      { key: 'team', value: 'nlp' },
      { key: '_mlflow_experiment_ids', value: `,${targetExperiment},` },
    ]);
    expect(copied.aliases).toEqual([{ alias: 'production', version: '1' }]);
    const sourceApi = new MlflowApi(source.url);
    for (const version of ['1', '2']) {
      const want = (await sourceApi.call('GET', 'model-versions/get', { name: 'qa-prompt', version })).model_version;
      const got = (await api.call('GET', 'model-versions/get', { name: 'qa-prompt', version })).model_version;
      expect({ tags: got.tags, description: got.description, source: got.source }).toEqual({ tags: want.tags, description: want.description, source: want.source });
    }
    // Found the way MLflow's client finds an experiment's prompts, by the TARGET id.
    const found = await api.call('GET', 'registered-models/search', {
      filter: `tags.\`mlflow.prompt.is_prompt\` = 'true' AND tags._mlflow_experiment_ids LIKE '%,${targetExperiment},%'`,
    });
    expect(found.registered_models.map((m: any) => m.name)).toEqual(['qa-prompt']);
    // The prompt only the run names keeps its tags (it had no experiment association to map).
    const linked = (await api.call('GET', 'registered-models/get', { name: 'run-linked' })).registered_model;
    expect(linked.tags).toEqual([{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
    expect(linked.latest_versions[0].tags).toEqual(promptVersionTags('text', 'Linked: {{x}}'));
    await expect(api.call('GET', 'registered-models/get', { name: 'elsewhere' })).rejects.toThrow(/404/);
  });

  it('verify --registry compares the prompt and is clean', async () => {
    const result = await verify();
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).models.prompts).toEqual([
      { name: 'qa-prompt', status: 'ok', differences: [], versions: 2 },
      { name: 'run-linked', status: 'ok', differences: [], versions: 1 },
    ]);
    const text = await runCli(project(target.url, ['--registry'], 'verify', source.url), { cwd });
    expect(text.stdout + text.stderr).toMatch(/Models clean: .*2\/2 prompt\(s\) ok/);
  });

  it('a re-run writes nothing; a version added in the source is copied by the next run', async () => {
    const REGISTRY_WRITES = ['registered-models/create', 'registered-models/set-tag', 'registered-models/alias', 'model-versions/create', 'model-versions/delete'];
    const writes = () => REGISTRY_WRITES.map((route) => target.stats().byRoute[route] ?? 0);
    const before = writes();
    const again = await copy();
    expect(again.code).toBe(0);
    expect(writes()).toEqual(before);
    const prompts = JSON.parse(again.stdout).models.prompts;
    expect(prompts[0].outcome).toBe('existing');
    expect(prompts[0].versions.map((v: any) => v.outcome)).toEqual(['skipped', 'skipped']);
    expect(prompts[0].aliases.map((a: any) => a.outcome)).toEqual(['skipped']);

    await new MlflowApi(source.url).call('POST', 'model-versions/create', { name: 'qa-prompt', source: 'dummy-source', description: 'third', tags: promptVersionTags('text', 'Q: {{q}} (v3)') });
    const third = await copy();
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout).models.prompts[0].versions.map((v: any) => [v.sourceVersion, v.outcome])).toEqual([
      ['1', 'skipped'],
      ['2', 'skipped'],
      ['3', 'copied'],
    ]);
    const check = await verify();
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).models.prompts[0]).toMatchObject({ status: 'ok', versions: 3 });
  });

  it('a target version changed since the copy is a reported conflict: never overwritten, exit code 1, verify says so', async () => {
    const api = new MlflowApi(target.url);
    await api.call('POST', 'model-versions/set-tag', { name: 'qa-prompt', version: '1', key: 'mlflow.prompt.text', value: 'edited in the target' });
    const result = await copy();
    expect(result.code).toBe(1);
    const [prompt] = JSON.parse(result.stdout).models.prompts;
    expect(prompt.versions[0]).toMatchObject({ sourceVersion: '1', outcome: 'failed', reason: expect.stringMatching(/other content/) });
    const kept = (await api.call('GET', 'model-versions/get', { name: 'qa-prompt', version: '1' })).model_version;
    expect(kept.tags.find((t: any) => t.key === 'mlflow.prompt.text').value).toBe('edited in the target');
    const check = await verify();
    expect(check.code).not.toBe(0);
    expect(JSON.parse(check.stdout).models.prompts[0]).toMatchObject({ status: 'different', differences: ['version 1: tags or description differ'] });
  });
});
